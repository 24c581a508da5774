/**
 * No moderation reaches an equal or higher rank (issue 10, item 7): a
 * moderator cannot ban an address an admin or a moderator is connected from,
 * nor lock them out by an address ban placed while they were away, nor lift
 * a ban an admin placed on a moderator (or another moderator's ban), nor make
 * an admin priority speaker. On SQLite and PostgreSQL, with real WebSockets;
 * client addresses come from X-Forwarded-For (trustProxy) so that each case
 * has its own.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ErrorCode } from '@parley/protocol';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { account, adminToken, call, expectProblem, PASSWORD, type Account } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

interface Sock {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  id: number;
  closed: Promise<number>;
  request(msg: Record<string, unknown>): Promise<Record<string, unknown>>;
}

describeEachDatabase('moderation stays below its rank', (target) => {
  let t: TestServer;
  let admin: string;
  let mod: Account;
  const socks: Sock[] = [];

  /** A control session from `ip`: hello (token or guest name), then join Lobby. */
  async function connect(ip: string, who: { token: string } | { name: string }): Promise<Sock> {
    const ws = new WebSocket(`${t.info.url.replace(/^http/, 'ws')}/ws`, {
      headers: { 'x-forwarded-for': ip },
    });
    const messages: Record<string, unknown>[] = [];
    ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString('utf8')) as Record<string, unknown>));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
    let n = 0;
    const request = async (msg: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const ref = `r${++n}`;
      ws.send(JSON.stringify({ ...msg, ref }));
      await waitFor(() => messages.some((m) => m.ref === ref), `answer to ${String(msg.type)}`);
      return messages.find((m) => m.ref === ref)!;
    };
    const welcome = await request({ type: 'hello', v: 1, ...who });
    expect(welcome.type, JSON.stringify(welcome)).toBe('welcome');
    expect((await request({ type: 'join', channel: 'Lobby' })).type).toBe('joined');
    const s = { ws, messages, id: welcome.sessionId as number, closed, request };
    socks.push(s);
    return s;
  }
  const login = (name: string, password: string, ip: string) =>
    call(t.info.url, 'POST', '/api/v1/auth/login', {
      body: { name, password },
      headers: { 'x-forwarded-for': ip },
    });

  beforeAll(async () => {
    t = await startServer({
      ...(await target.makeOptions()),
      trustProxy: true,
      auth: { loginPerMinute: 1000 },
    });
    admin = await adminToken(t.server);
    mod = await account(t.server, 'moderator');
  });
  afterAll(async () => {
    for (const s of socks) s.ws.close();
    await t?.close();
  });

  it('a moderator cannot ban the address an admin is connected from; the admin stays in and can log in', async () => {
    const ip = '10.7.0.1';
    const boss = await connect(ip, { token: admin });
    const guest = await connect(ip, { name: 'sharing-the-nat' });
    const res = await call(t.info.url, 'POST', '/api/v1/bans', {
      token: mod.token,
      body: { ip, reason: 'coup' },
    });
    expectProblem(res, 403, ErrorCode.Forbidden);
    // Nor through the guest's session (a guest's ban always takes its address).
    const modSock = await connect('10.7.0.9', { token: mod.token });
    expect(await modSock.request({ type: 'ban', ssrc: guest.id, reason: 'x' })).toMatchObject({
      type: 'error',
      code: ErrorCode.Forbidden,
    });
    expect(t.server.hub.peerBySsrc(boss.id)).toBeDefined();
    expect((await login('admin', TEST_ADMIN_PASSWORD, ip)).status).toBe(200);
    // An admin may.
    const ok = await call(t.info.url, 'POST', '/api/v1/bans', { token: admin, body: { ip: '10.7.0.2' } });
    expect(ok.status, ok.text).toBe(201);
  });

  it("a moderator's address ban reaches members and guests, never a moderator or an admin who comes later", async () => {
    const ip = '10.7.1.1';
    const ban = await call<{ id: number }>(t.info.url, 'POST', '/api/v1/bans', {
      token: mod.token,
      body: { ip, reason: 'spam from here' },
    });
    expect(ban.status, ban.text).toBe(201);
    const member = await account(t.server, 'member');
    const otherMod = await account(t.server, 'moderator');
    expectProblem(await login(member.name, PASSWORD, ip), 403, ErrorCode.Banned);
    expect((await login('admin', TEST_ADMIN_PASSWORD, ip)).status).toBe(200);
    expect((await login(otherMod.name, PASSWORD, ip)).status).toBe(200);
    // Over the WebSocket too: the admin and the moderator get in, a guest does not.
    await connect(ip, { token: admin });
    await connect(ip, { token: otherMod.token });
    const ws = new WebSocket(`${t.info.url.replace(/^http/, 'ws')}/ws`, {
      headers: { 'x-forwarded-for': ip },
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, name: 'spammer' })));
    expect(await closed).toBe(4004);
    // An admin's address ban reaches a moderator.
    const ip2 = '10.7.1.2';
    expect((await call(t.info.url, 'POST', '/api/v1/bans', { token: admin, body: { ip: ip2 } })).status).toBe(
      201,
    );
    expectProblem(await login(otherMod.name, PASSWORD, ip2), 403, ErrorCode.Banned);
  });

  it('a moderator cannot lift a ban an admin placed on a moderator, nor another moderator’s; its own, yes', async () => {
    const victim = await account(t.server, 'moderator');
    const byAdmin = await call<{ id: number }>(t.info.url, 'POST', '/api/v1/bans', {
      token: admin,
      body: { userId: victim.id, reason: 'demoted by ban' },
    });
    expect(byAdmin.status).toBe(201);
    expectProblem(
      await call(t.info.url, 'DELETE', `/api/v1/bans/${byAdmin.body.id}`, { token: mod.token }),
      403,
      ErrorCode.Forbidden,
    );
    const member = await account(t.server, 'member');
    const otherMod = await account(t.server, 'moderator');
    const byOther = await call<{ id: number }>(t.info.url, 'POST', '/api/v1/bans', {
      token: otherMod.token,
      body: { userId: member.id },
    });
    expect(byOther.status).toBe(201);
    expectProblem(
      await call(t.info.url, 'DELETE', `/api/v1/bans/${byOther.body.id}`, { token: mod.token }),
      403,
      ErrorCode.Forbidden,
    );
    const own = await call<{ id: number }>(t.info.url, 'POST', '/api/v1/bans', {
      token: mod.token,
      body: { ip: '10.7.2.1', minutes: 5 },
    });
    expect(
      (await call(t.info.url, 'DELETE', `/api/v1/bans/${own.body.id}`, { token: mod.token })).status,
    ).toBe(204);
    // The ban is still there; an admin lifts it.
    expect(
      (await call(t.info.url, 'DELETE', `/api/v1/bans/${byAdmin.body.id}`, { token: admin })).status,
    ).toBe(204);
  });

  it('a moderator cannot make an admin (or another moderator) priority speaker, over REST or the WebSocket', async () => {
    const boss = await connect('10.7.3.1', { token: admin });
    const peer = await connect('10.7.3.2', { token: (await account(t.server, 'moderator')).token });
    const guest = await connect('10.7.3.3', { name: 'speaker' });
    for (const target of [boss, peer]) {
      expectProblem(
        await call(t.info.url, 'POST', `/api/v1/sessions/${target.id}/priority`, {
          token: mod.token,
          body: { on: true },
        }),
        403,
        ErrorCode.Forbidden,
      );
    }
    const modSock = await connect('10.7.3.4', { token: mod.token });
    expect(await modSock.request({ type: 'priority', ssrc: boss.id, on: true })).toMatchObject({
      code: ErrorCode.Forbidden,
    });
    expect(t.server.hub.peerBySsrc(boss.id)?.presence.prioritySpeaker).toBe(false);
    // Below its rank it works.
    expect(await modSock.request({ type: 'priority', ssrc: guest.id, on: true })).toMatchObject({
      type: 'ok',
    });
  });
});
