/**
 * The web app and the CLI in one channel hear each other: `parley send`
 * plays a tone into Lobby and the app shows that bot speaking with its
 * received level (then not, when it stops); the app talks and `parley
 * record` records its tone at the right frequency.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { dominantFrequency, int16ToFloat, rmsDbfs } from '@parley/client';
import { CLI, runNode, startRecording, type SpawnedServer } from '../helpers/processes.js';
import { readMono16 } from '../helpers/wav.js';
import {
  joinAsGuest,
  launchWithWav,
  newAppPage,
  RAW_AUDIO,
  soxSilence,
  soxTone,
  startAppServer,
  waitLevel,
  waitSpeaking,
} from './web-app.js';

describe('web app and CLI in one channel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-cli-'));
  let server: SpawnedServer;
  const browsers: Browser[] = [];
  let listener: Page;

  beforeAll(async () => {
    server = await startAppServer(join(dir, 'data'));
    browsers.push(await launchWithWav(soxSilence(join(dir, 'silence.wav'))));
    listener = (await newAppPage(browsers[0]!, { prefs: RAW_AUDIO })).page;
    await joinAsGuest(listener, server.url, 'lena');
  }, 60_000);

  afterAll(async () => {
    for (const b of browsers) await b.close();
    await server?.stop();
  });

  it('parley send: the app shows the bot speaking and its level, then not', async () => {
    const tone = soxTone(join(dir, 'bot.wav'), 660, 3);
    const sent = runNode(CLI, ['send', tone, '--server', server.url, '--channel', 'Lobby', '--name', 'bot']);
    await waitSpeaking(listener, 'bot', true, 15_000);
    expect(await waitLevel(listener, 'bot', 'above', -30)).toBeLessThan(0);
    const done = await sent;
    expect(done.code, done.stderr).toBe(0);
    await listener.locator('[data-user="bot"]').waitFor({ state: 'detached' });
  }, 60_000);

  it('the app talks and parley record hears its tone', async () => {
    const out = join(dir, 'heard.wav');
    const recording = (await startRecording(server.url, 'Lobby', out, 8, { others: 1 })).done;
    const talker = await launchWithWav(soxTone(join(dir, 'app.wav'), 440, 20));
    browsers.push(talker);
    const page = (await newAppPage(talker, { prefs: RAW_AUDIO })).page;
    await joinAsGuest(page, server.url, 'tom');
    await waitSpeaking(listener, 'tom', true);
    const rec = await recording;
    expect(rec.code, rec.stderr).toBe(0);
    const { sampleRate, samples } = readMono16(readFileSync(out));
    const x = int16ToFloat(samples);
    // Where the app's tone is: 20 ms windows above −40 dBFS (silence before it joined).
    const w = sampleRate / 50;
    const loud: number[] = [];
    for (let i = 0; i + w <= x.length; i += w) if (rmsDbfs(x.subarray(i, i + w)) > -40) loud.push(i);
    expect(loud.length * 20).toBeGreaterThanOrEqual(1000);
    const tone = x.subarray(loud[0], loud.at(-1)! + w);
    expect(Math.abs(dominantFrequency(tone, sampleRate) - 440)).toBeLessThan(5);
    // sox `vol 0.5` is −6 dBFS peak, −9 dBFS RMS; Opus and the browser keep it within a few dB.
    expect(rmsDbfs(tone)).toBeGreaterThan(-15);
  }, 60_000);
});
