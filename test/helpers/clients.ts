import WebSocket from 'ws';
import type { Cipher } from '@parley/protocol';
import { createNodeAead, NODE_CIPHERS } from '@parley/protocol/node';
import { VoiceClient, type WebSocketLike } from '@parley/client';
import { openUdpTransport } from '@parley/client/node';

/** An SDK client over a real WebSocket, with media over UDP (default) or the WebSocket, offering `ciphers` (ChaCha20-Poly1305 first by default). */
export function connectClient(
  url: string,
  name: string,
  transport: 'udp' | 'ws' = 'udp',
  ciphers: readonly Cipher[] = NODE_CIPHERS,
): Promise<VoiceClient> {
  return VoiceClient.connect({
    server: url,
    name,
    webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
    aead: createNodeAead,
    ciphers,
    ...(transport === 'udp' ? { udp: openUdpTransport } : {}),
  });
}
