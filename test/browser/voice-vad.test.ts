/**
 * Voice activation and push-to-talk in Chromium (the SDK's TalkGate inside
 * BrowserVoice), and the RNNoise suppressor. The fake microphone plays
 * 0.6 s of tone then 1.2 s of silence, over and over: packets must stop
 * during the silence — counted where they arrive, at `parley record`
 * (its trace marks each one) and at a listening page (with their flags).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { AudioFlag } from '@parley/protocol';
import { parseTrace } from '@parley/tools';
import type { StaticServer } from '../helpers/browser.js';
import { spawnServer, startRecording, type SpawnedServer } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';
import { call, launchWithMic, openVoicePage, RAW, serveVoicePage, writeSignal } from './voice-harness.js';

/** Longest pause between consecutive times (ms). */
function longestPause(ts: number[]): number {
  let p = 0;
  for (let i = 1; i < ts.length; i++) p = Math.max(p, ts[i]! - ts[i - 1]!);
  return p;
}

describe('voice activation and push-to-talk in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-vad-browser-'));
  let site: StaticServer;
  let server: SpawnedServer;
  let browser: Browser;
  let a: Page;
  let b: Page;
  let aSsrc: number;

  beforeAll(async () => {
    const mic = writeSignal(join(dir, 'mic.wav'), [{ hz: 440, dbfs: -12, seconds: 0.6 }, { silence: 1.2 }]);
    [site, browser] = await Promise.all([serveVoicePage(dir), launchWithMic(mic)]);
    server = await spawnServer(['--data-dir', join(dir, 'data')], { PARLEY_CORS_ORIGINS: site.url });
    [a, b] = await Promise.all([openVoicePage(browser, site.url), openVoicePage(browser, site.url)]);
    await call(b, 'start', {
      server: server.url,
      channel: 'Lobby',
      name: 'ears',
      voice: { ...RAW, mode: 'push-to-talk' },
    });
    aSsrc = (
      await call(a, 'start', {
        server: server.url,
        channel: 'Lobby',
        name: 'talker',
        voice: { ...RAW, mode: 'voice-activity' },
      })
    ).ssrc;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await site?.close();
  });

  it('sends only while the tone plays: packets stop in the silence (at the recorder), spurts flagged', async () => {
    await call(b, 'takeArrivals');
    const trace = join(dir, 'rec.trace');
    const rec = await startRecording(server.url, 'Lobby', join(dir, 'rec.wav'), 4, {
      others: 2,
      extra: ['--trace', trace],
    });
    const done = await rec.done;
    expect(done.code, done.stderr).toBe(0);
    const arrived = parseTrace(readFileSync(trace, 'utf8'))
      .events.filter((e) => e.ev === 'arrived' && e.ssrc === aSsrc)
      .map((e) => e.t);
    // In 4 s: two or three spurts of 0.6 s + 0.3 s hangover (≤ 46 packets each), nothing in between.
    console.log(
      `voice activation: ${arrived.length} packets in 4 s at the recorder, longest pause ${longestPause(arrived).toFixed(0)} ms`,
    );
    expect(arrived.length).toBeGreaterThan(40);
    expect(arrived.length).toBeLessThan(0.7 * 200);
    expect(longestPause(arrived)).toBeGreaterThan(700); // 1.2 s of silence − 0.3 s of hangover − scheduling
    expect(longestPause(arrived)).toBeLessThan(1100);

    // The listening page saw the same, with TALK_START / TALK_END around each spurt.
    const mine = (await call(b, 'takeArrivals')).filter((p) => p.ssrc === aSsrc);
    const spurts: { flags: number; t: number }[][] = [];
    for (const p of mine) {
      const cur = spurts.at(-1);
      if (cur === undefined || p.t - cur.at(-1)!.t > 500) spurts.push([p]);
      else cur.push(p);
    }
    const whole = spurts.slice(1, -1); // the first and last may be cut by the window
    expect(whole.length).toBeGreaterThanOrEqual(1);
    for (const s of whole) {
      expect(s[0]!.flags & AudioFlag.TalkStart).toBe(AudioFlag.TalkStart);
      expect(s.at(-1)!.flags & AudioFlag.TalkEnd).toBe(AudioFlag.TalkEnd);
      expect(s.length).toBeGreaterThanOrEqual(30); // 0.6 s of tone
      expect(s.length).toBeLessThanOrEqual(48); // + 0.3 s of hangover + the closing frame
    }
    // self-speaking follows what is sent: on and off with the spurts.
    const self = (await call(a, 'events')).filter((e) => e.ev === 'self-speaking').map((e) => e.args[0]);
    expect(self.length).toBeGreaterThanOrEqual(4);
    expect(self.filter((on, i) => on === (i % 2 === 0)).length).toBe(self.length);
  }, 60_000);

  it('a threshold above the voice sends nothing; push-to-talk sends while pressed, silence included', async () => {
    await call(a, 'setVadThreshold', -5); // the tone is at −15 dBFS RMS
    await call(b, 'takeArrivals');
    const t0 = await call(a, 'now');
    await waitFor(async () => (await call(a, 'now')) > t0 + 2000, '2 s', { pollMs: 100 });
    const early = (await call(b, 'takeArrivals')).filter((p) => p.ssrc === aSsrc && p.t > t0 + 400);
    expect(early).toEqual([]);

    await call(a, 'setMode', 'push-to-talk');
    await call(a, 'setPushToTalk', true);
    const t1 = await call(a, 'now');
    await waitFor(async () => (await call(a, 'now')) > t1 + 2000, '2 s', { pollMs: 100 });
    await call(a, 'setPushToTalk', false);
    const pressed = (await call(b, 'takeArrivals')).filter((p) => p.ssrc === aSsrc).map((p) => p.t);
    expect(pressed.length).toBeGreaterThan(85); // ~100 frames in 2 s, silence included
    expect(longestPause(pressed)).toBeLessThan(150);
    await call(a, 'setMode', 'voice-activity');
    await call(a, 'setVadThreshold', -45);
  }, 30_000);
});

describe('RNNoise (WebAssembly) on the microphone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-rnnoise-'));
  let site: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    const mic = writeSignal(join(dir, 'noise.wav'), [{ noiseDbfs: -30, seconds: 2 }]);
    [site, browser] = await Promise.all([serveVoicePage(dir), launchWithMic(mic)]);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('takes white noise down by more than 10 dB, loaded only when asked', async () => {
    const page = await openVoicePage(browser, site.url);
    const loaded = (): Promise<boolean> =>
      page.evaluate(() => performance.getEntriesByType('resource').some((r) => r.name.includes('rnnoise')));
    const off = await call(page, 'micTest', false, 50);
    expect(await loaded()).toBe(false);
    const on = await call(page, 'micTest', false, 50, true);
    const median = (x: number[]): number => [...x].sort((p, q) => p - q)[x.length >> 1]!;
    const raw = median(off.levels.slice(10));
    const denoised = median(on.levels.slice(25)); // after RNNoise has adapted
    console.log(`RNNoise: white noise ${raw.toFixed(1)} dBFS → ${denoised.toFixed(1)} dBFS`);
    expect(Math.abs(raw - -30)).toBeLessThan(1.5);
    expect(denoised).toBeLessThan(raw - 10);
    expect(await loaded()).toBe(true);
    expect(on).toMatchObject({ tracksLive: 0, listeners: 0, contextState: 'closed' });
  }, 60_000);
});
