/**
 * The smaller holes of issue 10 item 12, with real sockets, on SQLite and
 * PostgreSQL where bans and accounts are stored: address bans match
 * IPv4-mapped addresses and CIDR ranges; password guesses are limited per
 * account as well as per address, `PATCH /auth/me` included.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ErrorCode } from '@parley/protocol';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { account, adminToken, call, expectProblem, PASSWORD } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

/** A guest `hello` from `localAddress` (a loopback address): 'welcome' or the error code. */
async function helloFrom(url: string, localAddress: string): Promise<string> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { localAddress });
  const got: Record<string, unknown>[] = [];
  ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString('utf8')) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  try {
    ws.send(JSON.stringify({ type: 'hello', v: 1, name: `guest${localAddress.replaceAll('.', '')}` }));
    await waitFor(() => got.some((m) => m.type === 'welcome' || m.type === 'error'), 'an answer to hello', {
      on: [[ws, 'message', 'close']],
    });
    const m = got.find((x) => x.type === 'welcome' || x.type === 'error')!;
    return m.type === 'welcome' ? 'welcome' : String(m.code);
  } finally {
    ws.terminate();
  }
}

describeEachDatabase('address bans and password-guess limits', (target) => {
  let t: TestServer;
  let token: string;

  beforeAll(async () => {
    t = await startServer({
      ...(await target.makeOptions()),
      trustProxy: true,
      auth: { loginPerMinute: 1000, loginPerAccountPerMinute: 3 },
    });
    token = await adminToken(t.server);
  });
  afterAll(async () => {
    await t?.close();
  });

  const ban = (ip: string) =>
    call<{ ip: string }>(t.info.url, 'POST', '/api/v1/bans', { token, body: { ip, reason: 'test' } });

  it('stores an IPv4-mapped address as its IPv4 form, and one form bans the other', async () => {
    const res = await ban('::ffff:127.0.0.78');
    expect(res.status).toBe(201);
    expect(res.body.ip).toBe('127.0.0.78');
    expect(await helloFrom(t.info.url, '127.0.0.78')).toBe(ErrorCode.Banned);
    await expect(t.server.services.auth.assertNotBanned(null, '::ffff:127.0.0.78')).rejects.toMatchObject({
      code: ErrorCode.Banned,
    });
    expect(await helloFrom(t.info.url, '127.0.0.77')).toBe('welcome');
  });

  it('bans a CIDR range: every address inside it, none outside', async () => {
    const res = await ban('127.0.5.0/24');
    expect(res.status).toBe(201);
    expect(res.body.ip).toBe('127.0.5.0/24');
    expect(await helloFrom(t.info.url, '127.0.5.1')).toBe(ErrorCode.Banned);
    expect(await helloFrom(t.info.url, '127.0.5.254')).toBe(ErrorCode.Banned);
    expect(await helloFrom(t.info.url, '127.0.6.1')).toBe('welcome');
    await expect(t.server.services.auth.assertNotBanned(null, '::ffff:127.0.5.9')).rejects.toMatchObject({
      code: ErrorCode.Banned,
    });
  });

  it('refuses a ban on something that is neither an address nor a range', async () => {
    for (const ip of ['127.0.0.1/33', 'not-an-ip', '10.0.0.0/8/8', '::1/129']) {
      expectProblem(await ban(ip), 400, ErrorCode.Validation);
    }
  });

  it('limits login attempts per account, whatever address they come from', async () => {
    const a = await account(t.server, 'member');
    const login = (i: number, password: string) =>
      call(t.info.url, 'POST', '/api/v1/auth/login', {
        body: { name: a.name, password },
        headers: { 'x-forwarded-for': `198.51.100.${i}` },
      });
    for (let i = 1; i <= 3; i++)
      expectProblem(await login(i, 'wrong password'), 401, ErrorCode.BadCredentials);
    const limited = await login(4, PASSWORD);
    expectProblem(limited, 429, ErrorCode.RateLimited);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same name in another normalization form or case is the same account.
    expectProblem(
      await call(t.info.url, 'POST', '/api/v1/auth/login', {
        body: { name: ` ${a.name.toUpperCase()}`, password: PASSWORD },
        headers: { 'x-forwarded-for': '198.51.100.9' },
      }),
      429,
      ErrorCode.RateLimited,
    );
    // Another account is not affected.
    const b = await account(t.server, 'member');
    const ok = await call(t.info.url, 'POST', '/api/v1/auth/login', {
      body: { name: b.name, password: PASSWORD },
    });
    expect(ok.status).toBe(200);
  });

  it("limits PATCH /auth/me's current-password check per account", async () => {
    const a = await account(t.server, 'member');
    const change = (i: number) =>
      call(t.info.url, 'PATCH', '/api/v1/auth/me', {
        token: a.token,
        body: { currentPassword: `guess number ${i}`, password: 'a new long password' },
        headers: { 'x-forwarded-for': `203.0.113.${i}` },
      });
    for (let i = 1; i <= 3; i++) expectProblem(await change(i), 401, ErrorCode.BadCredentials);
    expectProblem(await change(4), 429, ErrorCode.RateLimited);
  });
});

describeEachDatabase('PATCH /auth/me per address', (target) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer({ ...(await target.makeOptions()), auth: { loginPerMinute: 2 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is rate-limited per client address like login', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await account(t.server, 'member');
      const res = await call(t.info.url, 'PATCH', '/api/v1/auth/me', {
        token: a.token,
        body: { currentPassword: 'wrong guess', password: 'a new long password' },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });
});
