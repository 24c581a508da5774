/**
 * The web app's audio, end to end in real Chromium with fake microphones
 * playing WAV files made with sox: B sees A speaking (`data-speaking`) and
 * its received level (`data-level`) rise, and both clear when A's tone
 * stops; mute stops A at B, deafen stops B hearing; a per-user volume of 0
 * silences one speaker only; the settings page lists the fake devices, and
 * switching the input keeps the call going.
 *
 *   A "ana":   a 440 Hz tone, always (the call's talker)
 *   C "chloe": 880 Hz for 2 s, then 3 s of silence, looped (a talker who stops)
 *   B "bob":   silence (the listener)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { SpawnedServer } from '../helpers/processes.js';
import {
  goInApp,
  joinAsGuest,
  launchWithWav,
  newAppPage,
  person,
  RAW_AUDIO,
  soxSilence,
  soxTone,
  startAppServer,
  waitLevel,
  waitSpeaking,
} from './web-app.js';

/** Who must be speaking (or not) in the tree while the output meter is judged. */
type Speaking = readonly (readonly [nickname: string, speaking: boolean])[];

/** Waits until B's output meter ("What you hear", dBFS) passes `test` while `who` speak as given. */
async function waitOutput(
  page: Page,
  test: 'above' | 'below',
  db: number,
  who: Speaking = [],
): Promise<void> {
  await page.waitForFunction(
    ([t, d, w]) => {
      const m = document.querySelector('[role="meter"][aria-label="What you hear"]');
      const v = Number(m?.getAttribute('aria-valuenow'));
      const asGiven = w.every(
        ([n, on]) =>
          document.querySelector(`[data-user="${CSS.escape(n)}"]`)?.getAttribute('data-speaking') ===
          String(on),
      );
      return m !== null && asGiven && (t === 'above' ? v > d : v < d);
    },
    [test, db, who] as const,
    { timeout: 15_000 },
  );
}

describe('web app: audio between browsers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-audio-'));
  let server: SpawnedServer;
  const browsers: Browser[] = [];
  let ana: Page;
  let bob: Page;
  let chloe: Page;

  beforeAll(async () => {
    server = await startAppServer(join(dir, 'data'));
    const [a, b, c] = await Promise.all([
      launchWithWav(soxTone(join(dir, 'a440.wav'), 440, 20)),
      launchWithWav(soxSilence(join(dir, 'silence.wav'))),
      launchWithWav(soxTone(join(dir, 'c880.wav'), 880, 2, 3)),
    ]);
    browsers.push(a, b, c);
    bob = (await newAppPage(b, { prefs: RAW_AUDIO })).page;
    await joinAsGuest(bob, server.url, 'bob');
    ana = (await newAppPage(a, { prefs: RAW_AUDIO })).page;
    await joinAsGuest(ana, server.url, 'ana');
    await bob.locator('[data-user="ana"]').waitFor();
  }, 90_000);

  afterAll(async () => {
    for (const b of browsers) await b.close();
    await server?.stop();
  });

  it("B shows A speaking and A's level rising, from the audio received", async () => {
    await waitSpeaking(bob, 'ana', true);
    // A −9 dBFS RMS tone (sox vol 0.5), through Opus: well above −30 dBFS at B.
    expect(await waitLevel(bob, 'ana', 'above', -30)).toBeLessThan(0);
    // A sees itself speaking from what it sends.
    await waitSpeaking(ana, 'ana', true);
    await waitOutput(bob, 'above', -30);
  }, 30_000);

  it('the indicator and the level clear when a talker stops (and come back when it talks again)', async () => {
    chloe = (await newAppPage(browsers[2]!, { prefs: RAW_AUDIO })).page;
    await joinAsGuest(chloe, server.url, 'chloe');
    await waitSpeaking(bob, 'chloe', true);
    await waitLevel(bob, 'chloe', 'above', -30);
    await waitSpeaking(bob, 'chloe', false);
    await waitLevel(bob, 'chloe', 'below', -60);
    await waitSpeaking(bob, 'chloe', true);
  }, 30_000);

  it('mute stops A at B; unmute brings A back', async () => {
    await waitSpeaking(bob, 'ana', true);
    await ana.getByRole('button', { name: 'Mute', exact: true }).click();
    await ana.getByRole('button', { name: 'Unmute' }).waitFor();
    await waitSpeaking(bob, 'ana', false, 2_000);
    await waitLevel(bob, 'ana', 'below', -60, 2_000);
    // Everyone sees the muted flag.
    await person(bob, 'ana').getByText('Muted', { exact: true }).waitFor({ state: 'attached' });
    await ana.getByRole('button', { name: 'Unmute' }).click();
    await waitSpeaking(bob, 'ana', true);
    await waitLevel(bob, 'ana', 'above', -30);
    await person(bob, 'ana').getByText('Muted', { exact: true }).waitFor({ state: 'detached' });
  }, 30_000);

  it('deafen stops B hearing; undeafen brings it back', async () => {
    await waitOutput(bob, 'above', -30);
    await bob.getByRole('button', { name: 'Deafen', exact: true }).click();
    await bob.getByRole('button', { name: 'Undeafen' }).waitFor();
    await waitOutput(bob, 'below', -90);
    expect(await waitLevel(bob, 'ana', 'below', -99)).toBe(-100);
    await person(ana, 'bob').getByText('Deafened', { exact: true }).waitFor({ state: 'attached' });
    await bob.getByRole('button', { name: 'Undeafen' }).click();
    await waitOutput(bob, 'above', -30);
    await waitLevel(bob, 'ana', 'above', -30);
  }, 30_000);

  it('a per-user volume of 0 silences that speaker only, and stays while they come and go', async () => {
    await person(bob, 'ana').getByRole('button', { name: 'Options for ana' }).click();
    const menu = bob.getByRole('dialog', { name: 'Options for ana' });
    await menu.getByRole('switch', { name: 'Mute ana for me' }).click();
    expect(await menu.getByRole('slider', { name: 'Volume of ana' }).inputValue()).toBe('0');
    await menu.getByRole('button', { name: 'Close' }).click();
    // Ana still talks (indicator from the audio received), but B hears nothing while Chloe is quiet…
    await waitOutput(bob, 'below', -60, [
      ['ana', true],
      ['chloe', false],
    ]);
    // …and hears Chloe when she talks.
    await waitOutput(bob, 'above', -30, [['chloe', true]]);
    await person(bob, 'ana').getByText('Mute ana for me').waitFor({ state: 'attached' });
    // Ana leaves and comes back (a new session, a new ssrc): still silent for B.
    await ana.getByRole('button', { name: 'Leave the server' }).click();
    await bob.locator('[data-user="ana"]').waitFor({ state: 'detached' });
    await joinAsGuest(ana, server.url, 'ana');
    await waitSpeaking(bob, 'ana', true);
    await waitOutput(bob, 'below', -60, [
      ['ana', true],
      ['chloe', false],
    ]);
    // Back to 100 %: heard again.
    await person(bob, 'ana').getByRole('button', { name: 'Options for ana' }).click();
    await menu.getByRole('switch', { name: 'Mute ana for me' }).click();
    await menu.getByRole('button', { name: 'Close' }).click();
    await waitOutput(bob, 'above', -30, [
      ['ana', true],
      ['chloe', false],
    ]);
  }, 60_000);

  it('push-to-talk sends only while the key is held', async () => {
    await waitSpeaking(bob, 'ana', true);
    await ana.getByLabel('Voice mode').selectOption('push-to-talk');
    await ana.getByText('Hold Space to talk').waitFor();
    // The key works anywhere but in a text field: leave the select.
    await ana.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await waitSpeaking(bob, 'ana', false);
    await ana.keyboard.down('Space');
    await waitSpeaking(bob, 'ana', true);
    await waitLevel(bob, 'ana', 'above', -30);
    await ana.keyboard.up('Space');
    await waitSpeaking(bob, 'ana', false);
    await ana.getByLabel('Voice mode').selectOption('voice-activity');
    await waitSpeaking(bob, 'ana', true);
  }, 30_000);

  it('the settings list the fake devices, and switching the input keeps the call going', async () => {
    await chloe.context().close();
    await goInApp(ana, '/settings?tab=audio');
    const input = ana.getByLabel('Input device');
    await ana.getByText(/^In use by the call: /).waitFor();
    await input.locator('option').nth(1).waitFor({ state: 'attached' });
    const options = await input.locator('option').allTextContents();
    expect(
      options.some((o) => /fake/i.test(o)),
      options.join(', '),
    ).toBe(true);
    const outputs = await ana.getByLabel('Output device').locator('option').allTextContents();
    expect(outputs.length).toBeGreaterThan(0);
    const last = input.locator('option').nth(options.length - 1);
    const [other, label] = [await last.getAttribute('value'), await last.textContent()];
    await input.selectOption(other ?? '');
    await ana.getByText(`In use by the call: ${label}`).waitFor();
    // The call went on: B still hears A, on the new input.
    await waitSpeaking(bob, 'ana', true);
    await waitLevel(bob, 'ana', 'above', -30);
    await goInApp(ana, '/settings?tab=connection');
    await ana.getByText('chacha20-poly1305').waitFor();
    // The control plane's own round trip, measured with pings.
    await ana.locator('dd[data-stat^="Round trip"]').filter({ hasText: / ms$/ }).waitFor();
    await ana.getByText('ws', { exact: true }).waitFor();
    // Bob's receiver reports (every 5 s) reach ana through the server as `quality` (docs/protocol.md §2.6).
    await ana
      .locator('dd[data-stat="How you are heard"]')
      .filter({ hasText: /^1 listening · worst MOS \d\.\d\d · worst loss \d+\.\d %$/ })
      .waitFor({ timeout: 20_000 });
  }, 60_000);
});
