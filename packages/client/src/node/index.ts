/** @parley/client/node — Node-only parts: UDP transport, Opus loader, CLI. */
export { openUdpTransport } from './udp-transport.js';
export { main as runCli } from './cli.js';
export { loadOpusNode } from '../audio/opus-node.js';
export { NetemProxy, type NetemProxyOptions, type DirectionStats } from './netem-proxy.js';
export { NetworkModel, type NetworkModelOptions, type Fate } from '../core/network-model.js';
export * from './loadtest/index.js';
export { nodeWebSocket, nodeWebSocketFactory, NODE_WS_MAX_PAYLOAD } from './websocket.js';
export { WavFileWriter, type WavFileWriterOptions } from './wav-writer.js';
