// The client AEADs inside Chromium (Debian's /usr/bin/chromium, headless):
// seal + open of one 60-byte frame with libsodium's wasm ChaCha20-Poly1305
// (what the SDK gives browsers) and with WebCrypto's AES-256-GCM (a promise
// per packet). bench/client-aead.ts is the same in Node. Needs `npm run build`.
// Runs compiled: node bench/dist/browser-aead.js
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { chromium } from 'playwright-core';
import { ROOT } from './paths.js';

/** What the page's `runBench()` resolves with: µs per seal + open. */
interface BrowserFigures {
  wasm: number;
  webcrypto: number;
}

const dir = mkdtempSync(join(tmpdir(), 'parley-bench-browser-'));
writeFileSync(
  join(dir, 'entry.js'),
  `import { loadWasmAead } from '@parley/protocol';
const RUN_MS = 500;
async function measure(fn) {
  const warm = performance.now();
  while (performance.now() - warm < 100) await fn();
  const us = [];
  for (let r = 0; r < 3; r++) {
    let n = 0; const t0 = performance.now(); let t1 = t0;
    while (t1 - t0 < RUN_MS) { await fn(); n++; t1 = performance.now(); }
    us.push(((t1 - t0) * 1000) / n);
  }
  return us.sort((a, b) => a - b)[1];
}
globalThis.runBench = async () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = new Uint8Array(12).fill(1), aad = new Uint8Array(12).fill(2), frame = new Uint8Array(60).fill(3);
  const wasm = (await loadWasmAead())(key, 'chacha20-poly1305');
  const sealed = wasm.seal(nonce, aad, frame);
  const k = await crypto.subtle.importKey('raw', key, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  const p = { name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 };
  const gcm = await crypto.subtle.encrypt(p, k, frame);
  return {
    wasm: await measure(() => { wasm.seal(nonce, aad, frame); wasm.open(nonce, aad, sealed); }),
    webcrypto: await measure(async () => { await crypto.subtle.encrypt(p, k, frame); await crypto.subtle.decrypt(p, k, gcm); }),
  };
};`,
);
writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./entry.js"></script>');
await build({
  configFile: false,
  logLevel: 'error',
  root: dir,
  resolve: {
    alias: {
      '@parley/protocol': join(ROOT, 'packages/protocol/dist/index.js'),
    },
  },
  build: { outDir: join(dir, 'dist'), minify: false, target: 'es2022' },
});
const browser = await chromium.launch({
  executablePath: process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  const server = createServer((req, res) => {
    const path = req.url === undefined || req.url === '/' ? 'index.html' : (req.url.split('?')[0] ?? '');
    const f = join(dir, 'dist', path);
    readFile(f).then(
      (b) =>
        res.writeHead(200, { 'content-type': f.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(b),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => 'runBench' in globalThis);
  // Runs in the page, where the entry module defined runBench.
  const r = await page.evaluate(() =>
    (globalThis as unknown as { runBench: () => Promise<BrowserFigures> }).runBench(),
  );
  console.log('client AEAD in Chromium: seal + open of one 60-byte frame (median of 3 × 500 ms)');
  console.log(`  libsodium wasm ChaCha20-Poly1305 (sync)        ${r.wasm.toFixed(2).padStart(7)} µs`);
  console.log(`  WebCrypto AES-256-GCM (async)                  ${r.webcrypto.toFixed(2).padStart(7)} µs`);
  server.close();
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
