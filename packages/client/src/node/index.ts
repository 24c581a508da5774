/** @parley/client/node — Node-only parts: UDP transport, Opus loader, CLI. */
export { openUdpTransport } from './udp-transport.js';
export { main as runCli } from './cli.js';
export { loadOpusNode } from '../audio/opus-node.js';
