/**
 * The account life cycle over REST, on SQLite and PostgreSQL: register →
 * login → me → password change (the old token dies, the answer carries a new
 * one) → logout (the token dies); the per-address login rate limit; a
 * banned account cannot log in, and both show in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import {
  account,
  adminToken,
  call,
  expectProblem,
  liveSession,
  PASSWORD,
  uniqueName,
} from '../helpers/api.js';

interface Login {
  token: string;
  expiresAt: string;
  user: { id: number; name: string; role: string; createdAt: string };
}

describeEachDatabase('REST auth flow', (target) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startServer({ ...(await target.makeOptions()), auth: { loginPerMinute: 1000 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('register → login → me → change password → logout', async () => {
    const url = t.info.url;
    const name = uniqueName('Alice');
    const reg = await call<Login>(url, 'POST', '/api/v1/auth/register', {
      body: { name, password: PASSWORD },
    });
    expect(reg.status, reg.text).toBe(201);
    expect(reg.body.user).toMatchObject({ name, role: 'member' });
    expect(reg.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(reg.body.expiresAt)).toBeGreaterThan(Date.now());
    expect(JSON.stringify(reg.body)).not.toMatch(/argon2|hash/i);

    // Names are unique case-insensitively; logins are too.
    expectProblem(
      await call(url, 'POST', '/api/v1/auth/register', {
        body: { name: name.toUpperCase(), password: PASSWORD },
      }),
      409,
      ErrorCode.NameTaken,
    );
    const login = await call<Login>(url, 'POST', '/api/v1/auth/login', {
      body: { name: name.toLowerCase(), password: PASSWORD },
    });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(reg.body.user.id);
    expectProblem(
      await call(url, 'POST', '/api/v1/auth/login', { body: { name, password: 'wrong password' } }),
      401,
      ErrorCode.BadCredentials,
    );
    expectProblem(
      await call(url, 'POST', '/api/v1/auth/login', { body: { name: 'nobody-here', password: PASSWORD } }),
      401,
      ErrorCode.BadCredentials,
    );

    const me = await call<Login['user']>(url, 'GET', '/api/v1/auth/me', { token: login.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(reg.body.user);
    expectProblem(
      await call(url, 'GET', '/api/v1/auth/me', { token: 'not-a-token' }),
      401,
      ErrorCode.AuthRequired,
    );

    const changed = await call<Login>(url, 'PATCH', '/api/v1/auth/me', {
      token: login.body.token,
      body: { currentPassword: PASSWORD, password: 'a brand new password' },
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.token).not.toBe(login.body.token);
    // Every earlier token died; the new one works; so does the new password, not the old one.
    for (const old of [reg.body.token, login.body.token]) {
      expectProblem(await call(url, 'GET', '/api/v1/auth/me', { token: old }), 401, ErrorCode.AuthRequired);
    }
    expect((await call(url, 'GET', '/api/v1/auth/me', { token: changed.body.token })).status).toBe(200);
    expectProblem(
      await call(url, 'POST', '/api/v1/auth/login', { body: { name, password: PASSWORD } }),
      401,
      ErrorCode.BadCredentials,
    );
    const again = await call<Login>(url, 'POST', '/api/v1/auth/login', {
      body: { name, password: 'a brand new password' },
    });
    expect(again.status).toBe(200);

    expect((await call(url, 'POST', '/api/v1/auth/logout', { token: changed.body.token })).status).toBe(204);
    expectProblem(await call(url, 'GET', '/api/v1/auth/me', { token: changed.body.token }), 401);
    expectProblem(await call(url, 'POST', '/api/v1/auth/logout', { token: changed.body.token }), 401);
    // Logging out one token leaves the others.
    expect((await call(url, 'GET', '/api/v1/auth/me', { token: again.body.token })).status).toBe(200);

    const audit = await call<{ items: { action: string }[] }>(
      url,
      'GET',
      `/api/v1/audit?targetType=user&targetId=${reg.body.user.id}&sort=id`,
      { token: await adminToken(t.server) },
    );
    expect(audit.body.items.map((e) => e.action)).toEqual(['user.register', 'user.password']);
  });

  it('a password change ends the live sessions of the account', async () => {
    const a = await account(t.server, 'member');
    const s = await liveSession(t.info.url, { token: a.token }, 'Lobby');
    const res = await call(t.info.url, 'PATCH', '/api/v1/auth/me', {
      token: a.token,
      body: { currentPassword: PASSWORD, password: 'yet another password' },
    });
    expect(res.status).toBe(200);
    expect(await s.closed).toBeGreaterThanOrEqual(4000);
  });

  it('registration can be closed at run time', async () => {
    const admin = await adminToken(t.server);
    expect(
      (
        await call(t.info.url, 'PATCH', '/api/v1/config', {
          token: admin,
          body: { allowRegistration: false },
        })
      ).status,
    ).toBe(200);
    try {
      expectProblem(
        await call(t.info.url, 'POST', '/api/v1/auth/register', {
          body: { name: uniqueName('late'), password: PASSWORD },
        }),
        403,
        ErrorCode.RegistrationClosed,
      );
    } finally {
      await call(t.info.url, 'PATCH', '/api/v1/config', { token: admin, body: { allowRegistration: true } });
    }
  });

  it('a banned account cannot log in (403 PARLEY_ERR_BANNED); the ban and the refusal are audited', async () => {
    const url = t.info.url;
    const mod = await account(t.server, 'moderator');
    const victim = await account(t.server, 'member');
    const s = await liveSession(url, { token: victim.token }, 'Lobby');
    const ban = await call<{ id: number; userId: number; userName: string; expiresAt: string | null }>(
      url,
      'POST',
      '/api/v1/bans',
      { token: mod.token, body: { userId: victim.id, reason: 'spam', minutes: 60 } },
    );
    expect(ban.status, ban.text).toBe(201);
    expect(ban.body).toMatchObject({ userId: victim.id, userName: victim.name });
    expect(Date.parse(ban.body.expiresAt ?? '')).toBeGreaterThan(Date.now() + 59 * 60_000);
    // The ban revoked the account's tokens and closed its session (4004).
    expect(await s.closed).toBe(4004);
    expectProblem(await call(url, 'GET', '/api/v1/auth/me', { token: victim.token }), 401);
    const refused = expectProblem(
      await call(url, 'POST', '/api/v1/auth/login', { body: { name: victim.name, password: PASSWORD } }),
      403,
      ErrorCode.Banned,
    );
    expect(refused.detail).toContain('spam');

    const audit = await call<{
      items: { action: string; actorId: number | null; targetType: string; targetId: string }[];
    }>(url, 'GET', `/api/v1/audit?action=ban.create,auth.login_refused&limit=200`, { token: mod.token });
    const mine = audit.body.items.filter(
      (e) =>
        (e.action === 'ban.create' && e.targetId === String(ban.body.id)) ||
        (e.action === 'auth.login_refused' && e.targetId === String(victim.id)),
    );
    expect(mine.map((e) => e.action)).toEqual(['auth.login_refused', 'ban.create']);
    expect(mine[1]?.actorId).toBe(mod.id);

    // Lifting the ban lets the account in again.
    expect((await call(url, 'DELETE', `/api/v1/bans/${ban.body.id}`, { token: mod.token })).status).toBe(204);
    expect(
      (await call(url, 'POST', '/api/v1/auth/login', { body: { name: victim.name, password: PASSWORD } }))
        .status,
    ).toBe(200);
  });

  it('the admin created on first start can log in with the configured password', async () => {
    const res = await call<Login>(t.info.url, 'POST', '/api/v1/auth/login', {
      body: { name: 'admin', password: TEST_ADMIN_PASSWORD },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.role).toBe('admin');
  });
});

describe('REST login rate limit', () => {
  let t: TestServer;
  beforeAll(async () => {
    // Behind a trusted proxy, X-Forwarded-For names the client (req.ip): each address has its own budget.
    t = await startServer({ auth: { loginPerMinute: 3 }, trustProxy: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  const login = (ip: string, password = 'wrong password') =>
    call(t.info.url, 'POST', '/api/v1/auth/login', {
      body: { name: 'admin', password },
      headers: { 'x-forwarded-for': ip },
    });

  it('answers 429 problem+json with Retry-After once an address is over loginPerMinute', async () => {
    for (let i = 0; i < 3; i++) expectProblem(await login('203.0.113.5'), 401, ErrorCode.BadCredentials);
    const limited = await login('203.0.113.5', TEST_ADMIN_PASSWORD);
    expectProblem(limited, 429, ErrorCode.RateLimited);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another address is not affected; the right password works there.
    expect((await login('203.0.113.6', TEST_ADMIN_PASSWORD)).status).toBe(200);
    // Registration has its own budget per address, with the same limit.
    for (let i = 0; i < 3; i++) {
      const r = await call(t.info.url, 'POST', '/api/v1/auth/register', {
        body: { name: uniqueName('rl'), password: PASSWORD },
        headers: { 'x-forwarded-for': '203.0.113.7' },
      });
      expect(r.status).toBe(201);
    }
    expectProblem(
      await call(t.info.url, 'POST', '/api/v1/auth/register', {
        body: { name: uniqueName('rl'), password: PASSWORD },
        headers: { 'x-forwarded-for': '203.0.113.7' },
      }),
      429,
      ErrorCode.RateLimited,
    );
    // Other routes are not rate-limited.
    for (let i = 0; i < 10; i++) {
      expect(
        (await call(t.info.url, 'GET', '/api/v1/health', { headers: { 'x-forwarded-for': '203.0.113.5' } }))
          .status,
      ).toBe(200);
    }
  });
});
