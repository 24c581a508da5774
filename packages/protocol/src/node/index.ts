/** @parley/protocol/node — the Node AEAD backends (node:crypto, libsodium). */
export { createNodeAead, hasFastChaCha, NODE_CIPHERS } from './aead-node.js';
