/**
 * THE table of the REST API: every route under /api/v1 × who calls it →
 * the status expected (docs/control-plane.md "REST API"). The authorization
 * test is generated from it, and fails when the server registers a route
 * that is missing here. A guest (WebSocket nickname) has no REST identity:
 * for REST it is the same as anonymous.
 */
import type { ParleyServer } from '@parley/server';
import { SYSTEM } from '../../packages/server/src/services/index.js';
import {
  account,
  liveSession,
  PASSWORD,
  uniqueName,
  type Account,
  type LiveSession,
} from '../helpers/api.js';
import type { TestServer } from '../helpers/server.js';

export const CALLERS = ['anonymous', 'member', 'moderator', 'admin'] as const;
export type Caller = (typeof CALLERS)[number];

/** What the table's `prepare` functions may use. */
export interface Fixture {
  server: ParleyServer;
  url: string;
  lobbyId: number;
  gamesId: number;
  /** An account every call may read (GET /users/:id). */
  someone: Account;
  /** The caller of this cell (undefined for anonymous). */
  caller: Account | undefined;
  /** A fresh account to change or delete. */
  freshUser(): Promise<Account>;
  /** A fresh top-level channel. */
  freshChannel(): Promise<number>;
  /** A fresh live guest session in the Lobby. */
  freshGuest(): Promise<LiveSession>;
  /**
   * A fresh ban of an address, placed by `by` when it may ban (a ban is lifted
   * by its author or someone who outranks it), else by the server.
   */
  freshBan(by?: Account): Promise<number>;
}

export interface Prepared {
  params?: Record<string, string | number>;
  body?: unknown;
}

export interface RouteCase {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify's pattern, under /api/v1. */
  path: string;
  expect: Readonly<Record<Caller, number>>;
  /** Fresh targets and a valid body for one call (so a 403 is a refusal, not a missing target). */
  prepare?: (f: Fixture) => Promise<Prepared>;
  /** As admin, this :id (or session id) does not exist → 404. */
  missing?: Prepared;
}

const who = (
  anonymous: number,
  member: number,
  moderator: number,
  admin: number,
): Record<Caller, number> => ({
  anonymous,
  member,
  moderator,
  admin,
});
const ANYONE_200 = who(200, 200, 200, 200);
const NO_ID = 2_000_000_000;
const NO_SESSION = 4_294_967_000;

let ip = 0;
/** A documentation address (RFC 3849) per ban, never a test client's. */
export const nextBanIp = (): string => `2001:db8::${(++ip).toString(16)}`;

export const ROUTES: readonly RouteCase[] = [
  // ── auth ──
  {
    method: 'POST',
    path: '/auth/register',
    expect: who(201, 201, 201, 201),
    prepare: () => Promise.resolve({ body: { name: uniqueName('reg'), password: PASSWORD } }),
  },
  {
    method: 'POST',
    path: '/auth/login',
    expect: ANYONE_200,
    prepare: (f) => Promise.resolve({ body: { name: f.someone.name, password: PASSWORD } }),
  },
  { method: 'POST', path: '/auth/logout', expect: who(401, 204, 204, 204) },
  { method: 'GET', path: '/auth/me', expect: who(401, 200, 200, 200) },
  {
    method: 'PATCH',
    path: '/auth/me',
    expect: who(401, 200, 200, 200),
    prepare: () => Promise.resolve({ body: { currentPassword: PASSWORD, password: 'another password' } }),
  },
  // ── users ──
  { method: 'GET', path: '/users', expect: who(401, 403, 200, 200) },
  {
    method: 'GET',
    path: '/users/:id',
    expect: who(401, 403, 200, 200),
    prepare: (f) => Promise.resolve({ params: { id: f.someone.id } }),
    missing: { params: { id: NO_ID } },
  },
  {
    method: 'POST',
    path: '/users',
    expect: who(401, 403, 403, 201),
    prepare: () => Promise.resolve({ body: { name: uniqueName('new'), password: PASSWORD, role: 'member' } }),
  },
  {
    method: 'PATCH',
    path: '/users/:id',
    expect: who(401, 403, 403, 200),
    prepare: async (f) => ({ params: { id: (await f.freshUser()).id }, body: { role: 'moderator' } }),
    missing: { params: { id: NO_ID }, body: { role: 'moderator' } },
  },
  {
    method: 'DELETE',
    path: '/users/:id',
    expect: who(401, 403, 403, 204),
    prepare: async (f) => ({ params: { id: (await f.freshUser()).id } }),
    missing: { params: { id: NO_ID } },
  },
  // ── channels ──
  { method: 'GET', path: '/channels', expect: ANYONE_200 },
  {
    method: 'GET',
    path: '/channels/:id',
    expect: ANYONE_200,
    prepare: (f) => Promise.resolve({ params: { id: f.gamesId } }),
    missing: { params: { id: NO_ID } },
  },
  {
    method: 'POST',
    path: '/channels',
    expect: who(401, 403, 201, 201),
    prepare: () => Promise.resolve({ body: { name: uniqueName('ch'), description: 'made by the matrix' } }),
  },
  {
    method: 'PATCH',
    path: '/channels/:id',
    expect: who(401, 403, 200, 200),
    prepare: async (f) => ({ params: { id: await f.freshChannel() }, body: { description: 'changed' } }),
    missing: { params: { id: NO_ID }, body: { description: 'changed' } },
  },
  {
    method: 'PUT',
    path: '/channels/order',
    expect: who(401, 403, 200, 200),
    prepare: async (f) => {
      const parentId = await f.freshChannel();
      const child = async () =>
        (await f.server.services.channels.create(SYSTEM, { name: uniqueName('ch'), parentId })).id;
      const [a, b] = [await child(), await child()];
      return { body: { parentId, ids: [b, a] } };
    },
    missing: { body: { parentId: NO_ID, ids: [] } },
  },
  {
    method: 'DELETE',
    path: '/channels/:id',
    expect: who(401, 403, 204, 204),
    prepare: async (f) => ({ params: { id: await f.freshChannel() } }),
    missing: { params: { id: NO_ID } },
  },
  {
    method: 'GET',
    path: '/channels/:id/permissions',
    expect: who(401, 403, 200, 200),
    prepare: (f) => Promise.resolve({ params: { id: f.gamesId } }),
    missing: { params: { id: NO_ID } },
  },
  {
    method: 'PUT',
    path: '/channels/:id/permissions/:role',
    expect: who(401, 403, 200, 200),
    prepare: async (f) => ({
      params: { id: await f.freshChannel(), role: 'member' },
      body: { allow: [], deny: ['Whisper'] },
    }),
    missing: { params: { id: NO_ID, role: 'member' }, body: { allow: [], deny: ['Whisper'] } },
  },
  // ── chat ──
  {
    method: 'GET',
    path: '/channels/:id/messages',
    expect: ANYONE_200,
    prepare: (f) => Promise.resolve({ params: { id: f.lobbyId } }),
    missing: { params: { id: NO_ID } },
  },
  {
    method: 'POST',
    path: '/channels/:id/messages',
    expect: who(401, 201, 201, 201),
    prepare: (f) => Promise.resolve({ params: { id: f.lobbyId }, body: { text: 'hello from the matrix' } }),
    missing: { params: { id: NO_ID }, body: { text: 'nobody reads this' } },
  },
  // ── sessions ──
  { method: 'GET', path: '/sessions', expect: ANYONE_200 },
  {
    method: 'POST',
    path: '/sessions/:id/kick',
    expect: who(401, 403, 204, 204),
    prepare: async (f) => ({ params: { id: (await f.freshGuest()).id }, body: { reason: 'matrix' } }),
    missing: { params: { id: NO_SESSION }, body: {} },
  },
  {
    method: 'POST',
    path: '/sessions/:id/move',
    expect: who(401, 403, 204, 204),
    prepare: async (f) => ({ params: { id: (await f.freshGuest()).id }, body: { channelId: f.gamesId } }),
    missing: { params: { id: NO_SESSION }, body: { channelId: 1 } },
  },
  {
    method: 'POST',
    path: '/sessions/:id/mute',
    expect: who(401, 403, 204, 204),
    prepare: async (f) => ({ params: { id: (await f.freshGuest()).id }, body: { muted: true } }),
    missing: { params: { id: NO_SESSION }, body: { muted: true } },
  },
  {
    method: 'POST',
    path: '/sessions/:id/priority',
    expect: who(401, 403, 204, 204),
    prepare: async (f) => ({ params: { id: (await f.freshGuest()).id }, body: { on: true } }),
    missing: { params: { id: NO_SESSION }, body: { on: true } },
  },
  // ── bans ──
  { method: 'GET', path: '/bans', expect: who(401, 403, 200, 200) },
  {
    method: 'POST',
    path: '/bans',
    expect: who(401, 403, 201, 201),
    prepare: () => Promise.resolve({ body: { ip: nextBanIp(), reason: 'matrix', minutes: 5 } }),
  },
  {
    method: 'DELETE',
    path: '/bans/:id',
    expect: who(401, 403, 204, 204),
    prepare: async (f) => ({ params: { id: await f.freshBan(f.caller) } }),
    missing: { params: { id: NO_ID } },
  },
  // ── audit, config, system ──
  { method: 'GET', path: '/audit', expect: who(401, 403, 200, 200) },
  { method: 'GET', path: '/config', expect: who(401, 403, 403, 200) },
  {
    method: 'PATCH',
    path: '/config',
    expect: who(401, 403, 403, 200),
    prepare: () => Promise.resolve({ body: { maxUsersPerChannel: 0 } }),
  },
  { method: 'GET', path: '/stats', expect: who(401, 403, 200, 200) },
  { method: 'GET', path: '/quality', expect: who(401, 403, 200, 200) },
  { method: 'GET', path: '/metrics', expect: who(401, 403, 403, 200) },
  { method: 'GET', path: '/health', expect: ANYONE_200 },
  { method: 'GET', path: '/info', expect: ANYONE_200 },
];

/** `/users/:id` with `{ id: 3 }` → `/users/3`. */
export function fillPath(path: string, params: Record<string, string | number> = {}): string {
  return path.replace(/:(\w+)/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`no value for :${k} in ${path}`);
    return encodeURIComponent(String(v));
  });
}

/**
 * The fixture every cell starts from (the caller is added per cell): the
 * default channels, an account to read, and makers of fresh targets. The
 * guest sessions it opens go into `sessions`, for the caller to close.
 */
export async function baseFixture(t: TestServer, sessions: LiveSession[]): Promise<Omit<Fixture, 'caller'>> {
  const server = t.server;
  const lobby = server.hub.findChannel('Lobby');
  const games = server.hub.findChannel('Games');
  if (lobby === undefined || games === undefined) throw new Error('default channels missing');
  return {
    server,
    url: t.info.url,
    lobbyId: lobby.id,
    gamesId: games.id,
    someone: await account(server, 'member'),
    freshUser: () => account(server, 'member'),
    freshGuest: async () => {
      const s = await liveSession(t.info.url, { name: uniqueName('guest') }, 'Lobby');
      sessions.push(s);
      return s;
    },
    async freshChannel() {
      const c = await server.services.channels.create(SYSTEM, { name: uniqueName('tmp') });
      return c.id;
    },
    async freshBan(by?: Account) {
      const author =
        by !== undefined && (by.role === 'moderator' || by.role === 'admin')
          ? { userId: by.id, name: by.name, role: by.role, ip: null }
          : SYSTEM;
      const b = await server.services.moderation.ban(author, { ip: nextBanIp(), reason: 'to lift' });
      return b.id;
    },
  };
}
