// What one media packet's sealing and opening costs a client, per AEAD a
// client can use (docs/protocol.md "Sealing", docs/benchmarks.md):
//   sodium-native ChaCha20-Poly1305     Node clients (native libsodium)
//   libsodium-wrappers ChaCha20-Poly1305 browsers (libsodium compiled to wasm; synchronous)
//   WebCrypto AES-256-GCM                what a browser had before (a promise per packet)
// A 60-byte Opus frame behind a 12-byte header; median of 3 runs of ~0.5 s.
// Runs compiled: node bench/dist/client-aead.js (BENCH_MS=… per run).
import { randomBytes } from 'node:crypto';
import { loadWasmAead, type Aead } from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';

const RUN_MS = Number(process.env.BENCH_MS ?? 500);
const key = randomBytes(32);
const nonce = new Uint8Array(12).fill(1);
const aad = new Uint8Array(12).fill(2);
const frame = new Uint8Array(60).fill(3);

/** A case: one seal + open, synchronous or not. */
type Case = () => void | Promise<void>;

/** µs per call of `fn`: the median of three runs after a warm-up. */
async function measure(fn: Case): Promise<number> {
  const warm = performance.now();
  while (performance.now() - warm < 100) await fn();
  const us: number[] = [];
  for (let r = 0; r < 3; r++) {
    let n = 0;
    const t0 = performance.now();
    let t1 = t0;
    while (t1 - t0 < RUN_MS) {
      await fn();
      n++;
      t1 = performance.now();
    }
    us.push(((t1 - t0) * 1000) / n);
  }
  return us.sort((a, b) => a - b)[1] ?? NaN;
}

function syncCase(aead: Aead): Case {
  const sealed = aead.seal(nonce, aad, frame);
  return () => {
    aead.seal(nonce, aad, frame);
    if (aead.open(nonce, aad, sealed) === null) throw new Error('open failed');
  };
}

async function webCryptoCase(): Promise<Case> {
  const subtle = globalThis.crypto.subtle;
  const k = await subtle.importKey('raw', key, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  const params = { name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 };
  const sealed = await subtle.encrypt(params, k, frame);
  return async () => {
    await subtle.encrypt(params, k, frame);
    await subtle.decrypt(params, k, sealed);
  };
}

const cases: [string, Case][] = [
  ['sodium-native ChaCha20-Poly1305 (Node)', syncCase(createNodeAead(key, 'chacha20-poly1305'))],
  ['libsodium wasm ChaCha20-Poly1305 (browsers)', syncCase((await loadWasmAead())(key, 'chacha20-poly1305'))],
  ['WebCrypto AES-256-GCM, async', await webCryptoCase()],
];
console.log(`client AEAD: seal + open of one 60-byte frame (median of 3 × ${RUN_MS} ms)`);
for (const [name, fn] of cases) {
  const us = await measure(fn);
  console.log(`  ${name.padEnd(46)} ${us.toFixed(2).padStart(7)} µs`);
}
