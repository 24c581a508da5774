/**
 * The SDK in a real browser: @parley/client bundled for browsers (no Node
 * builtin, no native module), loaded in Debian's Chromium, joins a running
 * server, speaks a tone over the WebSocket media path sealed with libsodium's
 * wasm ChaCha20-Poly1305 — and `parley record` (Node, UDP) hears it.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { dominantFrequency, int16ToFloat, longestGapMs, rmsDbfs } from '@parley/client';
import {
  bundleForBrowser,
  launchChromium,
  serveDir,
  type Bundle,
  type StaticServer,
} from '../helpers/browser.js';
import { spawnServer, startRecording, type SpawnedServer } from '../helpers/processes.js';
import { readMono16 } from '../helpers/wav.js';
import type { SpeakOptions, SpeakResult } from './fixture/page.js';

const FIXTURE = join(import.meta.dirname, 'fixture', 'page.ts');
const TONE_HZ = 440;
const TONE_DBFS = -12;
const TONE_SECONDS = 2;
const RECORD_SECONDS = 6;

describe('@parley/client in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-browser-'));
  let bundle: Bundle;
  let site: StaticServer;
  let server: SpawnedServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    bundle = await bundleForBrowser(FIXTURE, dir);
    const opusDir = dirname(createRequire(import.meta.url).resolve('@evan/opus/package.json'));
    copyFileSync(join(opusDir, 'wasm', 'opus.wasm'), join(dir, 'opus.wasm'));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><meta charset="utf-8"><title>parley sdk</title><script type="module" src="./page.js"></script>',
    );
    [site, browser] = await Promise.all([serveDir(dir), launchChromium()]);
    // The page comes from another origin than the server's: the server must list it
    // (http.cors.origins), or it refuses the page's WebSocket.
    server = await spawnServer(['--data-dir', join(dir, 'data')], { PARLEY_CORS_ORIGINS: site.url });
    page = await browser.newPage();
    await page.goto(`${site.url}/`);
    await page.waitForFunction(() => 'parleySpeak' in globalThis);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await site?.close();
  });

  it('bundles with no Node builtin and no native module', () => {
    expect(bundle.files).toContain('page.js');
    const modules = bundle.chunks.flatMap((c) => c.modules);
    const foreign = (m: string): boolean =>
      m.startsWith('node:') ||
      m.includes('sodium-native') ||
      m.includes('browser-external') ||
      m.endsWith('.node') ||
      /\/packages\/[^/]+\/src\/node\//.test(m);
    // The SDK's own chunk has nothing foreign.
    const sdk = bundle.chunks.find((c) => c.fileName === 'page.js')!;
    expect(sdk.modules.filter(foreign)).toEqual([]);
    expect(sdk.modules.some((m) => m.endsWith('packages/client/src/core/media-path.ts'))).toBe(true);
    // libsodium's wasm build is its own chunk, loaded on first use. Its one
    // foreign module is the empty stub Vite puts for `require('crypto')` in
    // its fallback random source, dead code where `crypto.getRandomValues`
    // exists (every browser).
    const sodium = bundle.chunks.filter((c) => c.modules.some((m) => m.includes('/node_modules/libsodium')));
    expect(sodium).toHaveLength(1);
    expect(sodium[0]!.modules.filter(foreign)).toEqual(['__vite-browser-external']);
    expect(modules.filter(foreign)).toEqual(['__vite-browser-external']);
    for (const c of bundle.chunks)
      console.log(`browser bundle: ${c.fileName} ${(c.bytes / 1024).toFixed(0)} KiB`);
  });

  it('speaks a tone from the page over the WebSocket media path, and parley record hears it', async () => {
    const out = join(dir, 'heard.wav');
    const recording = (await startRecording(server.url, 'Lobby', out, RECORD_SECONDS)).done;

    const opts: SpeakOptions = {
      server: server.url,
      channel: 'Lobby',
      name: 'chromium',
      seconds: TONE_SECONDS,
      frequency: TONE_HZ,
      dbfs: TONE_DBFS,
    };
    const sent: SpeakResult = await page.evaluate(
      (o) =>
        (globalThis as unknown as { parleySpeak: (o: SpeakOptions) => Promise<SpeakResult> }).parleySpeak(o),
      opts,
    );
    expect(sent).toMatchObject({ transport: 'ws', cipher: 'chacha20-poly1305', frameMs: 20 });
    expect(sent.framesSent).toBe((TONE_SECONDS * 1000) / 20);
    expect(sent.packetsSent).toBe(sent.framesSent);

    const rec = await recording;
    expect(rec.code, rec.stderr).toBe(0);
    const { sampleRate, samples } = readMono16(readFileSync(out));
    const x = int16ToFloat(samples);
    // Where the tone is: 20 ms windows above −40 dBFS.
    const w = sampleRate / 50;
    const loud: number[] = [];
    for (let i = 0; i + w <= x.length; i += w) if (rmsDbfs(x.subarray(i, i + w)) > -40) loud.push(i);
    expect(loud.length * 20).toBeGreaterThanOrEqual(TONE_SECONDS * 1000 * 0.95);
    expect(loud.length * 20).toBeLessThanOrEqual(TONE_SECONDS * 1000 + 200);
    const tone = x.subarray(loud[0], loud.at(-1)! + w);
    expect(Math.abs(dominantFrequency(tone, sampleRate) - TONE_HZ)).toBeLessThan(5);
    // Level: a sine at −12 dBFS peak is −15 dBFS RMS; Opus keeps it within a dB or two.
    expect(Math.abs(rmsDbfs(tone) - (TONE_DBFS - 3.01))).toBeLessThan(2);
    expect(longestGapMs(tone, sampleRate)).toBeLessThanOrEqual(20);
    // Silence where nobody spoke: before the page joined, and after it left.
    expect(rmsDbfs(x.subarray(0, Math.max(w, loud[0]! - w)))).toBeLessThan(-60);
    expect(rmsDbfs(x.subarray(loud.at(-1)! + 3 * w))).toBeLessThan(-60);
  }, 60_000);

  it("is refused by a server that does not list the page's origin", async () => {
    const stranger = await spawnServer(['--data-dir', join(dir, 'stranger')]);
    try {
      const opts: SpeakOptions = {
        server: stranger.url,
        channel: 'Lobby',
        name: 'chromium',
        seconds: 0.2,
        frequency: TONE_HZ,
        dbfs: TONE_DBFS,
      };
      const outcome = await page.evaluate(
        (o) =>
          (globalThis as unknown as { parleySpeak: (o: SpeakOptions) => Promise<SpeakResult> })
            .parleySpeak(o)
            .then(
              () => 'joined',
              (err: unknown) => String((err as { code?: unknown }).code ?? err),
            ),
        opts,
      );
      expect(outcome).toBe('PARLEY_ERR_UNREACHABLE');
    } finally {
      await stranger.stop();
    }
  }, 60_000);
});
