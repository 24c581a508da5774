/**
 * The authorization matrix: every /api/v1 route × anonymous / member /
 * moderator / admin, generated from test/api/route-table.ts, against a real
 * server on SQLite and on PostgreSQL. Each cell gets a fresh caller and
 * fresh targets, so a 403 is a refusal and not a missing target, and a 2xx
 * really did what it says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  account,
  adminToken,
  call,
  expectProblem,
  registeredRoutes,
  type Account,
  type LiveSession,
} from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';
import { baseFixture, CALLERS, fillPath, ROUTES, type Fixture } from './route-table.js';

describeEachDatabase('REST authorization matrix', (target) => {
  let t: TestServer;
  let base: Omit<Fixture, 'caller'>;
  const sessions: LiveSession[] = [];

  beforeAll(async () => {
    t = await startServer({ ...(await target.makeOptions()), auth: { loginPerMinute: 100_000 } });
    base = await baseFixture(t, sessions);
  });

  afterAll(async () => {
    for (const s of sessions) s.close();
    await t?.close();
  });

  it('has an entry for every registered /api/v1 route, and a route for every entry', () => {
    const registered = registeredRoutes(t.server.app)
      .filter((r) => r.url.startsWith('/api/v1/'))
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    const table = ROUTES.map((r) => `${r.method} /api/v1${r.path}`).sort();
    expect(registered.length).toBeGreaterThan(30);
    expect(
      registered.filter((r) => !table.includes(r)),
      'routes missing from route-table.ts',
    ).toEqual([]);
    expect(
      table.filter((r) => !registered.includes(r)),
      'entries with no route',
    ).toEqual([]);
  });

  describe.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_, route) => {
    it.each(CALLERS)('%s', async (caller) => {
      const who: Account | undefined = caller === 'anonymous' ? undefined : await account(t.server, caller);
      const prepared = (await route.prepare?.({ ...base, caller: who })) ?? {};
      const res = await call(t.info.url, route.method, `/api/v1${fillPath(route.path, prepared.params)}`, {
        token: who?.token,
        body: prepared.body,
      });
      const expected = route.expect[caller];
      if (expected >= 400) {
        const code =
          expected === 401 ? ErrorCode.AuthRequired : expected === 403 ? ErrorCode.Forbidden : undefined;
        expectProblem(res, expected, code);
      } else {
        expect(res.status, res.text).toBe(expected);
        if (expected === 204) expect(res.text).toBe('');
        else expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      }
    });

    if (route.missing !== undefined) {
      const missing = route.missing;
      it('admin, target that does not exist → 404', async () => {
        const res = await call(t.info.url, route.method, `/api/v1${fillPath(route.path, missing.params)}`, {
          token: await adminToken(t.server),
          body: missing.body,
        });
        expectProblem(res, 404);
      });
    }
  });

  it('shows IP addresses in the session list to moderators only', async () => {
    await base.freshGuest();
    const seen: Record<string, unknown[]> = {};
    for (const caller of CALLERS) {
      const who = caller === 'anonymous' ? undefined : await account(t.server, caller);
      const res = await call<{ items: Record<string, unknown>[] }>(
        t.info.url,
        'GET',
        '/api/v1/sessions?limit=200',
        {
          token: who?.token,
        },
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeGreaterThan(0);
      seen[caller] = res.body.items.map((s) => s.ip);
    }
    expect(seen.anonymous?.every((ip) => ip === undefined)).toBe(true);
    expect(seen.member?.every((ip) => ip === undefined)).toBe(true);
    expect(seen.moderator?.every((ip) => ip === '127.0.0.1')).toBe(true);
    expect(seen.admin?.every((ip) => ip === '127.0.0.1')).toBe(true);
  });

  it('acts on the live session: mute and priority show in presence, move changes channel, kick closes 4003', async () => {
    const mod = await account(t.server, 'moderator');
    const g = await base.freshGuest();
    const path = (a: string): string => `/api/v1/sessions/${g.id}/${a}`;
    expect(
      (
        await call(t.info.url, 'POST', path('mute'), {
          token: mod.token,
          body: { muted: true, deafened: true },
        })
      ).status,
    ).toBe(204);
    expect(
      (await call(t.info.url, 'POST', path('priority'), { token: mod.token, body: { on: true } })).status,
    ).toBe(204);
    const list = await call<{
      items: { id: number; serverMuted: boolean; serverDeafened: boolean; prioritySpeaker: boolean }[];
    }>(t.info.url, 'GET', '/api/v1/sessions?limit=200');
    expect(list.body.items.find((s) => s.id === g.id)).toMatchObject({
      serverMuted: true,
      serverDeafened: true,
      prioritySpeaker: true,
    });
    expect(
      (await call(t.info.url, 'POST', path('move'), { token: mod.token, body: { channelId: base.gamesId } }))
        .status,
    ).toBe(204);
    await waitFor(() => t.server.hub.peerBySsrc(g.id)?.media.channelId === base.gamesId, 'moved to Games');
    expect(
      (await call(t.info.url, 'POST', path('kick'), { token: mod.token, body: { reason: 'bye' } })).status,
    ).toBe(204);
    expect(await g.closed).toBe(4003);
    const audit = await call<{ items: { action: string; targetId: string }[] }>(
      t.info.url,
      'GET',
      `/api/v1/audit?targetType=session&targetId=${g.id}&limit=10`,
      { token: mod.token },
    );
    expect(audit.body.items.map((e) => e.action).sort()).toEqual([
      'session.kick',
      'session.move',
      'session.mute',
      'session.priority',
    ]);
  });

  it('a moderator cannot act on an admin, nor on another moderator', async () => {
    const mod = await account(t.server, 'moderator');
    const admin = await account(t.server, 'admin');
    const mod2 = await account(t.server, 'moderator');
    for (const target of [admin, mod2]) {
      expectProblem(
        await call(t.info.url, 'POST', '/api/v1/bans', {
          token: mod.token,
          body: { userId: target.id, reason: 'no' },
        }),
        403,
        ErrorCode.Forbidden,
      );
    }
  });
});
