import WebSocket from 'ws';
import { createNodeAead } from '@parley/protocol/node';
import { VoiceClient, type WebSocketLike } from '@parley/client';
import { openUdpTransport } from '@parley/client/node';

/** An SDK client over a real WebSocket, with media over UDP (default) or the WebSocket. */
export function connectClient(
  url: string,
  name: string,
  transport: 'udp' | 'ws' = 'udp',
): Promise<VoiceClient> {
  return VoiceClient.connect({
    server: url,
    name,
    webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
    aead: createNodeAead,
    ...(transport === 'udp' ? { udp: openUdpTransport } : {}),
  });
}
