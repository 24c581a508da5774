/**
 * Ordering channels from the admin page (PUT /channels/order): the dialog
 * lists a parent's children in the tree's order, moves one with Move up /
 * Move down from the keyboard (the focus stays with it, a status line says
 * where it went), saves, and every open app shows the new order in its
 * tree at once (channel_updated). A list that changed meanwhile is refused
 * and shown again as it is.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import type { SpawnedServer } from '../helpers/processes.js';
import {
  ADMIN_PASSWORD,
  adminToken,
  axeSerious,
  goInApp,
  joinAsGuest,
  launchWithWav,
  newAppPage,
  rest,
  screenshot,
  signIn,
  soxSilence,
  startAppServer,
} from './web-app.js';

interface Channel {
  id: number;
  name: string;
  parentId: number | null;
  position: number;
}

/** The channels the order dialog lists under Rooms, in its order. */
function list(dialog: Locator): () => Promise<string[]> {
  return () =>
    dialog
      .getByRole('list', { name: 'Order of the channels under Rooms' })
      .locator('[data-channel-order]')
      .evaluateAll((li) => li.map((e) => e.getAttribute('data-channel-order') ?? ''));
}

/** Waits until `page`'s tree shows `names` in this order (others may sit between). */
async function waitTree(page: Page, names: string[]): Promise<void> {
  await page.waitForFunction((want) => {
    const shown = Array.from(document.querySelectorAll('[data-channel]'), (e) =>
      e.getAttribute('data-channel'),
    ).filter((n) => n !== null && want.includes(n));
    return JSON.stringify(shown) === JSON.stringify(want);
  }, names);
}

describe('web app: ordering channels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-order-'));
  let server: SpawnedServer;
  let browser: Browser;
  let admin: Page;
  let guest: Page;
  let token: string;
  let rooms: Channel;

  const children = async (): Promise<string[]> =>
    (
      await rest<{ items: Channel[] }>(
        server.url,
        'GET',
        `/channels?parentId=${rooms.id}&sort=position&limit=200`,
      )
    ).items.map((c) => c.name);

  beforeAll(async () => {
    server = await startAppServer(join(dir, 'data'));
    browser = await launchWithWav(soxSilence(join(dir, 'silence.wav')));
    token = await adminToken(server.url);
    rooms = await rest<Channel>(server.url, 'POST', '/channels', token, { name: 'Rooms' });
    for (const name of ['Alpha', 'Bravo', 'Charlie'])
      await rest(server.url, 'POST', '/channels', token, { name, parentId: rooms.id });
    guest = (await newAppPage(browser)).page;
    await joinAsGuest(guest, server.url, 'watcher');
    admin = (await newAppPage(browser)).page;
    await signIn(admin, server.url, 'admin', ADMIN_PASSWORD);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('moves a channel from the keyboard, saves, and every tree shows the new order', async () => {
    await waitTree(guest, ['Rooms', 'Alpha', 'Bravo', 'Charlie']);
    await admin.getByRole('link', { name: 'Administration' }).click();
    await admin.getByRole('tab', { name: 'Channels' }).click();
    await admin.getByRole('button', { name: 'Order channels' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Order channels' });
    await dialog.getByLabel('Parent channel').selectOption({ label: 'Rooms' });
    await dialog.locator('[data-channel-order="Charlie"]').waitFor();
    const items = list(dialog);
    expect(await items()).toEqual(['Alpha', 'Bravo', 'Charlie']);
    // The first can't go up, the last can't go down.
    expect(await dialog.getByRole('button', { name: 'Move Alpha up' }).isDisabled()).toBe(true);
    expect(await dialog.getByRole('button', { name: 'Move Charlie down' }).isDisabled()).toBe(true);

    /** Presses `key` on the focused button; the status line says `said`, the list reads `order`; returns the focused button. */
    const press = async (key: string, said: string, order: string[]) => {
      await admin.keyboard.press(key);
      await dialog.getByRole('status').filter({ hasText: said }).waitFor({ state: 'attached' });
      expect(await items()).toEqual(order);
      return admin.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? null);
    };
    await dialog.getByRole('button', { name: 'Move Charlie up' }).focus();
    // The focus stays with Charlie: Enter, then Space.
    expect(await press('Enter', 'Charlie: position 2 of 3', ['Alpha', 'Charlie', 'Bravo'])).toBe(
      'Move Charlie up',
    );
    // At the top its Move up is disabled: the focus goes to its Move down.
    expect(await press('Space', 'Charlie: position 1 of 3', ['Charlie', 'Alpha', 'Bravo'])).toBe(
      'Move Charlie down',
    );
    // Nothing saved yet.
    expect(await children()).toEqual(['Alpha', 'Bravo', 'Charlie']);
    expect(await axeSerious(admin)).toEqual([]);
    await screenshot(admin, 'admin-channel-order');

    await dialog.getByRole('button', { name: 'Save' }).focus();
    await admin.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    expect(await children()).toEqual(['Charlie', 'Alpha', 'Bravo']);
    // Every tree follows, without a reload: the guest's, and the admin's own.
    await waitTree(guest, ['Rooms', 'Charlie', 'Alpha', 'Bravo']);
    await goInApp(admin, '/');
    await waitTree(admin, ['Rooms', 'Charlie', 'Alpha', 'Bravo']);
  }, 60_000);

  it('a list changed meanwhile is refused, shown again as it is now, and can then be saved', async () => {
    await admin.getByRole('link', { name: 'Administration' }).click();
    await admin.getByRole('tab', { name: 'Channels' }).click();
    await admin.getByRole('button', { name: 'Order channels' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Order channels' });
    await dialog.getByLabel('Parent channel').selectOption({ label: 'Rooms' });
    await dialog.getByRole('button', { name: 'Move Bravo up' }).click();
    // Someone else adds a channel under Rooms.
    await rest(server.url, 'POST', '/channels', token, { name: 'Delta', parentId: rooms.id });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The channels changed meanwhile' }).waitFor();
    await dialog.locator('[data-channel-order="Delta"]').waitFor();
    // Nothing changed on the server (Delta came in at position 0, after Charlie: same position, older id).
    expect(await children()).toEqual(['Charlie', 'Delta', 'Alpha', 'Bravo']);
    // The dialog shows them as they are now (the tree's order: position, then name); order them again.
    const items = list(dialog);
    expect(await items()).toEqual(['Charlie', 'Delta', 'Alpha', 'Bravo']);
    await dialog.getByRole('button', { name: 'Move Bravo up' }).click();
    expect(await items()).toEqual(['Charlie', 'Delta', 'Bravo', 'Alpha']);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await children()).toEqual(['Charlie', 'Delta', 'Bravo', 'Alpha']);
    await waitTree(guest, ['Rooms', 'Charlie', 'Delta', 'Bravo', 'Alpha']);
  }, 60_000);
});
