/**
 * The one place the Node SDK, the CLI and the load generator open a `ws`
 * WebSocket, so every client socket has the same limits.
 */
import WebSocket, { type ClientOptions } from 'ws';
import { MAX_SERVER_MESSAGE_BYTES } from '@parley/protocol';
import type { WebSocketFactory, WebSocketLike } from '../core/control.js';

/**
 * Largest WebSocket message the client receives: the largest server message
 * (MAX_SERVER_MESSAGE_BYTES) with a 2 KiB margin, which also covers a binary
 * media packet (at most 1400 bytes). `ws` stops reading a message as soon as
 * it passes this size and closes the connection with 1009, instead of
 * buffering up to its default 100 MiB before the control parser can look.
 * Text messages between the two limits reach the parser and are counted as
 * too large (ControlConnection `stats.oversizedMessages`).
 */
export const NODE_WS_MAX_PAYLOAD = MAX_SERVER_MESSAGE_BYTES + 2048;

/** Options of `nodeWebSocket`: those of `ws`, except the payload limit, which is always NODE_WS_MAX_PAYLOAD. */
export type NodeWebSocketOptions = Omit<ClientOptions, 'maxPayload'>;

/** Opens a `ws` WebSocket with the client's limits (max payload; a 10 s handshake timeout unless given). */
export function nodeWebSocket(url: string, opts: NodeWebSocketOptions = {}): WebSocket {
  return new WebSocket(url, { handshakeTimeout: 10_000, ...opts, maxPayload: NODE_WS_MAX_PAYLOAD });
}

/** `nodeWebSocket` as the SDK's WebSocketFactory (VoiceClient `webSocket`, ControlConnection.open). */
export const nodeWebSocketFactory: WebSocketFactory = (url) => nodeWebSocket(url) as unknown as WebSocketLike;
