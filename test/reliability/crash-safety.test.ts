/**
 * Crash safety, on SQLite and PostgreSQL, with the real server binary:
 * `kill -9` while writes are in flight loses no write the server had
 * acknowledged (channels, address bans, accounts), and SIGTERM closes every
 * WebSocket with 1001, exits 0 and leaves the data to the next start.
 */
import { once } from 'node:events';
import { expect, it } from 'vitest';
import WebSocket from 'ws';
import { describeEachDatabase, type DatabaseTarget } from '../helpers/postgres.js';
import { spawnServer, type SpawnedServer } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN = { name: 'admin', password: 'crash-safety-admin' };
/** Acknowledged writes before the kill: enough that some are surely in flight when it comes. */
const ACKED_BEFORE_KILL = 150;
const WRITERS = 4;

async function start(target: DatabaseTarget): Promise<{ args: string[]; server: SpawnedServer }> {
  const { dataDir, databaseUrl } = await target.makeOptions();
  const args = ['--data-dir', dataDir, ...(databaseUrl === undefined ? [] : ['--database-url', databaseUrl])];
  return { args, server: await spawnServer(args, { PARLEY_ADMIN_PASSWORD: ADMIN.password }) };
}

async function post(url: string, body: unknown, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

async function login(base: string, who: { name: string; password: string }): Promise<string> {
  const r = await post(`${base}/api/v1/auth/login`, who);
  expect(r.status, `login of ${who.name}`).toBe(200);
  return ((await r.json()) as { token: string }).token;
}

/** Every item of a paginated list (`{ items, nextCursor }`). */
async function listAll<T>(base: string, path: string, token: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const r = await fetch(`${base}/api/v1${path}?limit=200${q}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status, path).toBe(200);
    const page = (await r.json()) as { items: T[]; nextCursor: string | null };
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

function exited(server: SpawnedServer): Promise<number | null> {
  const c = server.child;
  return c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve(c.exitCode)
    : once(c, 'exit').then(([code]) => code as number | null);
}

describeEachDatabase('crash safety', (target) => {
  it('kill -9 during writes loses no acknowledged write; the restarted server has its accounts, channels and bans', async () => {
    const first = await start(target);
    let server = first.server;
    const base = server.url;
    const token = await login(base, ADMIN);
    const accounts = ['crash-ann', 'crash-bob'];
    for (const name of accounts) {
      const r = await post(`${base}/api/v1/auth/register`, { name, password: `${name}-password` });
      expect(r.status).toBe(201);
    }

    const ackedChannels = new Set<string>();
    const ackedBans = new Set<string>();
    let next = 0;
    let killed = false;
    const writer = async (): Promise<void> => {
      while (!killed) {
        const i = next++;
        try {
          if (i % 3 === 2) {
            const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
            const r = await post(`${base}/api/v1/bans`, { ip, reason: 'crash test' }, token);
            if (r.status === 201) ackedBans.add(ip);
          } else {
            const name = `crash-${i}`;
            const r = await post(`${base}/api/v1/channels`, { name }, token);
            if (r.status === 201) ackedChannels.add(name);
          }
        } catch {
          return; // the server is gone: this write was never acknowledged
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, writer);
    await waitFor(
      () => ackedChannels.size + ackedBans.size >= ACKED_BEFORE_KILL,
      () => `${ACKED_BEFORE_KILL} acknowledged writes (have ${ackedChannels.size + ackedBans.size})`,
      60_000,
    );
    const acked = { channels: [...ackedChannels], bans: [...ackedBans] };
    server.child.kill('SIGKILL');
    killed = true;
    await exited(server);
    await Promise.all(writers);
    // Writes acknowledged in the instant between the snapshot and the kill count too.
    for (const c of ackedChannels) if (!acked.channels.includes(c)) acked.channels.push(c);
    for (const b of ackedBans) if (!acked.bans.includes(b)) acked.bans.push(b);

    server = await spawnServer(first.args, { PARLEY_ADMIN_PASSWORD: ADMIN.password });
    try {
      const t2 = await login(server.url, ADMIN);
      const channels = new Set(
        (await listAll<{ name: string }>(server.url, '/channels', t2)).map((c) => c.name),
      );
      const bans = new Set((await listAll<{ ip: string | null }>(server.url, '/bans', t2)).map((b) => b.ip));
      expect(acked.channels.filter((c) => !channels.has(c))).toEqual([]);
      expect(acked.bans.filter((b) => !bans.has(b))).toEqual([]);
      for (const name of accounts) await login(server.url, { name, password: `${name}-password` });
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('SIGTERM closes every WebSocket with 1001 (going away), exits 0, and the data is there on the next start', async () => {
    const first = await start(target);
    const server = first.server;
    const token = await login(server.url, ADMIN);
    expect((await post(`${server.url}/api/v1/channels`, { name: 'kept' }, token)).status).toBe(201);
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
    await once(ws, 'open');
    ws.send(JSON.stringify({ type: 'hello', v: 1, name: 'listener', ref: 'h' }));
    await once(ws, 'message');
    const closed = once(ws, 'close').then(([code]) => code as number);
    server.child.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect(await exited(server)).toBe(0);

    const again = await spawnServer(first.args, { PARLEY_ADMIN_PASSWORD: ADMIN.password });
    try {
      const t2 = await login(again.url, ADMIN);
      const names = (await listAll<{ name: string }>(again.url, '/channels', t2)).map((c) => c.name);
      expect(names).toContain('kept');
    } finally {
      await again.stop();
    }
  }, 60_000);
});
