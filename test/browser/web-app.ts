/**
 * Shared set-up of the web app's browser tests (test/browser/web-*.test.ts):
 * the real server binary serving the built app (apps/web/dist, built by
 * `npm run build`) on its own origin, Chromium pages that use the app as a
 * person would (labels, buttons), and helpers for the test contract
 * (`data-user`, `data-speaking`, `data-level`), accessibility scans
 * (axe-core) and screenshots under test-results/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { ROOT, spawnServer, type SpawnedServer } from '../helpers/processes.js';

export const ADMIN_PASSWORD = 'correct-horse-battery';
export const SCREENSHOTS = join(ROOT, 'test-results', 'web');

/** The server with the built app; fails clearly when the app was not built. */
export async function startAppServer(dataDir: string, args: string[] = []): Promise<SpawnedServer> {
  if (!existsSync(join(ROOT, 'apps', 'web', 'dist', 'index.html'))) {
    throw new Error('apps/web/dist is missing: run `npm run build` first (npm test does)');
  }
  return spawnServer(['--data-dir', dataDir, ...args], { PARLEY_ADMIN_PASSWORD: ADMIN_PASSWORD });
}

/** A WAV for a fake microphone, made with sox: a tone of `seconds`, then `silence` seconds (looped by Chromium). */
export function soxTone(path: string, hz: number, seconds: number, silence = 0): string {
  const tone = ['-n', '-r', '48000', '-c', '1', '-b', '16'];
  if (silence === 0)
    execFileSync('sox', [...tone, path, 'synth', String(seconds), 'sine', String(hz), 'vol', '0.5']);
  else
    execFileSync('sox', [
      ...tone,
      path,
      'synth',
      String(seconds),
      'sine',
      String(hz),
      'vol',
      '0.5',
      'pad',
      '0',
      String(silence),
    ]);
  return path;
}

/**
 * Speech in white noise for a fake microphone: `text` spoken by espeak-ng
 * (−26 dBFS RMS, peaks at −6), then `pause` seconds of silence, with
 * uniform white noise (−31 dBFS RMS) over the whole, at 48 kHz. Returns
 * the path.
 */
export function espeakInNoise(dir: string, name: string, text: string, pause = 1.5): string {
  const [speech, speech48, noise, out] = ['speech', 'speech48', 'noise', 'mic'].map((p) =>
    join(dir, `${name}-${p}.wav`),
  ) as [string, string, string, string];
  const as48k = ['-r', '48000', '-c', '1', '-b', '16'];
  execFileSync('espeak-ng', ['-w', speech, text]);
  execFileSync('sox', [speech, ...as48k, speech48, 'vol', '0.5', 'pad', '0', String(pause)]);
  const seconds = execFileSync('soxi', ['-D', speech48], { encoding: 'utf8' }).trim();
  // -R: the same noise every run.
  execFileSync('sox', ['-R', '-n', ...as48k, noise, 'synth', seconds, 'whitenoise', 'vol', '0.05']);
  execFileSync('sox', ['-m', '-v', '1', speech48, '-v', '1', noise, out]);
  return out;
}

/** Silence for a fake microphone that must not speak. */
export function soxSilence(path: string, seconds = 30): string {
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', path, 'trim', '0', String(seconds)]);
  return path;
}

/** Chromium whose fake microphone plays `wav` (the default fake device beeps: give every browser a file). */
export function launchWithWav(wav: string): Promise<Browser> {
  return launchChromium([`--use-file-for-fake-audio-capture=${wav}`]);
}

export interface PageOptions {
  /** Preferences stored before the app starts (e.g. no browser processing, a language). */
  prefs?: Record<string, unknown>;
  viewport?: { width: number; height: number };
}

/** The browser's own processing off: a tone stays a tone. */
export const RAW_AUDIO = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };

/** A new page (own context: own storage) with `prefs` set before the app reads them; page errors fail loudly. */
export async function newAppPage(
  browser: Browser,
  opts: PageOptions = {},
): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
  if (opts.prefs !== undefined) {
    await context.addInitScript((prefs) => {
      if (localStorage.getItem('parley.prefs') === null)
        localStorage.setItem('parley.prefs', JSON.stringify(prefs));
    }, opts.prefs);
  }
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  return { page, context };
}

/** Joins as a guest from the sign-in page and waits to be listed in Lobby. */
export async function joinAsGuest(page: Page, url: string, nickname: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('Nickname').fill(nickname);
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.locator(`[data-channel="Lobby"] [data-user="${nickname}"]`).waitFor();
}

/** Signs in with the form and waits to be listed in Lobby. */
export async function signIn(page: Page, url: string, name: string, password: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('Account name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator(`[data-channel="Lobby"] [data-user="${name}"]`).waitFor();
}

/** A person as `page` shows them. */
export function person(page: Page, nickname: string) {
  return page.locator(`[data-user="${nickname}"]`);
}

/** Waits until `page` shows `nickname` speaking (or not). */
export async function waitSpeaking(
  page: Page,
  nickname: string,
  speaking: boolean,
  timeout = 10_000,
): Promise<void> {
  await page.locator(`[data-user="${nickname}"][data-speaking="${speaking}"]`).waitFor({ timeout });
}

/** Waits until the received level `page` shows for `nickname` passes `test`. */
export async function waitLevel(
  page: Page,
  nickname: string,
  test: 'above' | 'below',
  db: number,
  timeout = 10_000,
): Promise<number> {
  const handle = await page.waitForFunction(
    ([n, t, d]) => {
      const el = document.querySelector(`[data-user="${CSS.escape(n)}"]`);
      const v = Number(el?.getAttribute('data-level'));
      return el !== null && (t === 'above' ? v > d : v < d) ? v : null;
    },
    [nickname, test, db] as const,
    { timeout },
  );
  return (await handle.jsonValue()) as number;
}

/** A REST call as `token` (or anonymous). */
export async function rest<T>(
  url: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export async function adminToken(url: string): Promise<string> {
  return (
    await rest<{ token: string }>(url, 'POST', '/auth/login', undefined, {
      name: 'admin',
      password: ADMIN_PASSWORD,
    })
  ).token;
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core in the page (WCAG 2.x A/AA rules); returns the serious and critical violations. */
export async function axeSerious(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, not as a <script>: the app's CSP stays as served.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            ctx: Document,
            opts: object,
          ) => Promise<{
            violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
      }));
  });
}

/** Sets the theme and language from the top bar (the call goes on) and waits for them to apply. */
export async function setLook(page: Page, theme: 'light' | 'dark', lang: 'en' | 'fr'): Promise<void> {
  await page.locator('#lang-switch').selectOption(lang);
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
  if ((await page.evaluate(() => document.documentElement.dataset.theme)) !== theme)
    await page.locator('#theme-toggle').click();
  await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
  // No focus left on the switches (their tooltips would show in the screenshots).
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.mouse.move(0, 0);
  // Colors fade between themes (CSS transitions): judge contrast once they are done.
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
}

/** A full-page screenshot under test-results/web/. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Follows an in-app link (client-side: the call goes on). */
export async function goInApp(page: Page, path: string): Promise<void> {
  await page.evaluate((p) => {
    history.pushState(null, '', p);
    dispatchEvent(new PopStateEvent('popstate'));
  }, path);
}
