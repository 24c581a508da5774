/** @parley/protocol/node — the Node (node:crypto) AEAD backend. */
export { createNodeAead } from './aead-node.js';
