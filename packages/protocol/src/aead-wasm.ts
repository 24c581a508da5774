/**
 * ChaCha20-Poly1305 from libsodium compiled to WebAssembly
 * (`libsodium-wrappers`): the same synchronous {@link Aead} as the Node
 * backend, for browsers and any runtime without sodium-native. The module
 * (~430 KB of JavaScript with the wasm inlined) is imported on first use, so
 * a server or a Node client that never calls this never loads it.
 *
 * Why not WebCrypto: it has no ChaCha20-Poly1305, and its AES-GCM is
 * asynchronous (a promise per packet) and costs the relay about twice as
 * much per copy as libsodium's ChaCha20-Poly1305 (docs/benchmarks.md).
 */
import { KEY_SIZE, TAG_SIZE } from './constants.js';
import type { Aead, Cipher } from './aead.js';

/** What a client with the wasm AEAD offers in `hello.ciphers`. */
export const WASM_CIPHERS: readonly Cipher[] = ['chacha20-poly1305'];

/** Makes the AEAD of a session key (throws for a cipher the wasm build does not have). */
export type AeadFactory = (key: Uint8Array, cipher: Cipher) => Aead;

type Sodium = (typeof import('libsodium-wrappers'))['default'];

let loading: Promise<Sodium> | null = null;

function loadSodium(): Promise<Sodium> {
  loading ??= import('libsodium-wrappers').then(async (m) => {
    const sodium = m.default;
    await sodium.ready;
    return sodium;
  });
  return loading;
}

/**
 * Loads libsodium's WebAssembly build once, then returns a synchronous
 * factory of ChaCha20-Poly1305 AEADs (IETF, RFC 8439: byte-for-byte what
 * the server's sodium-native produces).
 */
export async function loadWasmAead(): Promise<AeadFactory> {
  const sodium = await loadSodium();
  return (key, cipher) => {
    if (cipher !== 'chacha20-poly1305')
      throw new RangeError(`the WebAssembly AEAD has only chacha20-poly1305, not ${cipher}`);
    if (key.length !== KEY_SIZE)
      throw new RangeError(`${cipher} key must be ${KEY_SIZE} bytes, got ${key.length}`);
    const k = new Uint8Array(key);
    return {
      cipher,
      seal: (nonce, aad, plaintext) =>
        sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, k),
      open(nonce, aad, sealed) {
        if (sealed.length < TAG_SIZE) return null;
        try {
          return sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, sealed, aad, nonce, k);
        } catch {
          return null; // a forged or damaged packet
        }
      },
    };
  };
}
