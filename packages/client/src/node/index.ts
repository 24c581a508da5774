/**
 * @parley/client/node — the SDK's Node-only parts: UDP transport, Opus
 * loader, the `ws` WebSocket with the client's limits, a WAV file writer.
 * The CLI, load generator and impairment proxy are in @parley/tools.
 */
export { openUdpTransport } from './udp-transport.js';
export { loadOpusNode } from '../audio/opus-node.js';
export { nodeWebSocket, nodeWebSocketFactory, NODE_WS_MAX_PAYLOAD } from './websocket.js';
export { WavFileWriter, type WavFileWriterOptions } from './wav-writer.js';
