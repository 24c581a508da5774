import {
  createCipheriv,
  createDecipheriv,
  type CipherGCMTypes,
  type CipherChaCha20Poly1305Types,
} from 'node:crypto';
import { createRequire } from 'node:module';
import { KEY_SIZE, TAG_SIZE } from '../constants.js';
import type { Aead, Cipher } from '../aead.js';
import { allocPacket } from '../pool.js';

/** The part of sodium-native (libsodium) we use: one-shot IETF ChaCha20-Poly1305, no per-call set-up. */
interface Sodium {
  crypto_aead_chacha20poly1305_ietf_encrypt(
    c: Uint8Array,
    m: Uint8Array,
    ad: Uint8Array | null,
    nsec: null,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(
    m: Uint8Array,
    nsec: null,
    c: Uint8Array,
    ad: Uint8Array | null,
    npub: Uint8Array,
    k: Uint8Array,
  ): number;
}

let sodium: Sodium | null | undefined;
/** libsodium through sodium-native (prebuilt in its npm package), or null where it cannot load. */
function loadSodium(): Sodium | null {
  if (sodium === undefined) {
    try {
      sodium = createRequire(import.meta.url)('sodium-native') as Sodium;
    } catch {
      sodium = null;
    }
  }
  return sodium;
}

/** What a Node client offers in `hello.ciphers`: ChaCha20-Poly1305 first (cheapest for the server). */
export const NODE_CIPHERS: readonly Cipher[] = ['chacha20-poly1305', 'aes-256-gcm'];

/** True when ChaCha20-Poly1305 runs on libsodium (fast path) rather than node:crypto. */
export function hasFastChaCha(): boolean {
  return loadSodium() !== null;
}

/**
 * The Node AEAD for a session key. AES-256-GCM goes through node:crypto,
 * which needs a cipher object per packet (~3–6 µs); ChaCha20-Poly1305 goes
 * through libsodium's one-shot call (~0.7 µs, sealed in place), falling back
 * to node:crypto when sodium-native is not installed. docs/benchmarks.md has
 * the figures.
 */
export function createNodeAead(key: Uint8Array, cipher: Cipher = 'aes-256-gcm'): Aead {
  if (key.length !== KEY_SIZE)
    throw new RangeError(`${cipher} key must be ${KEY_SIZE} bytes, got ${key.length}`);
  if (cipher === 'chacha20-poly1305') {
    const na = loadSodium();
    if (na !== null) return sodiumChaCha(na, new Uint8Array(key));
  }
  return nodeCryptoAead(Buffer.from(key), cipher);
}

function sodiumChaCha(na: Sodium, k: Uint8Array): Aead {
  const sealTo = (out: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): void => {
    na.crypto_aead_chacha20poly1305_ietf_encrypt(out, pt, aad, null, nonce, k);
  };
  return {
    cipher: 'chacha20-poly1305',
    sealTo,
    seal(nonce, aad, pt) {
      const out = allocPacket(pt.length + TAG_SIZE);
      sealTo(out, nonce, aad, pt);
      return out;
    },
    open(nonce, aad, sealed) {
      if (sealed.length < TAG_SIZE) return null;
      const out = allocPacket(sealed.length - TAG_SIZE);
      try {
        na.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, sealed, aad, nonce, k);
        return out;
      } catch {
        return null; // libsodium refuses a forged or damaged packet by throwing
      }
    },
  };
}

function nodeCryptoAead(k: Buffer, cipher: Cipher): Aead {
  const algo = cipher as CipherGCMTypes | CipherChaCha20Poly1305Types;
  const opts = { authTagLength: TAG_SIZE } as const;
  return {
    cipher,
    seal(nonce, aad, plaintext) {
      const c = createCipheriv(algo as CipherGCMTypes, k, nonce, opts);
      c.setAAD(aad);
      const body = c.update(plaintext);
      c.final();
      const out = allocPacket(body.length + TAG_SIZE);
      out.set(body, 0);
      out.set(c.getAuthTag(), body.length);
      return out;
    },
    open(nonce, aad, sealed) {
      if (sealed.length < TAG_SIZE) return null;
      const n = sealed.length - TAG_SIZE;
      try {
        const d = createDecipheriv(algo as CipherGCMTypes, k, nonce, opts);
        d.setAAD(aad, { plaintextLength: n });
        d.setAuthTag(sealed.subarray(n));
        const pt = d.update(sealed.subarray(0, n));
        d.final();
        return pt;
      } catch {
        return null;
      }
    },
  };
}
