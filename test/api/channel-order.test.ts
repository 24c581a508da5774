/**
 * `PUT /api/v1/channels/order` (docs/control-plane.md "Channels"): a
 * channel's children, or the top-level channels, put in a new order at
 * once — positions 0, 1, 2… in one transaction, one audit record, a
 * `channel_updated` to every session for each channel that moved — or
 * refused with a stable code, changing nothing. On SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ErrorCode, type ChannelInfo } from '@parley/protocol';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  account,
  adminToken,
  call,
  expectProblem,
  liveSession,
  uniqueName,
  type LiveSession,
} from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

type Channel = ChannelInfo & { members: number };

describeEachDatabase('channel order', (target) => {
  let t: TestServer;
  let token: string;
  let watcher: LiveSession;

  beforeAll(async () => {
    t = await startServer(await target.makeOptions());
    token = await adminToken(t.server);
    watcher = await liveSession(t.info.url, { name: uniqueName('watcher') });
  });
  afterAll(async () => {
    watcher?.close();
    await t?.close();
  });

  const api = <T = Channel>(method: string, path: string, body?: unknown, as = token) =>
    call<T>(t.info.url, method, `/api/v1${path}`, { token: as, body });
  const order = (parentId: number | null, ids: number[], as = token) =>
    api<{ items: Channel[] }>('PUT', '/channels/order', { parentId, ids }, as);

  async function create(parentId: number | null = null): Promise<Channel> {
    const res = await api('POST', '/channels', { name: uniqueName('ch'), parentId });
    expect(res.status, res.text).toBe(201);
    return res.body;
  }

  /** The children of `parentId` (0: top level) as the REST list orders them by position. */
  async function listed(parentId: number): Promise<Channel[]> {
    const res = await api<{ items: Channel[] }>(
      'GET',
      `/channels?parentId=${parentId}&sort=position&limit=200`,
    );
    expect(res.status).toBe(200);
    return res.body.items;
  }

  /** The `channel_updated` events the watcher got after message `from`. */
  const updates = (from: number) =>
    watcher.messages
      .slice(from)
      .filter((m) => m.type === 'channel_updated')
      .map((m) => m.channel as ChannelInfo);

  /** The audit records of reorders under `parentId`. */
  async function reorderAudit(parentId: number | null): Promise<{ detail: unknown }[]> {
    const res = await api<{ items: { detail: unknown; targetId: string | null }[] }>(
      'GET',
      '/audit?action=channel.reorder&limit=200',
    );
    expect(res.status).toBe(200);
    return res.body.items.filter((a) => a.targetId === (parentId === null ? null : String(parentId)));
  }

  it("puts a channel's children in the order given: positions 0, 1, 2, told to everyone, audited once", async () => {
    const parent = await create();
    const [a, b, c] = [await create(parent.id), await create(parent.id), await create(parent.id)];
    const from = watcher.messages.length;
    const res = await order(parent.id, [c.id, a.id, b.id]);
    expect(res.status, res.text).toBe(200);
    expect(res.body.items.map((x) => [x.id, x.position])).toEqual([
      [c.id, 0],
      [a.id, 1],
      [b.id, 2],
    ]);
    expect((await listed(parent.id)).map((x) => x.id)).toEqual([c.id, a.id, b.id]);
    // c was at 0 already: only a and b moved, and only they are told.
    await waitFor(() => updates(from).length >= 2, 'two channel_updated', {
      on: [[watcher.ws, 'message', 'close']],
    });
    expect(
      updates(from)
        .map((x) => [x.id, x.position])
        .sort((p, q) => p[1]! - q[1]!),
    ).toEqual([
      [a.id, 1],
      [b.id, 2],
    ]);
    expect(t.server.hub.findChannel(a.id)?.position).toBe(1);
    const audit = await reorderAudit(parent.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toEqual({ parentId: parent.id, ids: [c.id, a.id, b.id] });
    // The same order again changes nothing: no event, no record.
    const again = watcher.messages.length;
    expect((await order(parent.id, [c.id, a.id, b.id])).status).toBe(200);
    expect(await reorderAudit(parent.id)).toHaveLength(1);
    // (The watcher's next answer comes after anything the reorder would have sent.)
    watcher.ws.send(JSON.stringify({ type: 'ping', t: 1 }));
    await waitFor(() => watcher.messages.slice(again).some((m) => m.type === 'pong'), 'pong', {
      on: [[watcher.ws, 'message', 'close']],
    });
    expect(updates(again)).toEqual([]);
  });

  it('orders the top-level channels too (parentId null)', async () => {
    await create();
    const top = (await listed(0)).map((x) => x.id);
    const reversed = [...top].reverse();
    const res = await order(null, reversed);
    expect(res.status, res.text).toBe(200);
    expect((await listed(0)).map((x) => x.id)).toEqual(reversed);
    expect(reversed.map((id) => t.server.hub.findChannel(id)?.position)).toEqual(reversed.map((_, i) => i));
    expect(await reorderAudit(null)).toHaveLength(1);
  });

  it('refuses an order that is not exactly the children now (PARLEY_ERR_CHANNEL_ORDER), changing nothing', async () => {
    const parent = await create();
    const [a, b] = [await create(parent.id), await create(parent.id)];
    const elsewhere = await create();
    const before = await listed(parent.id);
    const from = watcher.messages.length;
    for (const ids of [
      [a.id], // one missing (say, created by someone else meanwhile)
      [a.id, b.id, elsewhere.id], // one that is not a child
      [b.id, elsewhere.id], // one swapped for another
      [],
    ]) {
      expectProblem(await order(parent.id, ids), 409, ErrorCode.ChannelOrder);
    }
    // A child added after the admin read the list: the old list is stale now.
    const late = await create(parent.id);
    expectProblem(await order(parent.id, [b.id, a.id]), 409, ErrorCode.ChannelOrder);
    expect((await listed(parent.id)).map((x) => [x.id, x.position])).toEqual([
      ...before.map((x) => [x.id, x.position]),
      [late.id, 0],
    ]);
    expect(updates(from).filter((x) => x.position !== 0)).toEqual([]);
    expect(await reorderAudit(parent.id)).toEqual([]);
    // With the fresh list it works.
    expect((await order(parent.id, [late.id, b.id, a.id])).status).toBe(200);
  });

  it('validates the body, the parent and who asks, with stable codes', async () => {
    const parent = await create();
    const [a, b] = [await create(parent.id), await create(parent.id)];
    expectProblem(await order(parent.id, [a.id, a.id]), 400, ErrorCode.Validation);
    expectProblem(await api('PUT', '/channels/order', { ids: [a.id, b.id] }), 400, ErrorCode.Validation);
    expectProblem(
      await api('PUT', '/channels/order', { parentId: parent.id, ids: [a.id, b.id], extra: 1 }),
      400,
      ErrorCode.Validation,
    );
    expectProblem(await order(parent.id, [a.id, 0]), 400, ErrorCode.Validation);
    expectProblem(await order(2_000_000_000, []), 404, ErrorCode.UnknownChannel);
    const member = await account(t.server, 'member');
    expectProblem(await order(parent.id, [b.id, a.id], member.token), 403, ErrorCode.Forbidden);
    expectProblem(
      await call(t.info.url, 'PUT', '/api/v1/channels/order', {
        body: { parentId: parent.id, ids: [b.id, a.id] },
      }),
      401,
      ErrorCode.AuthRequired,
    );
    expect((await listed(parent.id)).map((x) => x.position)).toEqual([0, 0]);
    // A moderator manages channels: allowed.
    const mod = await account(t.server, 'moderator');
    expect((await order(parent.id, [b.id, a.id], mod.token)).status).toBe(200);
  });
});
