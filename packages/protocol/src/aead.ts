import { Direction, type PacketType } from './constants.js';

/**
 * The AEADs a session may use (docs/protocol.md "Sealing"): both take a
 * 32-byte key and a 12-byte nonce and add a 16-byte tag, so the packet
 * layout and the nonce rules are the same. The client offers them in
 * `hello.ciphers`, the server picks one per session (`joined.media.cipher`).
 */
export const CIPHERS = ['chacha20-poly1305', 'aes-256-gcm'] as const;
export type Cipher = (typeof CIPHERS)[number];
/** What a client that says nothing about ciphers gets (kept for clients older than `hello.ciphers`). */
export const DEFAULT_CIPHER: Cipher = 'aes-256-gcm';

/** The server's choice: the first cipher of the client's list it supports. */
export function pickCipher(offered: readonly string[] | undefined): Cipher {
  for (const c of offered ?? []) if ((CIPHERS as readonly string[]).includes(c)) return c as Cipher;
  return DEFAULT_CIPHER;
}

/**
 * The one AEAD interface, synchronous everywhere: sodium-native or
 * node:crypto in Node (`@parley/protocol/node`), libsodium's WebAssembly
 * build in browsers (`loadWasmAead`). `seal` returns ciphertext‖tag.
 */
export interface Aead {
  readonly cipher?: Cipher;
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * Optional zero-copy form: writes ciphertext‖tag into `out`
   * (plaintext.length + 16 bytes), e.g. right behind a header.
   */
  sealTo?(out: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): void;
  /** The plaintext, or null when authentication fails. Never throws on bad input. */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

/**
 * Writes the 12-byte nonce: direction, packet type, ssrc, and the low 48
 * bits of the extended sequence number (docs/protocol.md, "Sealing").
 */
export function writeNonce(
  out: Uint8Array,
  direction: Direction,
  type: PacketType,
  ssrc: number,
  extSeq: number,
): Uint8Array {
  out[0] = direction === Direction.ServerToClient ? 1 : 0;
  out[1] = type;
  out[2] = (ssrc >>> 24) & 0xff;
  out[3] = (ssrc >>> 16) & 0xff;
  out[4] = (ssrc >>> 8) & 0xff;
  out[5] = ssrc & 0xff;
  const hi = Math.floor(extSeq / 0x100000000) & 0xffff;
  const lo = extSeq >>> 0;
  out[6] = hi >>> 8;
  out[7] = hi & 0xff;
  out[8] = lo >>> 24;
  out[9] = (lo >>> 16) & 0xff;
  out[10] = (lo >>> 8) & 0xff;
  out[11] = lo & 0xff;
  return out;
}
