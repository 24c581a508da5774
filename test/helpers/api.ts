/**
 * Helpers for the REST API tests (test/api): a small fetch client, accounts
 * and tokens made directly through the stores (argon2 costs ~30 ms per hash:
 * one precomputed hash serves every seeded account), bulk seeding, live
 * guest / account sessions over a raw WebSocket, and the list of the routes
 * a server has registered.
 */
import type { FastifyInstance } from 'fastify';
import type { ParleyServer } from '@parley/server';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { hashPassword, newToken, tokenHash } from '../../packages/server/src/auth/secrets.js';
import type { Role } from '../../packages/server/src/db/schema.js';
import { rawSocket } from './raw.js';
import { waitFor } from './wait.js';

/** Password of every account the helpers create. */
export const PASSWORD = 'correct horse battery';

let hashOnce: Promise<string> | undefined;
/** argon2id hash of PASSWORD, computed once per test file. */
export function passwordHash(): Promise<string> {
  hashOnce ??= hashPassword(PASSWORD);
  return hashOnce;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON (problem+json included), or undefined for an empty body. */
  body: T;
  text: string;
}

export interface CallOptions {
  token?: string | undefined;
  /** An object is sent as JSON; a string is sent as is (set `contentType`). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

/** `fetch` against a running server, JSON in and out. */
export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] = opts.contentType ?? 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
}

/** Asserts a problem+json answer with this status and code, and no stack trace. */
export function expectProblem(res: ApiResponse, status: number, code?: string): ProblemBody {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const p = res.body as ProblemBody;
  expect(p.status).toBe(status);
  expect(p.code).toMatch(/^PARLEY_ERR_[A-Z_]+$/);
  if (code !== undefined) expect(p.code).toBe(code);
  expect(res.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  return p;
}

export interface Account {
  id: number;
  name: string;
  role: Role;
  token: string;
}

let seq = 0;
/** A unique, ASCII name with this prefix. */
export function uniqueName(prefix: string): string {
  seq += 1;
  return `${prefix}${Date.now().toString(36)}${seq}`.slice(0, 32);
}

/** A bearer token for an account, made directly in the store (no login, no rate limit). */
export async function tokenFor(server: ParleyServer, userId: number): Promise<string> {
  const token = newToken();
  await server.services.ctx.stores.users.createSession(userId, tokenHash(token), 3_600_000);
  return token;
}

/** An account with PASSWORD and a token, through the store. */
export async function account(
  server: ParleyServer,
  role: Role,
  name = uniqueName(role.slice(0, 3)),
): Promise<Account> {
  const u = await server.services.ctx.stores.users.create(name, await passwordHash(), role);
  return { id: u.id, name: u.name, role: u.role, token: await tokenFor(server, u.id) };
}

/** The seeded admin's token. */
export async function adminToken(server: ParleyServer): Promise<string> {
  const admin = await server.services.ctx.stores.users.credentials('admin');
  if (admin === undefined) throw new Error('no admin account');
  return tokenFor(server, admin.user.id);
}

/** Inserts rows in chunks (SQLite and PostgreSQL both cap the number of bound parameters). */
export async function bulkInsert<T extends 'users' | 'audit_log' | 'bans' | 'chat_messages'>(
  server: ParleyServer,
  table: T,
  rows: readonly Record<string, unknown>[],
  chunk = 500,
): Promise<void> {
  const db = server.services.ctx.db;
  for (let i = 0; i < rows.length; i += chunk) {
    await db
      .insertInto(table)
      .values(rows.slice(i, i + chunk) as never)
      .execute();
  }
}

/** Number of rows of a table. */
export async function countRows(
  server: ParleyServer,
  table:
    | 'users'
    | 'audit_log'
    | 'bans'
    | 'chat_messages'
    | 'channels'
    | 'auth_sessions'
    | 'channel_permissions'
    | 'settings',
): Promise<number> {
  const r = await server.services.ctx.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export interface LiveSession {
  id: number;
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: Promise<number>;
  close(): void;
}

/**
 * A live control session over a raw WebSocket: `hello` (as a guest named
 * `name`, or with an account token), then `join` when a channel is given.
 */
export async function liveSession(
  url: string,
  who: { name: string } | { token: string },
  channel?: string,
): Promise<LiveSession> {
  const { ws, messages, closed } = await rawSocket(url);
  ws.send(JSON.stringify({ type: 'hello', v: 1, ...who }));
  const onMessage = { on: [[ws, 'message', 'close']] as const };
  await waitFor(() => messages.some((m) => m.type === 'welcome' || m.type === 'error'), 'welcome', onMessage);
  const welcome = messages.find((m) => m.type === 'welcome') as { sessionId: number } | undefined;
  if (welcome === undefined) throw new Error(`hello refused: ${JSON.stringify(messages)}`);
  if (channel !== undefined) {
    ws.send(JSON.stringify({ type: 'join', channel }));
    await waitFor(() => messages.some((m) => m.type === 'joined' || m.type === 'error'), 'joined', onMessage);
    if (!messages.some((m) => m.type === 'joined'))
      throw new Error(`join refused: ${JSON.stringify(messages)}`);
  }
  return {
    id: welcome.sessionId,
    ws,
    messages,
    closed,
    close: () => ws.close(),
  };
}

export interface RegisteredRoute {
  method: string;
  url: string;
}

/**
 * Every route the server has registered, read from Fastify's own route
 * tree (`printRoutes({ commonPrefix: false })`), so that nothing here
 * depends on how the routes were added. HEAD routes (Fastify's automatic
 * twins of GET) are left out.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const out: RegisteredRoute[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (m === null) continue;
    const depth = Math.round([...(m[1] ?? '')].length / 4);
    stack.length = depth;
    stack.push(m[2] ?? '');
    const methods = m[3];
    if (methods === undefined) continue;
    for (const method of methods.split(',').map((s) => s.trim())) {
      if (method !== 'HEAD') out.push({ method, url: stack.join('') });
    }
  }
  return out;
}

/** Waits until the hub has seen `n` sessions or fewer / more, for presence-dependent checks. */
export async function waitForSessions(
  server: ParleyServer,
  pred: (n: number) => boolean,
  what: string,
): Promise<void> {
  await waitFor(() => pred(server.hub.allPeers().length), what);
}
