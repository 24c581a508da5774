import WebSocket from 'ws';
import { afterEach, beforeEach } from 'vitest';
import type { Cipher } from '@parley/protocol';
import { createNodeAead, NODE_CIPHERS } from '@parley/protocol/node';
import { VoiceClient, type VoiceClientOptions, type WebSocketLike } from '@parley/client';
import { openUdpTransport } from '@parley/client/node';
import { startServer, type TestServer } from './server.js';

/** An SDK client over a real WebSocket, with media over UDP (default) or the WebSocket, offering `ciphers` (ChaCha20-Poly1305 first by default). */
export function connectClient(
  url: string,
  name: string,
  transport: 'udp' | 'ws' = 'udp',
  ciphers: readonly Cipher[] = NODE_CIPHERS,
  more: Pick<VoiceClientOptions, 'udpKeepaliveMs' | 'udp'> = {},
): Promise<VoiceClient> {
  return VoiceClient.connect({
    server: url,
    name,
    webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
    aead: createNodeAead,
    ciphers,
    ...(transport === 'udp' ? { udp: openUdpTransport } : {}),
    ...more,
  });
}

/** A fresh server for each test of the enclosing `describe`, and every client opened through `connect` closed after it. */
export interface ServerWithClients {
  /** The running test server (only inside a test). */
  readonly t: TestServer;
  connect(name: string, transport?: 'udp' | 'ws', ciphers?: readonly Cipher[]): Promise<VoiceClient>;
}

export function useServerWithClients(): ServerWithClients {
  let current: TestServer | undefined;
  const open: VoiceClient[] = [];
  beforeEach(async () => {
    current = await startServer();
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();
    const running = current;
    current = undefined;
    await running?.close();
  });
  return {
    get t(): TestServer {
      if (current === undefined) throw new Error('useServerWithClients: no server outside a test');
      return current;
    },
    async connect(name, transport = 'udp', ciphers = NODE_CIPHERS) {
      const c = await connectClient(this.t.info.url, name, transport, ciphers);
      open.push(c);
      return c;
    },
  };
}
