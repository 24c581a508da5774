import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { account, disconnectedOf, loginAdmin, SdkHandle, WsProbe, type Account } from '../helpers/ws.js';

describe('WebSocket hello: accounts, guests, bans', () => {
  let t: TestServer;
  let admin: Account;
  const probes: WsProbe[] = [];
  const open = async (): Promise<WsProbe> => {
    const p = await WsProbe.open(t.info.url);
    probes.push(p);
    return p;
  };

  beforeEach(async () => {
    t = await startServer();
    admin = await loginAdmin(t.server);
  });
  afterEach(async () => {
    for (const p of probes.splice(0)) p.close();
    await t.close();
  });

  it('a token hello is the account: its name and role, whatever nickname is sent', async () => {
    const mod = await account(t.server, admin, 'Maud', 'moderator');
    const p = await open();
    const welcome = await p.request({ type: 'hello', v: 1, token: mod.token, name: 'someone-else' });
    expect(welcome).toMatchObject({
      type: 'welcome',
      name: 'Maud',
      user: { id: mod.actor.userId, name: 'Maud', role: 'moderator' },
      resumed: false,
    });
    expect(welcome.seq).toBeUndefined();
    expect(Buffer.from(welcome.resumeToken as string, 'base64url')).toHaveLength(32);
    const names = (welcome.channels as { name: string }[]).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['Lobby', 'Games']));
    // Every message after welcome is numbered from 1.
    const joined = await p.request({ type: 'join', channel: 'Lobby' });
    expect(joined).toMatchObject({ type: 'joined', seq: 1, self: { name: 'Maud', role: 'moderator' } });

    const sdk = await SdkHandle.connect(t.info.url, { token: admin.token });
    expect(sdk.client.user).toEqual({ id: admin.actor.userId, name: 'admin', role: 'admin' });
    expect([...sdk.client.channels.values()].map((c) => c.name)).toEqual(
      expect.arrayContaining(['Lobby', 'Games']),
    );
    sdk.client.close();
  });

  it('refuses a bad token and closes with 4005', async () => {
    const p = await open();
    const err = await p.request({ type: 'hello', v: 1, token: 'not-a-token' });
    expect(err).toMatchObject({ type: 'error', code: 'PARLEY_ERR_BAD_CREDENTIALS' });
    expect(await p.closed).toBe(4005);
    expect(t.server.plane.sessionCount).toBe(0);
  });

  it('refuses guests when allowGuests is off, but not accounts', async () => {
    await t.server.services.patchSettings(admin.actor, { allowGuests: false });
    const p = await open();
    const err = await p.request({ type: 'hello', v: 1, name: 'visitor' });
    expect(err).toMatchObject({ type: 'error', code: 'PARLEY_ERR_GUESTS_DISABLED' });
    // The socket stays: the same client may log in instead.
    const welcome = await p.request({ type: 'hello', v: 1, token: admin.token });
    expect(welcome).toMatchObject({ type: 'welcome', user: { role: 'admin' } });
  });

  it("refuses a guest nickname that is an account's name, case-insensitively", async () => {
    await account(t.server, admin, 'Bruno', 'member');
    const p = await open();
    const err = await p.request({ type: 'hello', v: 1, name: 'bRUNO' });
    expect(err).toMatchObject({ type: 'error', code: 'PARLEY_ERR_NAME_TAKEN' });
    const ok = await p.request({ type: 'hello', v: 1, name: 'Bruna' });
    expect(ok).toMatchObject({ type: 'welcome', user: { id: null, name: 'Bruna', role: 'guest' } });
  });

  it('refuses a banned account (4004) and a banned address, even as a guest', async () => {
    const bob = await account(t.server, admin, 'bob', 'member');
    await t.server.services.moderation.ban(admin.actor, { userId: bob.actor.userId, reason: 'spam' });
    // The ban revoked bob's tokens: his old token is no longer valid at all.
    const p1 = await open();
    expect(await p1.request({ type: 'hello', v: 1, token: bob.token })).toMatchObject({
      code: 'PARLEY_ERR_BAD_CREDENTIALS',
    });
    // A fresh login is refused too (the auth service checks the ban).
    await expect(t.server.services.auth.login('bob', 'bob-password-123', '10.0.0.1')).rejects.toMatchObject({
      code: 'PARLEY_ERR_BANNED',
    });

    // A ban whose tokens were not revoked (written straight to the store): hello checks the ban itself.
    const carol = await account(t.server, admin, 'carol', 'member');
    await t.server.services.ctx.stores.bans.create({
      userId: carol.actor.userId,
      userName: 'carol',
      ip: null,
      reason: 'trolling',
      createdBy: admin.actor.userId,
      expiresAt: null,
    });
    const pc = await open();
    expect(await pc.request({ type: 'hello', v: 1, token: carol.token })).toMatchObject({
      code: 'PARLEY_ERR_BANNED',
    });
    expect(await pc.closed).toBe(4004);

    await t.server.services.moderation.ban(admin.actor, { ip: '127.0.0.1', reason: 'flood' });
    const p2 = await open();
    const err = await p2.request({ type: 'hello', v: 1, name: 'innocent' });
    expect(err).toMatchObject({ type: 'error', code: 'PARLEY_ERR_BANNED' });
    expect(err.message).toContain('flood');
    expect(await p2.closed).toBe(4004);
    const p3 = await open();
    expect(await p3.request({ type: 'hello', v: 1, token: admin.token })).toMatchObject({
      code: 'PARLEY_ERR_BANNED',
    });
    expect(await p3.closed).toBe(4004);
    expect(t.server.plane.sessionCount).toBe(0);
  });

  it('a revoked token ends the live session with 4005 (role changed by an admin)', async () => {
    const alice = await account(t.server, admin, 'alice', 'member');
    const sdk = await SdkHandle.connect(t.info.url, { token: alice.token });
    await sdk.client.join('Lobby');
    const gone = disconnectedOf(sdk.client);
    await t.server.services.auth.updateUser(admin.actor, alice.actor.userId!, { role: 'moderator' });
    expect(await gone).toMatchObject({ code: 'PARLEY_ERR_AUTH_REQUIRED', closeCode: 4005, by: 'admin' });
    expect(sdk.client.state).toBe('closed');
    expect(t.server.hub.peersOfUser(alice.actor.userId!)).toHaveLength(0);
  });

  it('answers messages sent before the (asynchronous) hello completes, in order', async () => {
    const p = await open();
    p.send({ type: 'hello', v: 1, token: admin.token, ref: 'h' });
    p.send({ type: 'join', channel: 'Games', ref: 'j' });
    p.send({ type: 'chat', text: 'first!', ref: 'c' });
    p.send({ type: 'leave', ref: 'l' });
    await p.next((m) => m.ref === 'l', 'the answer to leave');
    expect(p.messages.map((m) => [m.type, m.ref, m.seq])).toEqual([
      ['welcome', 'h', undefined],
      ['joined', 'j', 1],
      ['chat', 'c', 2],
      ['left', 'l', 3],
    ]);
  });
});
