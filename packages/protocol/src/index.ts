/**
 * @parley/protocol — the Parley wire protocol, pure and I/O-free: media
 * packet codec, wraparound math, AEAD sealing with a replay window, and the
 * control-message schemas. Works in Node and browsers; the node:crypto AEAD
 * is in `@parley/protocol/node`.
 */
export * from './constants.js';
export type { Result } from './result.js';
export * from './wrap.js';
export * from './packet.js';
export * from './replay.js';
export * from './aead.js';
export * from './media-crypto.js';
export { allocPacket } from './pool.js';
export * from './errors.js';
export * from './control.js';
export * from './text.js';
export * from './histogram.js';
export * from './stats.js';
export * from './jitter.js';
export * from './metrics.js';
export * from './quality.js';
export * from './redundancy.js';
export * from './aead-wasm.js';
