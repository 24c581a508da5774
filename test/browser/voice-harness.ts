/**
 * Shared set-up of the BrowserVoice tests and the browser latency bench:
 * the voice page (fixture/voice-page.ts) bundled once, served with
 * libopus's wasm, and one Chromium per fake microphone (a WAV file given
 * with --use-file-for-fake-audio-capture). `call` runs one of the page's
 * `window.parley` functions.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { encodeWav, mulberry32, toneInt16 } from '@parley/client';
import { bundleForBrowser, launchChromium, serveDir, type StaticServer } from '../helpers/browser.js';
import type { VoicePageApi } from './fixture/voice-page.js';

const FIXTURE = join(import.meta.dirname, 'fixture', 'voice-page.ts');

/** Bundles the voice page into `dir` and serves it. */
export async function serveVoicePage(dir: string): Promise<StaticServer> {
  await bundleForBrowser(FIXTURE, dir);
  const opusDir = dirname(createRequire(import.meta.url).resolve('@evan/opus/package.json'));
  copyFileSync(join(opusDir, 'wasm', 'opus.wasm'), join(dir, 'opus.wasm'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>parley voice</title><script type="module" src="./page.js"></script>',
  );
  return serveDir(dir);
}

/** A Chromium whose fake microphone plays `wav` (looped unless `noLoop`). */
export function launchWithMic(wav: string, noLoop = false): Promise<Browser> {
  return launchChromium([`--use-file-for-fake-audio-capture=${wav}${noLoop ? '%noloop' : ''}`]);
}

/** Opens the voice page in a new page of `browser`. */
export async function openVoicePage(browser: Browser, siteUrl: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${siteUrl}/`);
  await page.waitForFunction(() => 'parley' in globalThis);
  return page;
}

type Fn = keyof VoicePageApi;
type Args<K extends Fn> = Parameters<VoicePageApi[K]>;
type Ret<K extends Fn> = Awaited<ReturnType<VoicePageApi[K]>>;

/** Runs `window.parley[name](...args)` in the page. */
export function call<K extends Fn>(page: Page, name: K, ...args: Args<K>): Promise<Ret<K>> {
  return page.evaluate<Ret<K>, readonly [K, Args<K>]>(
    ([n, a]) => {
      const api = (globalThis as unknown as { parley: Record<string, (...x: unknown[]) => unknown> }).parley;
      return api[n]!(...a) as Ret<K>;
    },
    [name, args] as const,
  );
}

/** Writes a 48 kHz mono WAV of `parts` (tones, silences and white noise, one after the other). */
export function writeSignal(
  path: string,
  parts: (
    | { hz: number; dbfs: number; seconds: number }
    | { silence: number }
    | { noiseDbfs: number; seconds: number }
  )[],
): string {
  const rand = mulberry32(7);
  const chunks = parts.map((p) => {
    if ('silence' in p) return new Int16Array(Math.round(p.silence * 48000));
    if ('hz' in p) return toneInt16(p.hz, p.seconds, 48000, p.dbfs);
    // Uniform white noise: RMS = peak / √3.
    const peak = 32767 * 10 ** (p.noiseDbfs / 20) * Math.sqrt(3);
    return Int16Array.from({ length: Math.round(p.seconds * 48000) }, () =>
      Math.round((rand() * 2 - 1) * peak),
    );
  });
  const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  writeFileSync(path, encodeWav(all, 48000));
  return path;
}

/** The page options every test uses: no browser processing (a tone must stay a tone). */
export const RAW = { echoCancellation: false, noiseSuppression: false, autoGainControl: false } as const;

/** The int16 samples of `takeHeard` (base64 of little-endian bytes). */
export function samplesOf(heard: { samples: string }): Int16Array {
  const b = Buffer.from(heard.samples, 'base64');
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}
