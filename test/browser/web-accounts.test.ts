/**
 * Accounts and administration in the web app: register, sign out, sign in
 * (a wrong password answered with the server's reason); the admin pages
 * list and page with the API's cursors (more users than a page, made over
 * the API) and filter; an admin creates a user and a locked channel from
 * the pages, and the channel shows in the tree with its lock and limit.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { SpawnedServer } from '../helpers/processes.js';
import {
  ADMIN_PASSWORD,
  adminToken,
  goInApp,
  launchWithWav,
  joinAsGuest,
  newAppPage,
  person,
  rest,
  signIn,
  soxSilence,
  startAppServer,
} from './web-app.js';

/** The admin tables show 20 rows a page (admin/common.tsx PAGE_SIZE). */
const PAGE_SIZE = 20;

describe('web app: accounts and admin pages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-accounts-'));
  let server: SpawnedServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startAppServer(join(dir, 'data'));
    browser = await launchWithWav(soxSilence(join(dir, 'silence.wav')));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('registers, signs out, and signs in again (a wrong password says so)', async () => {
    const page = (await newAppPage(browser)).page;
    await page.goto(`${server.url}/login`);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.waitForURL('**/register');
    await page.getByLabel('Account name').fill('zoe');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Repeat the password').fill('short');
    await page.getByRole('button', { name: 'Create the account' }).click();
    // The server's problem+json: the code's message and its detail.
    await page.getByRole('alert').filter({ hasText: 'Some field is not valid.' }).waitFor();
    await page.getByLabel('Password', { exact: true }).fill('zoe-password-1');
    await page.getByLabel('Repeat the password').fill('zoe-password-1');
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.locator('[data-channel="Lobby"] [data-user="zoe"]').waitFor();
    await page.getByText('Signed in as zoe').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    await page.getByLabel('Account name').fill('zoe');
    await page.getByLabel('Password', { exact: true }).fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong name or password.' }).waitFor();
    await signIn(page, server.url, 'zoe', 'zoe-password-1');
    // A member sees no administration.
    expect(await page.getByRole('link', { name: 'Administration' }).count()).toBe(0);
    await page.context().close();
  }, 60_000);

  describe('as admin', () => {
    let admin: Page;

    beforeAll(async () => {
      const token = await adminToken(server.url);
      for (let i = 0; i < 30; i++) {
        await rest(server.url, 'POST', '/users', token, {
          name: `user${String(i).padStart(2, '0')}`,
          password: 'password-123',
          role: 'member',
        });
      }
      admin = (await newAppPage(browser)).page;
      await signIn(admin, server.url, 'admin', ADMIN_PASSWORD);
    }, 60_000);

    it('lists users a page at a time with the API cursors, and filters them', async () => {
      await admin.getByRole('link', { name: 'Administration' }).click();
      await admin.getByRole('tab', { name: 'Users', selected: true }).waitFor();
      const rows = admin.locator('table tbody tr');
      // 32 accounts (admin, zoe, user00–user29), by name: page 1 is admin, user00 … user18.
      await admin.getByRole('cell', { name: 'user18', exact: true }).waitFor();
      expect(await rows.count()).toBe(PAGE_SIZE);
      expect(await admin.getByRole('cell', { name: 'user19', exact: true }).count()).toBe(0);
      await admin.getByRole('button', { name: 'Next page' }).click();
      await admin.getByRole('cell', { name: 'zoe', exact: true }).waitFor();
      await admin.getByText('Page 2').waitFor();
      expect(await rows.count()).toBe(32 - PAGE_SIZE);
      expect(await admin.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
      await admin.getByRole('button', { name: 'Previous page' }).click();
      await admin.getByRole('cell', { name: 'user00', exact: true }).waitFor();
      // Filters go back to the first page.
      await admin.getByLabel('Search').fill('user2');
      await admin.getByRole('cell', { name: 'user29', exact: true }).waitFor();
      await admin.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 10);
      await admin.getByLabel('Search').fill('');
      await admin.getByLabel('Online').selectOption('true');
      await admin.getByRole('cell', { name: 'admin', exact: true }).waitFor();
      await admin.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);
      // One's own row offers no "Delete".
      expect(await admin.getByRole('button', { name: 'Delete admin?' }).count()).toBe(0);
      await admin.getByLabel('Online').selectOption('');
      // Deleting asks first, in the app's own dialog.
      await admin.getByLabel('Search').fill('user29');
      await admin.getByRole('button', { name: 'Delete user29?' }).click();
      const ask = admin.getByRole('dialog', { name: 'Delete user29?' });
      await ask.getByRole('button', { name: 'Cancel' }).click();
      await ask.waitFor({ state: 'hidden' });
      await admin.getByRole('button', { name: 'Delete user29?' }).click();
      await ask.getByRole('button', { name: 'Delete', exact: true }).click();
      await admin.getByText('Nothing to show.').waitFor();
      await admin.getByLabel('Search').fill('');
    }, 60_000);

    it('creates a user from the dialog (and shows a refusal from the server)', async () => {
      await admin.getByRole('button', { name: 'New user' }).click();
      const dialog = admin.getByRole('dialog', { name: 'New user' });
      await dialog.getByLabel('Name').fill('user00');
      await dialog.getByLabel('Password').fill('password-123');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.getByRole('alert').filter({ hasText: 'This name is taken' }).waitFor();
      await dialog.getByLabel('Name').fill('moderator1');
      await dialog.getByLabel('Role').selectOption('moderator');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await admin.getByLabel('Search').fill('moderator1');
      await admin.getByRole('cell', { name: 'moderator1', exact: true }).waitFor();
      expect(await admin.getByLabel('Role of moderator1').inputValue()).toBe('moderator');
    }, 60_000);

    it('creates a locked channel with a user limit; the tree shows its lock and limit', async () => {
      await admin.getByRole('tab', { name: 'Channels' }).click();
      await admin.getByRole('cell', { name: 'Lobby', exact: true }).waitFor();
      await admin.getByRole('button', { name: 'New channel' }).click();
      const dialog = admin.getByRole('dialog', { name: 'New channel' });
      await dialog.getByLabel('Channel name').fill('Secret');
      await dialog.getByLabel('User limit (0 = server default)').fill('5');
      await dialog.getByLabel('Password (empty = open)').fill('sesame');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await admin.getByRole('button', { name: 'Permissions of Secret' }).waitFor();
      // Permissions of the channel: the dialog lists each role's override.
      await admin.getByRole('button', { name: 'Permissions of Secret' }).click();
      const perms = admin.getByRole('dialog', { name: 'Permissions of Secret' });
      await perms.getByRole('combobox', { name: /^Text, Guest/ }).selectOption('deny');
      await perms.getByRole('button', { name: 'Save' }).click();
      await admin.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      await perms.getByRole('button', { name: 'Close' }).first().click();

      await goInApp(admin, '/');
      const row = admin.locator('[data-channel="Secret"]');
      await row.getByText('Password required').waitFor({ state: 'attached' });
      await row.getByText('0 of 5 people').waitFor({ state: 'attached' });
      // Admins pass channel locks: straight in, no password asked.
      await row.getByRole('button', { name: 'Join Secret' }).click();
      await admin.locator('[data-channel="Secret"] [data-user="admin"]').waitFor();
      await admin.getByRole('heading', { name: 'Chat of Secret' }).waitFor();

      // A member is asked for the password; a wrong one is refused with the server's reason.
      const zoe = (await newAppPage(browser)).page;
      await signIn(zoe, server.url, 'zoe', 'zoe-password-1');
      await zoe.locator('[data-channel="Secret"]').getByRole('button', { name: 'Join Secret' }).click();
      const ask = zoe.getByRole('dialog', { name: 'Enter Secret' });
      await ask.getByLabel('Password of Secret').fill('wrong');
      await ask.getByRole('button', { name: 'Join' }).click();
      await ask.getByRole('alert').filter({ hasText: 'Wrong channel password.' }).waitFor();
      await ask.getByLabel('Password of Secret').fill('sesame');
      await ask.getByRole('button', { name: 'Join' }).click();
      await zoe.locator('[data-channel="Secret"] [data-user="zoe"]').waitFor();
      await admin.locator('[data-channel="Secret"] [data-user="zoe"]').waitFor();
      await zoe.context().close();
    }, 60_000);

    it("moderates from a person's menu: server mute shows to everyone, kick ends the guest's session", async () => {
      const guest = (await newAppPage(browser)).page;
      await joinAsGuest(guest, server.url, 'rowdy');
      await goInApp(admin, '/');
      await admin.locator('[data-channel="Lobby"]').getByRole('button', { name: 'Join Lobby' }).click();
      await admin.locator('[data-channel="Lobby"] [data-user="rowdy"]').waitFor();
      await person(admin, 'rowdy').getByRole('button', { name: 'Options for rowdy' }).click();
      const menu = admin.getByRole('dialog', { name: 'Options for rowdy' });
      await menu.getByRole('switch', { name: 'Server mute' }).click();
      await person(guest, 'rowdy').getByText('Muted by a moderator').waitFor({ state: 'attached' });
      await menu.getByRole('switch', { name: 'Server mute', checked: true }).waitFor();
      await menu.getByRole('button', { name: 'Kick' }).click();
      await guest.getByRole('alert').filter({ hasText: 'You were kicked.' }).waitFor();
      await admin.locator('[data-user="rowdy"]').waitFor({ state: 'detached' });
      await guest.context().close();
    }, 60_000);

    it('the audit log, bans and sessions pages list with their filters', async () => {
      await goInApp(admin, '/admin/audit');
      await admin.getByRole('cell', { name: 'channel.create' }).first().waitFor();
      await admin.getByLabel('Action (e.g. ban.create)').fill('user.delete');
      await admin.getByRole('cell', { name: 'user #' }).first().waitFor();
      await admin.getByLabel('Action (e.g. ban.create)').fill('user.create');
      await admin.waitForFunction(() =>
        Array.from(document.querySelectorAll('table tbody tr td:nth-child(3)')).every(
          (td) => td.textContent === 'user.create',
        ),
      );
      expect(await admin.getByRole('button', { name: 'Next page' }).isEnabled()).toBe(true); // 31 creations, 20 a page

      await goInApp(admin, '/admin/bans');
      await admin.getByRole('button', { name: 'New ban' }).click();
      const dialog = admin.getByRole('dialog', { name: 'New ban' });
      await dialog.getByLabel(/IP address or range/).fill('203.0.113.0/24');
      await dialog.getByLabel(/Reason/).fill('spam');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await admin.getByRole('cell', { name: 'spam' }).waitFor();
      await admin.getByRole('button', { name: /^Lift/ }).click();
      await admin.getByText('Nothing to show.').waitFor();

      await goInApp(admin, '/admin/sessions');
      await admin.getByRole('cell', { name: 'admin', exact: true }).waitFor();
      await admin.getByRole('cell', { name: 'Lobby', exact: true }).waitFor();
    }, 60_000);
  });
});
