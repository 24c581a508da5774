/**
 * Lists (docs/control-plane.md "Lists") on 1,000+ seeded rows, on SQLite
 * and PostgreSQL: every page walk returns exactly the rows an in-memory
 * sort / filter of the table gives, in the same order, without duplicates
 * or gaps (also while rows are added); bad values and forged cursors are
 * 400s with a code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  account,
  adminToken,
  bulkInsert,
  call,
  expectProblem,
  liveSession,
  passwordHash,
  type ApiResponse,
  type LiveSession,
} from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface UserItem {
  id: number;
  name: string;
  role: string;
  createdAt: string;
  online: boolean;
}

const T0 = Date.parse('2024-03-01T00:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const ROLES = ['admin', 'moderator', 'member'] as const;
const ACTIONS = ['user.create', 'ban.create', 'channel.update', 'session.kick', 'config.update'] as const;

/** (key, id) ascending, like the server's keyset order. */
function byKey<T extends { id: number }>(
  key: (r: T) => string | number,
  desc = false,
): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    const c = ka < kb ? -1 : ka > kb ? 1 : a.id - b.id;
    return desc ? -c : c;
  };
}

describeEachDatabase('REST lists', (target) => {
  let t: TestServer;
  let server: ParleyServer;
  let token: string;
  let lobbyId: number;
  const live: LiveSession[] = [];
  const onlineIds: number[] = [];

  /** Walks every page of `path` (a query string may be there already), checking the envelope. */
  async function walk<T>(path: string, maxPages = 2000): Promise<{ items: T[]; pages: number }> {
    const items: T[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res: ApiResponse<Page<T>> = await call<Page<T>>(
        t.info.url,
        'GET',
        cursor === null ? path : `${path}${sep}cursor=${encodeURIComponent(cursor)}`,
        { token },
      );
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
      pages += 1;
      if (pages > maxPages) throw new Error(`more than ${maxPages} pages for ${path}`);
    } while (cursor !== null);
    return { items, pages };
  }

  async function allUsers(): Promise<UserItem[]> {
    const rows = await server.services.ctx.db
      .selectFrom('users')
      .select(['id', 'name', 'name_key', 'role', 'created_at'])
      .execute();
    const online = new Set(server.hub.onlineUserIds());
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      createdAt: r.created_at,
      online: online.has(r.id),
    }));
  }

  beforeAll(async () => {
    t = await startServer({ ...(await target.makeOptions()), auth: { loginPerMinute: 100_000 } });
    server = t.server;
    token = await adminToken(server);
    lobbyId = server.hub.findChannel('Lobby')?.id ?? 0;
    const hash = await passwordHash();
    // 1,200 accounts; creation times collide in pairs so that ties are broken by id.
    await bulkInsert(
      server,
      'users',
      Array.from({ length: 1200 }, (_, i) => {
        const name = `${i % 3 === 0 ? 'User' : 'user'}-${String((i * 7919) % 1200).padStart(4, '0')}-${i}`;
        return {
          name,
          name_key: name.toLowerCase(),
          password_hash: hash,
          role: ROLES[i % 20 === 0 ? 0 : i % 5 === 0 ? 1 : 2],
          created_at: iso(T0 + ((i * 37) % 600) * 60_000),
        };
      }),
    );
    // 1,000 audit entries, 300 bans (some expired), 1,100 chat messages in the Lobby.
    await bulkInsert(
      server,
      'audit_log',
      Array.from({ length: 1000 }, (_, i) => ({
        actor_id: (i % 7) + 1,
        actor_name: `actor${(i % 7) + 1}`,
        action: ACTIONS[i % ACTIONS.length],
        target_type: i % 2 === 0 ? 'user' : 'channel',
        target_id: String(i % 50),
        detail: JSON.stringify({ i }),
        ip: null,
        created_at: iso(T0 + ((i * 13) % 500) * 1000),
      })),
    );
    const now = Date.now();
    await bulkInsert(
      server,
      'bans',
      Array.from({ length: 300 }, (_, i) => ({
        user_id: null,
        user_name: i % 2 === 0 ? `Banned-${i}` : null,
        ip: i % 2 === 0 ? null : `198.51.100.${i % 250}`,
        reason: `reason ${i}`,
        created_by: 1,
        created_at: iso(T0 + ((i * 11) % 200) * 60_000),
        expires_at: i % 3 === 0 ? null : i % 3 === 1 ? iso(now + 86_400_000) : iso(now - 86_400_000),
      })),
    );
    await bulkInsert(
      server,
      'chat_messages',
      Array.from({ length: 1100 }, (_, i) => ({
        channel_id: lobbyId,
        author_id: i % 4 === 0 ? null : 1,
        author_name: i % 4 === 0 ? 'a guest' : 'admin',
        text: `message ${i} ${i % 10 === 0 ? 'Needle' : 'hay'}`,
        created_at: iso(T0 + Math.floor(i / 3) * 1000),
      })),
    );
    // Some accounts online: a live WebSocket session with their token.
    for (const role of ['member', 'moderator', 'member'] as const) {
      const a = await account(server, role, `Online-${role}-${live.length}`);
      live.push(await liveSession(t.info.url, { token: a.token }, 'Lobby'));
      onlineIds.push(a.id);
    }
    await waitFor(() => onlineIds.every((id) => server.hub.onlineUserIds().includes(id)), 'accounts online');
  });

  afterAll(async () => {
    for (const s of live) s.close();
    await t?.close();
  });

  describe('users', () => {
    it.each([
      ['id', 50],
      ['-id', 199],
      ['name', 37],
      ['-name', 120],
      ['createdAt', 64],
      ['-createdAt', 200],
    ] as const)('sort=%s, limit=%i: every account once, in the in-memory order', async (sort, limit) => {
      const expected = await allUsers();
      expect(expected.length).toBeGreaterThan(1200);
      const field = sort.replace('-', '');
      const key =
        field === 'name'
          ? (u: UserItem) => u.name.toLowerCase()
          : field === 'createdAt'
            ? (u: UserItem) => u.createdAt
            : (u: UserItem) => u.id;
      expected.sort(byKey(key, sort.startsWith('-')));
      const { items, pages } = await walk<UserItem>(`/api/v1/users?sort=${sort}&limit=${limit}`);
      expect(pages).toBe(Math.ceil(expected.length / limit));
      expect(new Set(items.map((u) => u.id)).size).toBe(items.length);
      expect(items.map((u) => u.id)).toEqual(expected.map((u) => u.id));
      expect(items).toEqual(expected);
    });

    it('default: limit 50, sorted by id', async () => {
      const res = await call<Page<UserItem>>(t.info.url, 'GET', '/api/v1/users', { token });
      expect(res.body.items).toHaveLength(50);
      const ids = res.body.items.map((u) => u.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(res.body.nextCursor).toEqual(expect.any(String));
    });

    it('no duplicates or gaps while rows are added during the walk', async () => {
      const before = await allUsers();
      const hash = await passwordHash();
      for (const [sort, expectNew] of [
        ['id', true],
        ['-createdAt', false],
      ] as const) {
        const seen: number[] = [];
        let cursor: string | null = null;
        let page = 0;
        const added: number[] = [];
        do {
          const q = `/api/v1/users?sort=${sort}&limit=100${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
          const res: ApiResponse<Page<UserItem>> = await call<Page<UserItem>>(t.info.url, 'GET', q, {
            token,
          });
          seen.push(...res.body.items.map((u) => u.id));
          cursor = res.body.nextCursor;
          if (++page === 3) {
            // New accounts: the highest ids, and the newest creation time.
            const start = added.length;
            for (let i = 0; i < 20; i++) {
              const u = await server.services.ctx.stores.users.create(
                `late-${sort}-${start + i}`,
                hash,
                'member',
              );
              added.push(u.id);
            }
          }
        } while (cursor !== null);
        expect(new Set(seen).size).toBe(seen.length);
        const expected = before
          .map((u) => u.id)
          .concat(expectNew ? added : [])
          .sort((a, b) => a - b);
        expect([...seen].sort((a, b) => a - b)).toEqual(expected);
        before.push(...(await allUsers()).filter((u) => added.includes(u.id)));
      }
    });

    it('combined filters (role + q + createdAfter/Before + online) equal an in-memory filter', async () => {
      const all = await allUsers();
      const after = iso(T0 + 100 * 60_000);
      const before = iso(T0 + 400 * 60_000);
      const cases: [string, (u: UserItem) => boolean][] = [
        ['role=moderator', (u) => u.role === 'moderator'],
        ['role=admin&role=moderator', (u) => u.role === 'admin' || u.role === 'moderator'],
        [
          'role=admin,member&q=USER-01',
          (u) => u.role !== 'moderator' && u.name.toLowerCase().includes('user-01'),
        ],
        [`createdAfter=${after}&createdBefore=${before}`, (u) => u.createdAt > after && u.createdAt < before],
        [
          `role=member&q=9&createdAfter=${encodeURIComponent('2024-03-01T03:00:00+02:00')}`,
          (u) => u.role === 'member' && u.name.includes('9') && u.createdAt > iso(T0 + 60 * 60_000),
        ],
        ['online=true', (u) => onlineIds.includes(u.id)],
        ['online=true&role=moderator', (u) => onlineIds.includes(u.id) && u.role === 'moderator'],
        [
          'online=false&q=online',
          (u) => !onlineIds.includes(u.id) && u.name.toLowerCase().includes('online'),
        ],
        ['q=%25', (u) => u.name.includes('%')],
        ['q=_', (u) => u.name.includes('_')],
      ];
      for (const [query, pred] of cases) {
        const expected = all.filter(pred).sort(byKey((u) => u.name.toLowerCase()));
        const { items } = await walk<UserItem>(`/api/v1/users?${query}&sort=name&limit=25`);
        expect(
          items.map((u) => u.id),
          query,
        ).toEqual(expected.map((u) => u.id));
      }
      const online = await call<Page<UserItem>>(t.info.url, 'GET', '/api/v1/users?online=true', { token });
      expect(online.body.items.map((u) => u.id).sort()).toEqual([...onlineIds].sort());
      expect(online.body.items.every((u) => u.online)).toBe(true);
    });

    it.each([
      ['limit=0', ErrorCode.Validation],
      ['limit=201', ErrorCode.Validation],
      ['limit=1000', ErrorCode.Validation],
      ['limit=-1', ErrorCode.Validation],
      ['limit=2.5', ErrorCode.Validation],
      ['limit=abc', ErrorCode.Validation],
      ['limit=1&limit=2', ErrorCode.Validation],
      ['sort=password', ErrorCode.Validation],
      ['sort=-bogus', ErrorCode.Validation],
      ['sort=--name', ErrorCode.Validation],
      ['createdAfter=yesterday', ErrorCode.Validation],
      ['createdAfter=2024-13-01', ErrorCode.Validation],
      ['createdBefore=2024-02-30', ErrorCode.Validation],
      ['createdBefore=', ErrorCode.Validation],
      ['role=root', ErrorCode.Validation],
      ['role=,', ErrorCode.Validation],
      ['online=maybe', ErrorCode.Validation],
      ['online=1', ErrorCode.Validation],
      ['q=', ErrorCode.Validation],
      ['unknown=1', ErrorCode.Validation],
      ['password_hash=x', ErrorCode.Validation],
      ['cursor=abc', ErrorCode.BadCursor],
      ['cursor=' + Buffer.from('[1,2,"id"]').toString('base64url') + '&sort=name', ErrorCode.BadCursor],
      ['cursor=' + Buffer.from('["x",2,"id"]').toString('base64url'), ErrorCode.BadCursor],
      ['cursor=' + Buffer.from('[5,1099511627776,"id"]').toString('base64url'), ErrorCode.BadCursor],
      ['cursor=' + Buffer.from('[5,3]').toString('base64url'), ErrorCode.BadCursor],
      ['cursor=' + Buffer.from('{"v":1}').toString('base64url'), ErrorCode.BadCursor],
      [
        'cursor=' + Buffer.from('["a\\u0000",3,"name_key"]').toString('base64url') + '&sort=name',
        ErrorCode.BadCursor,
      ],
    ])('?%s → 400 %s', async (query, code) => {
      expectProblem(await call(t.info.url, 'GET', `/api/v1/users?${query}`, { token }), 400, code);
    });

    it('a cursor only works with the sort it came from', async () => {
      const first = await call<Page<UserItem>>(t.info.url, 'GET', '/api/v1/users?sort=name&limit=3', {
        token,
      });
      const cursor = encodeURIComponent(first.body.nextCursor ?? '');
      expect(
        (await call(t.info.url, 'GET', `/api/v1/users?sort=name&cursor=${cursor}`, { token })).status,
      ).toBe(200);
      for (const sort of ['-name', 'id', 'createdAt']) {
        expectProblem(
          await call(t.info.url, 'GET', `/api/v1/users?sort=${sort}&cursor=${cursor}`, { token }),
          400,
          ErrorCode.BadCursor,
        );
      }
    });
  });

  describe('audit', () => {
    interface Entry {
      id: number;
      action: string;
      actorId: number | null;
      targetType: string;
      targetId: string | null;
      createdAt: string;
    }
    async function allEntries(): Promise<Entry[]> {
      const rows = await server.services.ctx.db.selectFrom('audit_log').selectAll().execute();
      return rows.map((r) => ({
        id: r.id,
        action: r.action,
        actorId: r.actor_id,
        targetType: r.target_type,
        targetId: r.target_id,
        createdAt: r.created_at,
      }));
    }

    it('newest first by default; every entry once', async () => {
      const expected = (await allEntries()).sort(byKey((e) => e.createdAt, true));
      expect(expected.length).toBeGreaterThan(1000);
      const { items } = await walk<Entry>('/api/v1/audit?limit=150');
      expect(items.map((e) => e.id)).toEqual(expected.map((e) => e.id));
      const asc = await walk<Entry>('/api/v1/audit?limit=200&sort=id');
      expect(asc.items.map((e) => e.id)).toEqual(expected.map((e) => e.id).sort((a, b) => a - b));
    });

    it('filters equal an in-memory filter', async () => {
      const all = await allEntries();
      const after = iso(T0 + 100_000);
      const cases: [string, (e: Entry) => boolean][] = [
        ['action=ban.create', (e) => e.action === 'ban.create'],
        [
          'action=ban.create,session.kick&actorId=3',
          (e) => ['ban.create', 'session.kick'].includes(e.action) && e.actorId === 3,
        ],
        [
          'action=ban.create&action=config.update&targetType=user',
          (e) => ['ban.create', 'config.update'].includes(e.action) && e.targetType === 'user',
        ],
        [
          `targetType=channel&targetId=7&createdAfter=${after}`,
          (e) => e.targetType === 'channel' && e.targetId === '7' && e.createdAt > after,
        ],
        [`createdBefore=${after}`, (e) => e.createdAt < after],
      ];
      for (const [query, pred] of cases) {
        const expected = all.filter(pred).sort(byKey((e) => e.createdAt, true));
        expect(expected.length, query).toBeGreaterThan(0);
        const { items } = await walk<Entry>(`/api/v1/audit?${query}&limit=40`);
        expect(
          items.map((e) => e.id),
          query,
        ).toEqual(expected.map((e) => e.id));
      }
    });

    it.each(['limit=0', 'sort=action', 'actorId=x', 'actorId=0', 'action=', 'createdAfter=soon', 'who=me'])(
      '?%s → 400',
      async (query) => {
        expectProblem(
          await call(t.info.url, 'GET', `/api/v1/audit?${query}`, { token }),
          400,
          ErrorCode.Validation,
        );
      },
    );
  });

  describe('bans', () => {
    interface BanItem {
      id: number;
      userName: string | null;
      ip: string | null;
      createdAt: string;
      expiresAt: string | null;
    }
    async function allBans(): Promise<BanItem[]> {
      const rows = await server.services.ctx.db.selectFrom('bans').selectAll().execute();
      return rows.map((r) => ({
        id: r.id,
        userName: r.user_name,
        ip: r.ip,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      }));
    }

    it('pages, sorts and filters like an in-memory list', async () => {
      const all = await allBans();
      expect(all.length).toBeGreaterThanOrEqual(300);
      const now = new Date().toISOString();
      const active = (b: BanItem): boolean => b.expiresAt === null || b.expiresAt > now;
      const mid = iso(T0 + 100 * 60_000);
      const cases: [string, (b: BanItem) => boolean, boolean][] = [
        ['limit=33', () => true, true],
        ['limit=200&sort=createdAt', () => true, false],
        ['active=true&limit=45', active, true],
        ['active=false&limit=45', (b) => !active(b), true],
        ['q=banned-1&limit=10', (b) => (b.userName ?? '').toLowerCase().includes('banned-1'), true],
        ['q=198.51.100.7&limit=10', (b) => (b.ip ?? '').includes('198.51.100.7'), true],
        [`createdAfter=${mid}&active=true&limit=20`, (b) => b.createdAt > mid && active(b), true],
      ];
      for (const [query, pred, desc] of cases) {
        const expected = all.filter(pred).sort(byKey((b) => b.createdAt, desc));
        expect(expected.length, query).toBeGreaterThan(0);
        const { items } = await walk<BanItem>(`/api/v1/bans?${query}`);
        expect(
          items.map((b) => b.id),
          query,
        ).toEqual(expected.map((b) => b.id));
      }
    });

    it.each(['active=yes', 'sort=ip', 'limit=500', 'createdBefore=2024-01-01T99:00:00Z', 'reason=x'])(
      '?%s → 400',
      async (query) => {
        expectProblem(
          await call(t.info.url, 'GET', `/api/v1/bans?${query}`, { token }),
          400,
          ErrorCode.Validation,
        );
      },
    );
  });

  describe('chat history', () => {
    interface Msg {
      id: number;
      text: string;
      createdAt: string;
    }
    async function allMessages(): Promise<Msg[]> {
      const rows = await server.services.ctx.db
        .selectFrom('chat_messages')
        .selectAll()
        .where('channel_id', '=', lobbyId)
        .execute();
      return rows.map((r) => ({ id: r.id, text: r.text, createdAt: r.created_at }));
    }

    it('newest first by default, every message once; oldest first on request; q filters', async () => {
      const all = await allMessages();
      expect(all.length).toBeGreaterThanOrEqual(1100);
      const newest = [...all].sort(byKey((m) => m.id, true));
      const { items } = await walk<Msg>(`/api/v1/channels/${lobbyId}/messages?limit=200`);
      expect(items.map((m) => m.id)).toEqual(newest.map((m) => m.id));
      const oldest = [...all].sort(byKey((m) => m.createdAt));
      const asc = await walk<Msg>(`/api/v1/channels/${lobbyId}/messages?sort=createdAt&limit=150`);
      expect(asc.items.map((m) => m.id)).toEqual(oldest.map((m) => m.id));
      const needle = all
        .filter((m) => m.text.toLowerCase().includes('needle'))
        .sort(byKey((m) => m.id, true));
      const q = await walk<Msg>(`/api/v1/channels/${lobbyId}/messages?q=NEEDLE&limit=30`);
      expect(q.items.map((m) => m.id)).toEqual(needle.map((m) => m.id));
      // Anonymous callers read too: guests may enter the Lobby.
      const anon = await call<Page<Msg>>(t.info.url, 'GET', `/api/v1/channels/${lobbyId}/messages?limit=1`);
      expect(anon.body.items[0]?.id).toBe(newest[0]?.id);
    });

    it.each([
      ['limit=0', ErrorCode.Validation],
      ['sort=text', ErrorCode.Validation],
      ['before=5', ErrorCode.Validation],
      ['cursor=' + Buffer.from('[1,1,"-id"]').toString('base64url') + '&sort=createdAt', ErrorCode.BadCursor],
      ['cursor=%%%', ErrorCode.BadCursor],
    ])('?%s → 400 %s', async (query, code) => {
      expectProblem(
        await call(t.info.url, 'GET', `/api/v1/channels/${lobbyId}/messages?${query}`, { token }),
        400,
        code,
      );
    });
  });

  describe('sessions', () => {
    it('pages the live sessions by name and id; filters by channel, role, name', async () => {
      const guests: LiveSession[] = [];
      try {
        for (const n of ['Zed', 'amy', 'Bob', 'carl']) {
          guests.push(await liveSession(t.info.url, { name: `g-${n}` }, n === 'carl' ? 'Games' : 'Lobby'));
        }
        const peers = server.hub.allPeers();
        const byName = [...peers].sort((a, b) => {
          const ka = a.actor.name.toLowerCase();
          const kb = b.actor.name.toLowerCase();
          return ka < kb ? -1 : ka > kb ? 1 : a.media.ssrc - b.media.ssrc;
        });
        const walked = await walk<{ id: number; name: string }>('/api/v1/sessions?sort=name&limit=2');
        expect(walked.items.map((s) => s.id)).toEqual(byName.map((p) => p.media.ssrc));
        const desc = await walk<{ id: number }>('/api/v1/sessions?sort=-id&limit=3');
        expect(desc.items.map((s) => s.id)).toEqual(peers.map((p) => p.media.ssrc).sort((a, b) => b - a));
        const games = server.hub.findChannel('Games')?.id ?? 0;
        const inGames = await walk<{ name: string }>(`/api/v1/sessions?channelId=${games}`);
        expect(inGames.items.map((s) => s.name)).toEqual(['g-carl']);
        const g = await walk<{ name: string }>('/api/v1/sessions?role=guest&q=G-&limit=1');
        expect(g.items.map((s) => s.name).sort()).toEqual(['g-Bob', 'g-Zed', 'g-amy', 'g-carl']);
        const members = await walk<{ role: string }>('/api/v1/sessions?role=member,moderator');
        expect(members.items.map((s) => s.role).sort()).toEqual(['member', 'member', 'moderator']);
        for (const bad of ['role=king', 'sort=ip', 'channelId=x', 'limit=0', 'cursor=zzz']) {
          const res = await call(t.info.url, 'GET', `/api/v1/sessions?${bad}`);
          expectProblem(res, 400, bad.startsWith('cursor') ? ErrorCode.BadCursor : ErrorCode.Validation);
        }
      } finally {
        for (const s of guests) s.close();
      }
    });
  });

  it('channels: q, parentId and the compatible item shape', async () => {
    // The sessions test's guests have gone: only the three accounts are in the Lobby.
    await waitFor(() => server.hub.memberCount(lobbyId) === 3, 'guests gone');
    const res = await call<Page<Record<string, unknown>>>(
      t.info.url,
      'GET',
      '/api/v1/channels?parentId=0&sort=name',
    );
    expect(res.status).toBe(200);
    expect(res.body.items.map((c) => c.name)).toEqual(['Games', 'Lobby']);
    for (const c of res.body.items) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['id', 'name', 'createdAt', 'members']));
      expect(c).not.toHaveProperty('passwordHash');
    }
    expect(res.body.items.find((c) => c.name === 'Lobby')?.members).toBe(3);
    const q = await call<Page<{ name: string }>>(t.info.url, 'GET', '/api/v1/channels?q=OBB');
    expect(q.body.items.map((c) => c.name)).toEqual(['Lobby']);
    expectProblem(await call(t.info.url, 'GET', '/api/v1/channels?parentId=-1'), 400, ErrorCode.Validation);
    expectProblem(await call(t.info.url, 'GET', '/api/v1/channels?sort=members'), 400, ErrorCode.Validation);
  });
});
