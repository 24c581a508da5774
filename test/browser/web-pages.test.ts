/**
 * Every page of the web app, as the admin (with a guest in Lobby so the
 * tree has people): an axe-core scan in the light and the dark theme finds
 * no serious or critical violation, and a screenshot of each page in both
 * themes and both languages is written under test-results/web/. Also: the
 * style guide at /design renders every component.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { SpawnedServer } from '../helpers/processes.js';
import {
  ADMIN_PASSWORD,
  axeSerious,
  goInApp,
  joinAsGuest,
  launchWithWav,
  newAppPage,
  screenshot,
  setLook,
  signIn,
  soxSilence,
  startAppServer,
} from './web-app.js';

/** Each page, how to reach it in the app, and what shows it is ready. */
const PAGES: { name: string; path: string; ready: string }[] = [
  { name: 'main', path: '/', ready: '[data-user="visitor"]' },
  { name: 'settings-audio', path: '/settings?tab=audio', ready: '[role="tabpanel"] select' },
  { name: 'settings-voice', path: '/settings?tab=voice', ready: '[role="tabpanel"] [role="meter"]' },
  { name: 'settings-appearance', path: '/settings?tab=appearance', ready: '[role="tabpanel"] select' },
  { name: 'settings-connection', path: '/settings?tab=connection', ready: '[role="tabpanel"] dl' },
  { name: 'admin-users', path: '/admin/users', ready: 'table tbody tr td' },
  { name: 'admin-channels', path: '/admin/channels', ready: 'table tbody tr td' },
  { name: 'admin-bans', path: '/admin/bans', ready: 'table tbody tr td' },
  { name: 'admin-sessions', path: '/admin/sessions', ready: 'table tbody tr td' },
  { name: 'admin-audit', path: '/admin/audit', ready: 'table tbody tr td' },
  { name: 'admin-settings', path: '/admin/settings', ready: '[role="tabpanel"] form' },
  { name: 'design', path: '/design', ready: 'table tbody tr td' },
];

const LOOKS = [
  { theme: 'light', lang: 'en' },
  { theme: 'dark', lang: 'en' },
  { theme: 'light', lang: 'fr' },
  { theme: 'dark', lang: 'fr' },
] as const;

describe('web app pages: accessibility and screenshots', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-pages-'));
  let server: SpawnedServer;
  let browser: Browser;
  let admin: Page;
  let stranger: Page;

  beforeAll(async () => {
    server = await startAppServer(join(dir, 'data'), ['--channel', 'Games']);
    browser = await launchWithWav(soxSilence(join(dir, 'silence.wav')));
    const guest = (await newAppPage(browser)).page;
    await joinAsGuest(guest, server.url, 'visitor');
    await guest.locator('#chat-input').fill('Bonjour à tous !');
    await guest.keyboard.press('Enter');
    admin = (await newAppPage(browser)).page;
    await signIn(admin, server.url, 'admin', ADMIN_PASSWORD);
    await admin.locator('[data-user="visitor"]').waitFor();
    stranger = (await newAppPage(browser)).page;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the sign-in and register pages pass axe in both themes; screenshots in en/fr', async () => {
    for (const path of ['/login', '/register', '/no-such-page']) {
      await stranger.goto(`${server.url}${path}`);
      await stranger.locator('h1').waitFor();
      for (const look of LOOKS) {
        await setLook(stranger, look.theme, look.lang);
        if (look.lang === 'en') expect(await axeSerious(stranger), `${path} ${look.theme}`).toEqual([]);
        const name = path === '/no-such-page' ? 'not-found' : path.slice(1);
        await screenshot(stranger, `${name}-${look.theme}-${look.lang}`);
      }
    }
  }, 120_000);

  it('every signed-in page passes axe in both themes; screenshots in en/fr', async () => {
    for (const p of PAGES) {
      await goInApp(admin, p.path);
      await admin.locator(p.ready).first().waitFor();
      for (const look of LOOKS) {
        await setLook(admin, look.theme, look.lang);
        await admin.locator(p.ready).first().waitFor();
        if (look.lang === 'en') expect(await axeSerious(admin), `${p.path} ${look.theme}`).toEqual([]);
        await screenshot(admin, `${p.name}-${look.theme}-${look.lang}`);
      }
    }
    // The call went on through every page: still in Lobby with the visitor.
    await goInApp(admin, '/');
    await admin.locator('[data-channel="Lobby"] [data-user="visitor"]').waitFor();
  }, 240_000);

  it('/design shows every component', async () => {
    await stranger.goto(`${server.url}/design`);
    await setLook(stranger, 'light', 'en');
    await stranger.getByRole('heading', { name: 'Design system', level: 1 }).waitFor();
    for (const section of [
      'Color',
      'Type',
      'Button',
      'Icon button',
      'Input and select',
      'Slider and toggle',
      'Dialog and toast',
      'Tooltip',
      'Avatar',
      'Level meter',
      'Tabs',
      'Table with cursor pagination',
    ]) {
      await stranger.getByRole('heading', { name: section, level: 2, exact: true }).waitFor();
    }
    expect(await stranger.locator('[role="switch"]').count()).toBeGreaterThanOrEqual(3);
    expect(await stranger.locator('[role="meter"]').count()).toBe(4);
    await stranger.getByRole('tab', { name: 'Second' }).click();
    await stranger.getByText('Panel of the two tab.').waitFor();
    // The table pages with a cursor: 45 rows, 10 a page.
    await stranger.getByRole('button', { name: 'Next page' }).click();
    await stranger.getByRole('cell', { name: 'Row 11', exact: true }).waitFor();
    await stranger.getByRole('button', { name: 'Previous page' }).click();
    await stranger.getByRole('cell', { name: 'Row 1', exact: true }).waitFor();
    // A dialog opens, traps focus, and Escape closes it.
    await stranger.getByRole('button', { name: 'Open a dialog' }).click();
    await stranger.getByRole('dialog', { name: 'A dialog' }).waitFor();
    await stranger.keyboard.press('Escape');
    await stranger.getByRole('dialog').waitFor({ state: 'hidden' });
    await stranger.getByRole('button', { name: 'Error toast' }).click();
    await stranger.getByRole('alert').filter({ hasText: 'PARLEY_ERR_INTERNAL' }).waitFor();
  }, 60_000);
});
