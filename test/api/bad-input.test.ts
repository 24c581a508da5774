/**
 * Hostile and careless input on every write route (from the route table):
 * malformed JSON, wrong types, unknown fields, oversized bodies, wrong
 * content types. Each is a 4xx problem+json with a code — never a 500, never
 * a stack trace — and leaves every table as it was. A request that fails
 * half-way through a service (a fault injected into the audit write) rolls
 * back: no row, no live change.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { AuditStore } from '../../packages/server/src/db/audit.js';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  account,
  adminToken,
  call,
  countRows,
  expectProblem,
  liveSession,
  uniqueName,
  type LiveSession,
} from '../helpers/api.js';
import { baseFixture, fillPath, ROUTES, type Fixture, type RouteCase } from './route-table.js';

const TABLES = [
  'users',
  'channels',
  'audit_log',
  'bans',
  'chat_messages',
  'auth_sessions',
  'channel_permissions',
  'settings',
] as const;

async function snapshot(server: ParleyServer): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES) out[table] = await countRows(server, table);
  return out;
}

/** A value of another JSON type than `v`. */
function wrongType(v: unknown): unknown {
  if (typeof v === 'string') return 12345;
  if (typeof v === 'number') return 'twelve';
  if (typeof v === 'boolean') return 'yes';
  if (Array.isArray(v)) return 'not-a-list';
  if (v === null) return { nested: true };
  return 'not-an-object';
}

const WRITE_ROUTES = ROUTES.filter((r) => r.method !== 'GET');

describeEachDatabase('REST bad input', (target) => {
  let t: TestServer;
  let token: string;
  let fixture: Fixture;
  const sessions: LiveSession[] = [];

  beforeAll(async () => {
    t = await startServer({ ...(await target.makeOptions()), auth: { loginPerMinute: 100_000 } });
    token = await adminToken(t.server);
    fixture = { ...(await baseFixture(t, sessions)), caller: undefined };
  });

  afterAll(async () => {
    for (const s of sessions) s.close();
    await t?.close();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe.each(WRITE_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s',
    (_, route: RouteCase) => {
      it('answers every kind of bad body with a 4xx problem and changes nothing', async () => {
        const prepared = (await route.prepare?.(fixture)) ?? {};
        const path = `/api/v1${fillPath(route.path, prepared.params)}`;
        const valid = prepared.body;
        const send = (body: string, contentType = 'application/json') =>
          call(t.info.url, route.method, path, { token, body, contentType });

        const before = await snapshot(t.server);
        expectProblem(await send('{"name": '), 400, ErrorCode.BadMessage);
        expectProblem(await send('{"a":1,}'), 400, ErrorCode.BadMessage);
        expectProblem(await send('{"__proto__": {"role": "admin"}}'), 400, ErrorCode.BadMessage);
        expectProblem(await send(''), 400, ErrorCode.BadMessage);
        expectProblem(
          await send(JSON.stringify({ pad: 'x'.repeat(70 * 1024) })),
          413,
          ErrorCode.MessageTooLarge,
        );
        for (const type of [
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
        ]) {
          expectProblem(await send('name=x', type), 415, ErrorCode.UnsupportedMediaType);
        }
        for (const body of ['[]', '"text"', '42', 'true']) {
          expectProblem(await send(body), 400, ErrorCode.Validation);
        }
        // An unknown field, next to a valid body (or alone, where the route takes none).
        const base = valid !== null && typeof valid === 'object' ? (valid as Record<string, unknown>) : {};
        expectProblem(await send(JSON.stringify({ ...base, sneaky: 1 })), 400, ErrorCode.Validation);
        // Each field of the valid body, with a value of another type.
        for (const [field, value] of Object.entries(base)) {
          const res = await send(JSON.stringify({ ...base, [field]: wrongType(value) }));
          expectProblem(res, 400, ErrorCode.Validation);
        }
        expect(await snapshot(t.server)).toEqual(before);
      });
    },
  );

  it('rejects bad values with a code: names, lengths, enums, ranges, NUL bytes, permission names', async () => {
    const lobby = fixture.lobbyId;
    const cases: [string, string, unknown][] = [
      ['POST', '/api/v1/auth/register', { name: '', password: 'long enough' }],
      ['POST', '/api/v1/auth/register', { name: 'x'.repeat(33), password: 'long enough' }],
      ['POST', '/api/v1/auth/register', { name: 'tab\tname', password: 'long enough' }],
      ['POST', '/api/v1/auth/register', { name: 'shortpw', password: 'short' }],
      ['POST', '/api/v1/auth/login', { name: 'admin' }],
      ['POST', '/api/v1/users', { name: 'x', password: 'long enough', role: 'root' }],
      ['POST', '/api/v1/channels', { name: 'nul\u0000byte' }],
      ['POST', '/api/v1/channels', { name: 'ok', description: 'd'.repeat(1001) }],
      ['POST', '/api/v1/channels', { name: 'ok', userLimit: -1 }],
      ['POST', '/api/v1/channels', { name: 'ok', parentId: 0 }],
      ['PATCH', `/api/v1/channels/${lobby}`, {}],
      ['PUT', `/api/v1/channels/${lobby}/permissions/member`, { allow: ['Fly'], deny: [] }],
      ['PUT', `/api/v1/channels/${lobby}/permissions/king`, { allow: [], deny: [] }],
      ['POST', `/api/v1/channels/${lobby}/messages`, { text: '' }],
      ['POST', `/api/v1/channels/${lobby}/messages`, { text: 'x'.repeat(2001) }],
      ['POST', `/api/v1/channels/${lobby}/messages`, { text: '   ' }],
      ['POST', '/api/v1/bans', { reason: 'nobody' }],
      ['POST', '/api/v1/bans', { ip: 'not-an-ip' }],
      ['POST', '/api/v1/bans', { ip: '192.0.2.1', minutes: 0 }],
      ['POST', '/api/v1/bans', { ip: '192.0.2.1', minutes: 5, expiresAt: '2099-01-01T00:00:00Z' }],
      ['POST', '/api/v1/bans', { ip: '192.0.2.1', expiresAt: '2001-01-01T00:00:00Z' }],
      ['POST', '/api/v1/bans', { ip: '192.0.2.1', expiresAt: 'tomorrow' }],
      ['PATCH', '/api/v1/config', {}],
      ['PATCH', '/api/v1/config', { frameMs: 25 }],
      ['PATCH', '/api/v1/config', { defaultBitrate: 1 }],
      ['PATCH', '/api/v1/config', { allowGuests: 'no' }],
      ['POST', '/api/v1/sessions/1/mute', {}],
      ['PATCH', '/api/v1/users/1', {}],
      ['GET', '/api/v1/users/abc', undefined],
      ['GET', '/api/v1/users/0', undefined],
      ['GET', '/api/v1/users/99999999999', undefined],
      ['DELETE', '/api/v1/bans/1.5', undefined],
    ];
    const before = await snapshot(t.server);
    for (const [method, path, body] of cases) {
      const res = await call(t.info.url, method, path, { token, body });
      const p = expectProblem(res, 400);
      expect(
        [ErrorCode.Validation, ErrorCode.BadMessage],
        `${method} ${path} ${JSON.stringify(body)}`,
      ).toContain(p.code);
    }
    expect(await snapshot(t.server)).toEqual(before);
  });

  it('refusals by a service (taken name, unknown user, protected channel, cycle) write nothing', async () => {
    const server = t.server;
    const parent = await fixture.freshChannel();
    const child = (
      await server.services.channels.create(
        { userId: null, name: 'server', role: 'admin', ip: null },
        { name: uniqueName('child'), parentId: parent },
      )
    ).id;
    const taken = fixture.someone.name;
    const cases: [string, string, unknown, number, string][] = [
      [
        'POST',
        '/api/v1/users',
        { name: taken.toUpperCase(), password: 'long enough', role: 'member' },
        409,
        ErrorCode.NameTaken,
      ],
      ['POST', '/api/v1/auth/register', { name: taken, password: 'long enough' }, 409, ErrorCode.NameTaken],
      ['POST', '/api/v1/channels', { name: 'Games' }, 409, ErrorCode.NameTaken],
      [
        'POST',
        '/api/v1/channels',
        { name: uniqueName('orphan'), parentId: 2_000_000_000 },
        404,
        ErrorCode.UnknownChannel,
      ],
      ['PATCH', `/api/v1/channels/${parent}`, { parentId: child }, 409, ErrorCode.ChannelCycle],
      ['PATCH', `/api/v1/channels/${parent}`, { name: 'Lobby' }, 409, ErrorCode.NameTaken],
      ['DELETE', `/api/v1/channels/${fixture.lobbyId}`, undefined, 409, ErrorCode.ChannelProtected],
      ['POST', '/api/v1/bans', { userId: 2_000_000_000, reason: 'ghost' }, 404, ErrorCode.UnknownUser],
      [
        'POST',
        '/api/v1/sessions/4294967000/move',
        { channelId: fixture.gamesId },
        404,
        ErrorCode.UnknownSession,
      ],
      ['DELETE', '/api/v1/bans/2000000000', undefined, 404, ErrorCode.NotFound],
      [
        'PATCH',
        '/api/v1/auth/me',
        { currentPassword: 'wrong', password: 'whatever long' },
        401,
        ErrorCode.BadCredentials,
      ],
    ];
    const before = await snapshot(server);
    for (const [method, path, body, status, code] of cases) {
      expectProblem(await call(t.info.url, method, path, { token, body }), status, code);
    }
    expect(await snapshot(server)).toEqual(before);
  });

  describe('a failure half-way through a service rolls everything back', () => {
    /** The next audit write fails, as a full disk or a lost connection would make it. */
    const failNextAudit = (): void => {
      vi.spyOn(AuditStore.prototype, 'record').mockRejectedValueOnce(new Error('disk full'));
    };

    it('POST /channels: no channel row, nothing in the live tree, the name still free', async () => {
      const name = uniqueName('doomed');
      const before = await snapshot(t.server);
      failNextAudit();
      const res = await call(t.info.url, 'POST', '/api/v1/channels', { token, body: { name } });
      const p = expectProblem(res, 500, ErrorCode.Internal);
      expect(p.detail).toBeUndefined();
      expect(res.text).not.toContain('disk full');
      expect(await snapshot(t.server)).toEqual(before);
      expect(t.server.hub.findChannel(name)).toBeUndefined();
      expect((await call(t.info.url, 'POST', '/api/v1/channels', { token, body: { name } })).status).toBe(
        201,
      );
    });

    it('POST /bans: no ban, and the banned account keeps its token and session', async () => {
      const victim = await account(t.server, 'member');
      const s = await liveSession(t.info.url, { token: victim.token }, 'Lobby');
      sessions.push(s);
      const before = await snapshot(t.server);
      failNextAudit();
      expectProblem(
        await call(t.info.url, 'POST', '/api/v1/bans', { token, body: { userId: victim.id, reason: 'x' } }),
        500,
        ErrorCode.Internal,
      );
      expect(await snapshot(t.server)).toEqual(before);
      expect((await call(t.info.url, 'GET', '/api/v1/auth/me', { token: victim.token })).status).toBe(200);
      expect(t.server.hub.onlineUserIds()).toContain(victim.id);
    });

    it('DELETE /users/:id and PATCH /users/:id: the account and its tokens stay as they were', async () => {
      const victim = await account(t.server, 'member');
      const before = await snapshot(t.server);
      failNextAudit();
      expectProblem(await call(t.info.url, 'DELETE', `/api/v1/users/${victim.id}`, { token }), 500);
      failNextAudit();
      expectProblem(
        await call(t.info.url, 'PATCH', `/api/v1/users/${victim.id}`, { token, body: { role: 'moderator' } }),
        500,
      );
      expect(await snapshot(t.server)).toEqual(before);
      const me = await call<{ role: string }>(t.info.url, 'GET', '/api/v1/auth/me', { token: victim.token });
      expect(me.status).toBe(200);
      expect(me.body.role).toBe('member');
    });

    it('PATCH /config: the setting is neither stored nor applied', async () => {
      const before = await call<{ maxUsersPerChannel: number }>(t.info.url, 'GET', '/api/v1/config', {
        token,
      });
      const rows = await snapshot(t.server);
      failNextAudit();
      expectProblem(
        await call(t.info.url, 'PATCH', '/api/v1/config', { token, body: { maxUsersPerChannel: 77 } }),
        500,
      );
      expect(await snapshot(t.server)).toEqual(rows);
      const after = await call<{ maxUsersPerChannel: number }>(t.info.url, 'GET', '/api/v1/config', {
        token,
      });
      expect(after.body).toEqual(before.body);
    });

    it('PUT /channels/:id/permissions/:role: no override row, permissions unchanged', async () => {
      const id = await fixture.freshChannel();
      const before = await snapshot(t.server);
      failNextAudit();
      expectProblem(
        await call(t.info.url, 'PUT', `/api/v1/channels/${id}/permissions/member`, {
          token,
          body: { allow: [], deny: ['Enter'] },
        }),
        500,
      );
      expect(await snapshot(t.server)).toEqual(before);
      const perms = await call<{ overrides: unknown[] }>(
        t.info.url,
        'GET',
        `/api/v1/channels/${id}/permissions`,
        {
          token,
        },
      );
      expect(perms.body.overrides).toEqual([]);
    });
  });
});
