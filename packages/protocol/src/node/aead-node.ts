import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KEY_SIZE, TAG_SIZE } from '../constants.js';
import type { Aead } from '../aead.js';

/**
 * AES-256-GCM with node:crypto. One cipher object per call (Node has no
 * reusable GCM context); see docs/benchmarks.md for what that costs.
 */
export function createNodeAead(key: Uint8Array): Aead {
  if (key.length !== KEY_SIZE)
    throw new RangeError(`AES-256-GCM key must be ${KEY_SIZE} bytes, got ${key.length}`);
  const k = Buffer.from(key);
  return {
    seal(nonce, aad, plaintext) {
      const c = createCipheriv('aes-256-gcm', k, nonce);
      c.setAAD(aad);
      const body = c.update(plaintext);
      c.final();
      const out = new Uint8Array(body.length + TAG_SIZE);
      out.set(body, 0);
      out.set(c.getAuthTag(), body.length);
      return out;
    },
    open(nonce, aad, sealed) {
      if (sealed.length < TAG_SIZE) return null;
      const n = sealed.length - TAG_SIZE;
      try {
        const d = createDecipheriv('aes-256-gcm', k, nonce);
        d.setAAD(aad);
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
