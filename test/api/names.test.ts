/**
 * Names are normalized and look-alikes refused (packages/server/src/auth/names.ts),
 * on SQLite and PostgreSQL with real sockets: account registration and
 * creation, login, guest nicknames and channel names (REST and WebSocket).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { adminToken, call, expectProblem, liveSession } from '../helpers/api.js';
import { rawSocket } from '../helpers/raw.js';
import { waitFor } from '../helpers/wait.js';

const PASSWORD = 'a long enough password';

/** The answer to a guest `hello` named `name`: the welcome's name, or the error's code. */
async function guestHello(url: string, name: string): Promise<{ welcome?: string; error?: string }> {
  const { ws, messages } = await rawSocket(url);
  try {
    ws.send(JSON.stringify({ type: 'hello', v: 1, name }));
    await waitFor(
      () => messages.some((m) => m.type === 'welcome' || m.type === 'error'),
      'an answer to hello',
      {
        on: [[ws, 'message', 'close']],
      },
    );
    const m = messages.find((x) => x.type === 'welcome' || x.type === 'error')!;
    return m.type === 'welcome' ? { welcome: String(m.name) } : { error: String(m.code) };
  } finally {
    ws.close();
  }
}

describeEachDatabase('names: normalized, no invisible characters, no look-alikes', (target) => {
  let t: TestServer;
  let token: string;
  const register = (name: string) =>
    call<{ user: { name: string } }>(t.info.url, 'POST', '/api/v1/auth/register', {
      body: { name, password: PASSWORD },
    });

  beforeAll(async () => {
    t = await startServer({ ...(await target.makeOptions()), auth: { loginPerMinute: 1000 } });
    token = await adminToken(t.server);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stores a name in NFC, trimmed, and logs it in by any normalization form', async () => {
    const res = await register('  Zoe\u0301 ');
    expect(res.status).toBe(201);
    expect(res.body.user.name).toBe('Zoé');
    const login = await call(t.info.url, 'POST', '/api/v1/auth/login', {
      body: { name: 'Zoe\u0301', password: PASSWORD },
    });
    expect(login.status).toBe(200);
    // The NFC and NFD forms are one name.
    expectProblem(await register('Zoé'), 409, ErrorCode.NameTaken);
  });

  it.each([
    ['a zero-width space', 'admin\u200b'],
    ['a zero-width joiner', 'ad\u200dmin'],
    ['a right-to-left override', '\u202eevil'],
    ['a bidi isolate', 'a\u2067b'],
    ['only spaces', '   '],
    ['a no-break space inside', 'jo\u00a0jo'],
    ['a Hangul filler', '\u3164'],
    ['a lone surrogate', 'x\ud800'],
  ])('refuses a registration with %s (400 PARLEY_ERR_VALIDATION), storing nothing', async (_, name) => {
    expectProblem(await register(name), 400, ErrorCode.Validation);
    const users = await call<{ items: { name: string }[] }>(t.info.url, 'GET', '/api/v1/users?limit=200', {
      token,
    });
    expect(users.body.items.map((u) => u.name)).not.toContain(name);
  });

  it.each([
    ['a leading space', ' admin'],
    ['full-width letters', 'ａｄｍｉｎ'],
    ['a Cyrillic а', '\u0430dmin'],
    ['capitals', 'ADMIN'],
    ['rn for m', 'adrnin'],
  ])('refuses a registration that looks like the account "admin": %s (409)', async (_, name) => {
    expectProblem(await register(name), 409, ErrorCode.NameTaken);
  });

  it('refuses an admin-created account that looks like an existing one', async () => {
    const res = await call(t.info.url, 'POST', '/api/v1/users', {
      token,
      body: { name: 'Ζoé', password: PASSWORD, role: 'member' }, // Greek capital Zeta
    });
    expectProblem(res, 409, ErrorCode.NameTaken);
  });

  it('refuses guest nicknames that look like an account, or that hide characters', async () => {
    expect(await guestHello(t.info.url, '\u0430dmin')).toEqual({ error: ErrorCode.NameTaken });
    expect(await guestHello(t.info.url, 'ＡＤＭＩＮ')).toEqual({ error: ErrorCode.NameTaken });
    expect(await guestHello(t.info.url, 'zoe\u0301')).toEqual({ error: ErrorCode.NameTaken });
    expect(await guestHello(t.info.url, 'visitor\u200b')).toEqual({ error: ErrorCode.Validation });
    expect(await guestHello(t.info.url, '\u202eevil')).toEqual({ error: ErrorCode.Validation });
    expect(await guestHello(t.info.url, '   ')).toEqual({ error: ErrorCode.Validation });
    expect(await guestHello(t.info.url, '  visitor  ')).toEqual({ welcome: 'visitor' });
  });

  it('normalizes channel names and refuses invisible characters in them, over REST and the WebSocket', async () => {
    expectProblem(
      await call(t.info.url, 'POST', '/api/v1/channels', { token, body: { name: 'Gam\u200bes' } }),
      400,
      ErrorCode.Validation,
    );
    // " Games " is "Games", which exists.
    expectProblem(
      await call(t.info.url, 'POST', '/api/v1/channels', { token, body: { name: ' Games ' } }),
      409,
      ErrorCode.NameTaken,
    );
    const made = await call<{ id: number; name: string }>(t.info.url, 'POST', '/api/v1/channels', {
      token,
      body: { name: 'Cafe\u0301' },
    });
    expect(made.status).toBe(201);
    expect(made.body.name).toBe('Café');
    expectProblem(
      await call(t.info.url, 'PATCH', `/api/v1/channels/${made.body.id}`, {
        token,
        body: { name: '\u202eCafé' },
      }),
      400,
      ErrorCode.Validation,
    );

    const guest = await liveSession(t.info.url, { name: 'roomguest' }, 'Lobby');
    try {
      guest.ws.send(JSON.stringify({ type: 'create_temp', name: 'temp\u2066room', ref: 'x1' }));
      await waitFor(() => guest.messages.some((m) => m.ref === 'x1'), 'an answer to create_temp');
      expect(guest.messages.find((m) => m.ref === 'x1')).toMatchObject({
        type: 'error',
        code: ErrorCode.Validation,
      });
      expect(t.server.hub.findChannel('temp\u2066room')).toBeUndefined();
    } finally {
      guest.close();
    }
  });
});
