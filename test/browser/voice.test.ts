/**
 * @parley/client/browser in Chromium, against a real server: a page's
 * BrowserVoice on a fake microphone (a 440 Hz tone WAV) talks to
 * `parley record`, hears `parley send`, and a second page of the same
 * browser listens (push-to-talk, never pressed: it sends nothing). The
 * assertions are on the audio itself.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { dominantFrequency, int16ToFloat, longestGapMs, rmsDbfs } from '@parley/client';
import type { StaticServer } from '../helpers/browser.js';
import { CLI, runNode, spawnServer, startRecording, type SpawnedServer } from '../helpers/processes.js';
import { readMono16 } from '../helpers/wav.js';
import { waitFor } from '../helpers/wait.js';
import { call, launchWithMic, openVoicePage, RAW, serveVoicePage, writeSignal } from './voice-harness.js';

const MIC_HZ = 440;
const BOT_HZ = 880;
const DBFS = -12;
/** A sine at DBFS peak, as RMS. */
const RMS = DBFS - 3.01;
const FRAME = 960;

/** 20 ms windows of `x` (48 kHz) louder than −40 dBFS: their start indexes. */
function loudWindows(x: Float32Array | Int16Array): number[] {
  const loud: number[] = [];
  for (let i = 0; i + FRAME <= x.length; i += FRAME)
    if (rmsDbfs(x.subarray(i, i + FRAME)) > -40) loud.push(i);
  return loud;
}

describe('BrowserVoice in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-voice-'));
  let site: StaticServer;
  let server: SpawnedServer;
  let browser: Browser;
  /** Talks: the tone microphone, voice mode 'open'. */
  let a: Page;
  /** Listens: push-to-talk never pressed. */
  let b: Page;
  let aSsrc: number;

  beforeAll(async () => {
    const mic = writeSignal(join(dir, 'mic.wav'), [{ hz: MIC_HZ, dbfs: DBFS, seconds: 2 }]);
    writeSignal(join(dir, 'bot.wav'), [{ hz: BOT_HZ, dbfs: DBFS, seconds: 1.5 }]);
    [site, browser] = await Promise.all([serveVoicePage(dir), launchWithMic(mic)]);
    server = await spawnServer(['--data-dir', join(dir, 'data')], { PARLEY_CORS_ORIGINS: site.url });
    [a, b] = await Promise.all([openVoicePage(browser, site.url), openVoicePage(browser, site.url)]);
    await call(b, 'start', {
      server: server.url,
      channel: 'Lobby',
      name: 'listener',
      voice: { ...RAW, mode: 'push-to-talk' },
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await site?.close();
  });

  it('a browser talking is heard by parley record: frequency, level, no gap', async () => {
    const out = join(dir, 'heard.wav');
    const recording = (await startRecording(server.url, 'Lobby', out, 4, { others: 1 })).done;
    const started = await call(a, 'start', {
      server: server.url,
      channel: 'Lobby',
      name: 'talker',
      voice: { ...RAW, mode: 'open' },
    });
    aSsrc = started.ssrc;
    expect(started.sampleRate).toBe(48000);
    const rec = await recording;
    expect(rec.code, rec.stderr).toBe(0);
    const x = int16ToFloat(readMono16(readFileSync(out)).samples);
    const loud = loudWindows(x);
    expect(loud.length).toBeGreaterThan(100); // at least 2 s of the 4
    const tone = x.subarray(loud[0]! + FRAME, x.length - FRAME); // from the first full frame to the end
    expect(Math.abs(dominantFrequency(tone, 48000) - MIC_HZ)).toBeLessThan(5);
    expect(Math.abs(rmsDbfs(tone) - RMS)).toBeLessThan(2);
    expect(longestGapMs(tone, 48000)).toBeLessThanOrEqual(20);
    const stats = await call(a, 'stats');
    expect(stats).toMatchObject({ transport: 'ws', cipher: 'chacha20-poly1305' });
    expect(['webcodecs', 'wasm']).toContain(stats!.encoder);
    console.log(`browser encoder: ${stats!.encoder}`);
  }, 60_000);

  it('the listening page plays what the talking page says, and marks it speaking', async () => {
    await call(b, 'takeHeard');
    await waitFor(async () => (await call(b, 'remoteLevel', aSsrc)) > RMS - 3, 'B to play A loud');
    await waitFor(
      async () =>
        (await call(b, 'events')).some((e) => e.ev === 'speaking' && e.args[0] === aSsrc && e.args[1]),
      'B to see A speaking',
    );
    const heard = await call(b, 'takeHeard');
    const x = Int16Array.from(heard.samples);
    const loud = loudWindows(x);
    const tone = x.subarray(loud[0]! + FRAME);
    expect(Math.abs(dominantFrequency(int16ToFloat(tone), 48000) - MIC_HZ)).toBeLessThan(5);
  }, 60_000);

  it('plays parley send: frequency and level, speaking true then false within 150 ms of the end', async () => {
    await call(a, 'setMuted', true); // only the bot now
    await waitFor(async () => (await call(b, 'remoteLevel', aSsrc)) < -100, 'A to fall silent at B');
    await call(b, 'takeHeard');
    const sending = runNode(CLI, [
      'send',
      join(dir, 'bot.wav'),
      '--server',
      server.url,
      '--channel',
      'Lobby',
      '--name',
      'bot',
    ]);
    await waitFor(async () => (await call(b, 'members')).some((m) => m.name === 'bot'), 'the bot to join');
    const bot = (await call(b, 'members')).find((m) => m.name === 'bot')!.ssrc;
    await waitFor(async () => (await call(b, 'remoteLevel', bot)) > RMS - 3, 'B to play the bot loud');
    const sent = await sending;
    expect(sent.code, sent.stderr).toBe(0);
    await waitFor(
      async () =>
        (await call(b, 'events')).some((e) => e.ev === 'speaking' && e.args[0] === bot && !e.args[1]),
      'the bot to stop speaking',
    );
    const events = (await call(b, 'events')).filter((e) => e.ev === 'speaking' && e.args[0] === bot);
    expect(events.map((e) => e.args[1])).toEqual([true, false]);
    const heard = await call(b, 'takeHeard');
    const x = Int16Array.from(heard.samples);
    const loud = loudWindows(x);
    expect(loud.length * 20).toBeGreaterThanOrEqual(1400);
    const tone = x.subarray(loud[0]! + FRAME, loud.at(-1));
    expect(Math.abs(dominantFrequency(int16ToFloat(tone), 48000) - BOT_HZ)).toBeLessThan(5);
    expect(Math.abs(rmsDbfs(tone) - RMS)).toBeLessThan(2);
    expect(longestGapMs(tone, 48000)).toBeLessThanOrEqual(20);
    // The indicator clears within 150 ms after the last loud audio was handed to the output.
    const lastLoudAt = heard.times[loud.at(-1)! / FRAME]!;
    const clearedAt = events[1]!.t;
    console.log(`speaking cleared ${(clearedAt - lastLoudAt).toFixed(0)} ms after the audio stopped`);
    expect(clearedAt - lastLoudAt).toBeLessThanOrEqual(150);
    await call(a, 'setMuted', false);
  }, 60_000);
});
