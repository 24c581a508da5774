/**
 * The first start a person meets: a guest join (Nickname + Join) leads
 * straight into Lobby; two browsers see each other there, and chat to each
 * other. Also: a nickname that is an account's name is refused on the form
 * with the server's reason; a reload keeps the guest in (session resume of
 * the tab); the web app is served by the server itself, same origin.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { SpawnedServer } from '../helpers/processes.js';
import { joinAsGuest, launchWithWav, newAppPage, person, soxSilence, startAppServer } from './web-app.js';

describe('web app: guest join and chat', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-join-'));
  let server: SpawnedServer;
  let browserA: Browser;
  let browserB: Browser;
  let ana: Page;
  let bob: Page;

  beforeAll(async () => {
    server = await startAppServer(join(dir, 'data'));
    const silence = soxSilence(join(dir, 'silence.wav'));
    [browserA, browserB] = await Promise.all([launchWithWav(silence), launchWithWav(silence)]);
  }, 60_000);

  afterAll(async () => {
    await browserA?.close();
    await browserB?.close();
    await server?.stop();
  });

  it('serves the app at / with its security headers, and index.html for app routes', async () => {
    const root = await fetch(`${server.url}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toMatch(/text\/html/);
    expect(root.headers.get('cache-control')).toBe('no-cache');
    expect(root.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval'");
    const route = await fetch(`${server.url}/admin/users`, { headers: { accept: 'text/html' } });
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<div id="root">');
    // The server's own prefixes are never the app: an unknown API route stays a problem+json 404.
    const api = await fetch(`${server.url}/api/v1/nope`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/problem\+json/);
    const sw = await fetch(`${server.url}/sw.js`);
    expect(sw.status).toBe(200);
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    const manifest = (await (await fetch(`${server.url}/manifest.webmanifest`)).json()) as {
      icons: { src: string }[];
    };
    for (const icon of manifest.icons) expect((await fetch(`${server.url}${icon.src}`)).status).toBe(200);
  });

  it('a guest lands in Lobby, and two browsers see both people there', async () => {
    ana = (await newAppPage(browserA)).page;
    await ana.goto(`${server.url}/`);
    // A stranger is sent to the sign-in page, whose guest form is the first thing offered.
    await ana.waitForURL('**/login');
    await joinAsGuest(ana, server.url, 'ana');
    expect(new URL(ana.url()).pathname).toBe('/');
    await ana.getByRole('heading', { name: 'Chat of Lobby' }).waitFor();

    bob = (await newAppPage(browserB)).page;
    await joinAsGuest(bob, server.url, 'bob');
    for (const page of [ana, bob]) {
      await page.locator('[data-channel="Lobby"] [data-user="ana"]').waitFor();
      await page.locator('[data-channel="Lobby"] [data-user="bob"]').waitFor();
      expect(await person(page, 'ana').getAttribute('data-speaking')).toBe('false');
    }
    expect(await person(ana, 'ana').getAttribute('data-self')).toBe('true');
  }, 60_000);

  it('chat between the two browsers', async () => {
    await ana.getByLabel('Message', { exact: true }).fill('hello bob');
    await ana.getByRole('button', { name: 'Send' }).click();
    await bob.getByRole('log').getByText('hello bob').waitFor();
    await bob.getByLabel('Message', { exact: true }).fill('salut ana');
    await bob.keyboard.press('Enter');
    await ana.getByRole('log').getByText('salut ana').waitFor();
    // Each message names its author.
    expect(await ana.locator('[data-author="bob"]').count()).toBe(1);
    // A third person arriving later reads the history.
    const carl = (await newAppPage(browserB)).page;
    await joinAsGuest(carl, server.url, 'carl');
    await carl.getByRole('log').getByText('hello bob').waitFor();
    await carl.getByRole('log').getByText('salut ana').waitFor();
    await carl.context().close();
    await ana.locator('[data-user="carl"]').waitFor({ state: 'detached' });
  }, 60_000);

  it('creates a temporary channel, which the others see until its last person leaves', async () => {
    await ana.getByRole('button', { name: 'New temporary channel' }).click();
    const dialog = ana.getByRole('dialog', { name: 'New temporary channel' });
    await dialog.getByLabel('Channel name').fill('Quick chat');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await ana.locator('[data-channel="Quick chat"] [data-user="ana"]').waitFor();
    await ana.getByRole('heading', { name: 'Chat of Quick chat' }).waitFor();
    const row = bob.locator('[data-channel="Quick chat"]');
    await row.getByText('Temporary channel').waitFor();
    await row.locator('[data-user="ana"]').waitFor();
    await ana.locator('[data-channel="Lobby"]').getByRole('button', { name: 'Join Lobby' }).click();
    await ana.locator('[data-channel="Lobby"] [data-user="ana"]').waitFor();
    await row.waitFor({ state: 'detached' });
  }, 30_000);

  it("refuses a guest nickname that is an account's name, with the server's reason", async () => {
    const page = (await newAppPage(browserB)).page;
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Nickname').fill('Admin');
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'This name is taken' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.context().close();
  }, 30_000);

  it('a reload keeps the guest in Lobby', async () => {
    await bob.reload();
    await bob.locator('[data-channel="Lobby"] [data-user="bob"]').waitFor();
    await bob.locator('[data-channel="Lobby"] [data-user="ana"]').waitFor();
    await ana.locator('[data-channel="Lobby"] [data-user="bob"]').waitFor();
  }, 30_000);

  it('installs its service worker (the app shell; never the API)', async () => {
    const scope = await ana.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${server.url}/`);
    // The API still goes to the network: a fresh answer, not a cached one.
    const answer = await ana.evaluate(async () => (await fetch('/api/v1/sessions')).text());
    expect(answer).toContain('"ana"');
  }, 30_000);

  it('leaves the channel and joins again', async () => {
    await bob.getByRole('button', { name: 'Leave the channel' }).click();
    await bob.getByText('You are in no channel: pick one on the left.').first().waitFor();
    await ana.locator('[data-user="bob"]').waitFor({ state: 'detached' });
    await bob.getByRole('button', { name: 'Join voice' }).click();
    await ana.locator('[data-channel="Lobby"] [data-user="bob"]').waitFor();
    await bob.getByRole('heading', { name: 'Chat of Lobby' }).waitFor();
  }, 30_000);

  it('leaving the server removes the guest from the others’ tree', async () => {
    await bob.getByRole('button', { name: 'Leave the server' }).click();
    await bob.waitForURL('**/login');
    await ana.locator('[data-user="bob"]').waitFor({ state: 'detached' });
  }, 30_000);
});

/** A TCP port free right now (the restarted server must come back on the same one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('web app: reconnects by itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-reconnect-'));
  let server: SpawnedServer | undefined;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows a banner while the server is away, and is back in its channel when it returns', async () => {
    const port = await freePort();
    const args = ['--http-port', String(port), '--channel', 'Games'];
    server = await startAppServer(join(dir, 'data'), args);
    browser = await launchWithWav(soxSilence(join(dir, 'silence.wav')));
    const page = (await newAppPage(browser)).page;
    await joinAsGuest(page, server.url, 'dora');
    await page.locator('[data-channel="Games"]').getByRole('button', { name: 'Join Games' }).click();
    await page.locator('[data-channel="Games"] [data-user="dora"]').waitFor();

    await server.stop();
    await page.getByRole('status').filter({ hasText: 'Connection lost: reconnecting' }).waitFor();
    server = await startAppServer(join(dir, 'data'), args);
    // The old session died with the server: a new one, back in Games, and the banner gone.
    await page
      .getByRole('status')
      .filter({ hasText: 'Reconnected with a new session' })
      .waitFor({ timeout: 20_000 });
    await page.locator('[data-channel="Games"] [data-user="dora"]').waitFor();
    expect(await page.getByText('Connection lost: reconnecting').count()).toBe(0);
    const sessions = (await (await fetch(`${server.url}/api/v1/sessions`)).json()) as {
      items: { name: string }[];
    };
    expect(sessions.items.map((x) => x.name)).toEqual(['dora']);
  }, 60_000);
});
