/**
 * The audio settings of the web app, checked on the audio itself (the
 * app's probe: apps/web/src/voice/probe.ts, test/browser/web-probe.ts):
 *
 * - RNNoise: A's microphone is speech (espeak-ng) in white noise; turning
 *   RNNoise on in A's settings takes the noise out of what B hears and
 *   keeps the speech;
 * - the microphone test: its meter follows the microphone; with loopback
 *   you hear your own microphone (an output appears, at the microphone's
 *   level) while it runs, and nothing once it stops;
 * - the output device: Chromium's fake devices list "Fake Audio Output 1"
 *   and "2" next to the default; choosing each (setSinkId) moves the call's
 *   AudioContext there (its `sinkId`, shown in the settings) and the call
 *   goes on: B's output keeps playing A at the audio clock's pace.
 *   Not testable with fake devices: that sound comes out of the chosen
 *   device (a fake output discards it);
 * - devices unplugged and plugged back during a call: Chromium's fake
 *   list never changes, so the page's `enumerateDevices` is made to hide
 *   a device, and the unplug is what the browser does then: it ends the
 *   microphone's track (`ended`) and fires `devicechange`. The engine
 *   moves to the default device, says so (a toast), and goes back to the
 *   chosen one when it is listed again; the call goes on throughout.
 *
 *   A "ana": speech in noise, voice mode "open" (sends all the time)
 *   B "bob": silence (listens)
 */
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { rmsDbfs } from '@parley/client';
import { readMono16 } from '../helpers/wav.js';
import { espeakInNoise, goInApp } from './web-app.js';
import {
  clicks,
  outputFrames,
  pageNow,
  startProbedCall,
  waitOutputFrames,
  type ProbedCall,
} from './web-probe.js';

/** One loop of A's microphone is ~4.2 s: measures take 4.4 s of 20 ms frames. */
const LOOP_FRAMES = 220;

/** The `p` quantile (0…1) of `x`. */
function quantile(x: readonly number[], p: number): number {
  const s = [...x].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}

/** Noise floor (10th percentile) and speech (90th) of 20 ms levels, dBFS. */
function floorAndSpeech(levels: readonly number[]): { floor: number; speech: number } {
  return { floor: quantile(levels, 0.1), speech: quantile(levels, 0.9) };
}

describe('web app: audio settings, on the audio', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-settings-'));
  let call: ProbedCall;
  let ana: Page;
  let bob: Page;
  let micWav: string;

  beforeAll(async () => {
    micWav = espeakInNoise(dir, 'speech', 'Parley is a voice chat. Can you hear me now?');
    call = await startProbedCall(dir, micWav);
    ({ ana, bob } = call);
    await goInApp(ana, '/settings?tab=audio');
  }, 90_000);

  afterAll(async () => {
    await call?.close();
  });

  it('RNNoise on takes the noise out of what B hears, and keeps the speech', async () => {
    const off = floorAndSpeech(
      (await waitOutputFrames(bob, 'call', await pageNow(bob), LOOP_FRAMES)).map((f) => f.db),
    );
    const rnnoise = ana.getByRole('switch', { name: 'RNNoise noise suppressor' });
    await rnnoise.click();
    await ana.getByRole('switch', { name: 'RNNoise noise suppressor', checked: true }).waitFor();
    // RNNoise acts once its wasm is loaded: A's captured frames (after it) fall below the noise.
    const since = await pageNow(ana);
    const acting = await ana.waitForFunction(
      (s) => {
        const p = (globalThis as unknown as { parleyProbed: { inputs: { t: number; db: number }[] } })
          .parleyProbed;
        return p.inputs.find((f) => f.t > s && f.db < -45)?.t ?? null;
      },
      since,
      { timeout: 20_000 },
    );
    const actingAt = (await acting.jsonValue()) as number;
    // What B hears from then on (A's clock and B's are one: web-mute.test.ts checks it), a loop's worth.
    const on = floorAndSpeech(
      (await waitOutputFrames(bob, 'call', actingAt + 500, LOOP_FRAMES)).map((f) => f.db),
    );
    console.log(
      `RNNoise: B's noise floor ${off.floor.toFixed(1)} → ${on.floor.toFixed(1)} dBFS, ` +
        `speech ${off.speech.toFixed(1)} → ${on.speech.toFixed(1)} dBFS ` +
        `(wasm acting ${(actingAt - since).toFixed(0)} ms after the switch)`,
    );
    // Off: the noise (−31 dBFS RMS) is what B hears between words. On: 10 dB less at the very least
    // (RNNoise takes it to near silence), and the speech within 4 dB of what it was.
    expect(off.floor).toBeGreaterThan(-36);
    expect(on.floor).toBeLessThan(off.floor - 10);
    expect(Math.abs(on.speech - off.speech)).toBeLessThan(4);
    expect(on.speech).toBeGreaterThan(on.floor + 20);
    await rnnoise.click();
    await ana.getByRole('switch', { name: 'RNNoise noise suppressor', checked: false }).waitFor();
  }, 60_000);

  it('the microphone test: its meter follows the microphone; with loopback you hear yourself while it runs', async () => {
    const test = ana.getByRole('region', { name: 'Microphone test' });
    const meter = test.getByRole('meter', { name: 'Microphone level' });
    const start = test.getByRole('button', { name: 'Start the test' });
    const stop = test.getByRole('button', { name: 'Stop the test' });
    // Without loopback: the meter moves, nothing is played.
    await start.click();
    await ana.waitForFunction(
      (m) => Number(m?.getAttribute('aria-valuenow')) > -40,
      await meter.elementHandle(),
    );
    expect(await outputFrames(ana, 0, 'mic-test')).toEqual([]);
    await stop.click();
    // With loopback: an output appears, at the microphone's own level (no codec, no processing).
    await test.getByRole('switch', { name: 'Hear myself (loopback)' }).click();
    const before = await pageNow(ana);
    await start.click();
    const heard = (await waitOutputFrames(ana, 'mic-test', before, LOOP_FRAMES)).map((f) => f.db);
    const mic = readMono16(readFileSync(micWav)).samples;
    const source: number[] = [];
    for (let i = 0; i + 960 <= mic.length; i += 960) source.push(rmsDbfs(mic.subarray(i, i + 960)));
    const [got, want] = [floorAndSpeech(heard), floorAndSpeech(source)];
    console.log(
      `loopback: floor ${got.floor.toFixed(1)} (file ${want.floor.toFixed(1)}), speech ${got.speech.toFixed(1)} (file ${want.speech.toFixed(1)}) dBFS`,
    );
    expect(Math.abs(got.floor - want.floor)).toBeLessThan(3);
    expect(Math.abs(got.speech - want.speech)).toBeLessThan(3);
    // Stopped: the loopback output ends (judged once A's call output has played half a second more).
    const n = (await clicks(ana)).length;
    await stop.click();
    const stoppedAt = (await clicks(ana)).slice(n).find((c) => c.label === 'Stop the test')!.t;
    await waitOutputFrames(ana, 'call', stoppedAt + 200, 25);
    expect(await outputFrames(ana, stoppedAt + 200, 'mic-test')).toEqual([]);
    await test.getByRole('switch', { name: 'Hear myself (loopback)' }).click();
  }, 60_000);

  it('the output device: the fake outputs are listed; each one chosen plays the call, which goes on', async () => {
    await goInApp(bob, '/settings?tab=audio');
    const output = bob.getByLabel('Output device');
    await output.locator('option').nth(2).waitFor({ state: 'attached' });
    const options = await output
      .locator('option')
      .evaluateAll((os) =>
        os.map((o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? '' })),
      );
    console.log(`output devices: ${options.map((o) => o.label).join(', ')}`);
    expect(options.map((o) => o.label)).toEqual([
      'System default',
      'Fake Audio Output 1',
      'Fake Audio Output 2',
    ]);
    const status = bob.getByTestId('output-in-use');
    await status.filter({ hasText: 'The call plays on: System default' }).waitFor();
    for (const o of [options[1]!, options[2]!, options[0]!]) {
      await output.selectOption(o.value);
      await status.filter({ hasText: `The call plays on: ${o.label}` }).waitFor();
      // The call goes on there. The output asks for a frame as it plays one, so 110 frames take
      // 2.2 s of playing (less what a stalled main thread had queued, and the 120 ms ring): the
      // context renders on that device. And they are A: its speech (peaks near −17 dBFS) is
      // heard, above its noise (−31), in any 2.2 s of its 4.2 s loop.
      const frames = await waitOutputFrames(bob, 'call', await pageNow(bob), 110);
      const spanMs = frames.at(-1)!.t - frames[0]!.t;
      const loudest = Math.max(...frames.map((f) => f.db));
      console.log(`${o.label}: 110 frames in ${spanMs.toFixed(0)} ms, loudest ${loudest.toFixed(1)} dBFS`);
      expect(spanMs).toBeGreaterThan(1500);
      expect(loudest).toBeGreaterThan(-26);
    }
  }, 60_000);

  it('a device unplugged during the call: the default stands in, the call goes on, and the device is used again once back', async () => {
    // The page's view of the devices: what Chromium lists, less the "unplugged" ones; and the
    // microphone streams the app opens from now on (to end the live track as an unplug does).
    const hook = () =>
      ana.evaluate(() => {
        const md = navigator.mediaDevices;
        const g = globalThis as unknown as { unplugged: Set<string>; streams: MediaStream[] };
        g.unplugged = new Set();
        g.streams = [];
        const list = md.enumerateDevices.bind(md);
        md.enumerateDevices = async () => (await list()).filter((d) => !g.unplugged.has(d.deviceId));
        const open = md.getUserMedia.bind(md);
        md.getUserMedia = async (c) => {
          const s = await open(c);
          g.streams.push(s);
          return s;
        };
      });
    const unplug = (page: Page, id: string, endTrack: boolean) =>
      page.evaluate(
        ([id, endTrack]) => {
          const g = globalThis as unknown as { unplugged: Set<string>; streams: MediaStream[] };
          g.unplugged.add(id);
          if (endTrack) {
            const track = g.streams.at(-1)!.getAudioTracks()[0]!;
            track.stop();
            track.dispatchEvent(new Event('ended'));
          }
          navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
        },
        [id, endTrack] as const,
      );
    const plugBack = (page: Page, id: string) =>
      page.evaluate((id) => {
        (globalThis as unknown as { unplugged: Set<string> }).unplugged.delete(id);
        navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
      }, id);
    /** B keeps hearing A (its speech peaks near −17 dBFS, above its −31 dBFS noise) over 2.2 s from now. */
    const bobHearsAna = async () => {
      const frames = await waitOutputFrames(bob, 'call', await pageNow(bob), 110);
      expect(Math.max(...frames.map((f) => f.db))).toBeGreaterThan(-26);
    };

    // The microphone: A picks the last fake input.
    await goInApp(ana, '/settings?tab=audio');
    const inUse = ana.getByTestId('input-in-use');
    await inUse.waitFor(); // the call's engine has started (and opened its microphone)
    await hook();
    const input = ana.getByLabel('Input device');
    await input.locator('option').nth(2).waitFor({ state: 'attached' });
    const last = input.locator('option').last();
    const [micId, micLabel] = [(await last.getAttribute('value'))!, (await last.textContent())!];
    await input.selectOption(micId);
    await inUse.filter({ hasText: `In use by the call: ${micLabel}` }).waitFor();
    const streams = () =>
      ana.evaluate(() => (globalThis as unknown as { streams: MediaStream[] }).streams.length);
    expect(await streams()).toBe(1);
    await unplug(ana, micId, true);
    await ana
      .getByText('Your microphone was unplugged: using the default microphone until it is back.')
      .waitFor();
    await inUse.filter({ hasNotText: micLabel }).waitFor();
    console.log(`unplugged ${micLabel}: ${await inUse.textContent()}`);
    expect(await streams()).toBe(2); // the default one, opened once
    await bobHearsAna();
    await plugBack(ana, micId);
    await ana.getByText('Your microphone is back: using it again.').waitFor();
    await inUse.filter({ hasText: `In use by the call: ${micLabel}` }).waitFor();
    expect(await streams()).toBe(3);
    await bobHearsAna();

    // The output: B plays on Fake Audio Output 1, which goes away and comes back.
    await goInApp(bob, '/settings?tab=audio');
    const outStatus = bob.getByTestId('output-in-use');
    await outStatus.waitFor();
    await bob.evaluate(() => {
      const md = navigator.mediaDevices;
      const g = globalThis as unknown as { unplugged: Set<string> };
      g.unplugged = new Set();
      const list = md.enumerateDevices.bind(md);
      md.enumerateDevices = async () => (await list()).filter((d) => !g.unplugged.has(d.deviceId));
    });
    const output = bob.getByLabel('Output device');
    await output.locator('option').nth(2).waitFor({ state: 'attached' });
    const out1 = output.locator('option', { hasText: 'Fake Audio Output 1' });
    const outId = (await out1.getAttribute('value'))!;
    await output.selectOption(outId);
    await outStatus.filter({ hasText: 'The call plays on: Fake Audio Output 1' }).waitFor();
    await unplug(bob, outId, false);
    await bob
      .getByText('Your output device was unplugged: playing on the default output until it is back.')
      .waitFor();
    await outStatus.filter({ hasText: 'The call plays on: System default' }).waitFor();
    await bobHearsAna();
    await plugBack(bob, outId);
    await bob.getByText('Your output device is back: playing on it again.').waitFor();
    await outStatus.filter({ hasText: 'The call plays on: Fake Audio Output 1' }).waitFor();
    await bobHearsAna();
    await output.selectOption('');
  }, 90_000);
});
