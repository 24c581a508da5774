/**
 * A channel's password guards its chat as it guards the channel (issue 10,
 * item 5): reading the history and posting follow the rule of entering —
 * the password, or being inside (a live session), or passing the lock
 * (moderators, admins, ManageChannel there). On SQLite and PostgreSQL, REST
 * and real WebSockets.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { account, adminToken, call, expectProblem, liveSession, type LiveSession } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 'open sesame 42';
const HEADER = 'parley-channel-password';

describeEachDatabase('a channel password guards its chat', (target) => {
  let t: TestServer;
  let admin: string;
  let vault: number;
  const sessions: LiveSession[] = [];
  const history = (token?: string, password?: string) =>
    call<{ items: { text: string }[] }>(t.info.url, 'GET', `/api/v1/channels/${vault}/messages`, {
      token,
      ...(password === undefined ? {} : { headers: { [HEADER]: password } }),
    });
  const post = (token: string | undefined, text: string, password?: string) =>
    call(t.info.url, 'POST', `/api/v1/channels/${vault}/messages`, {
      token,
      body: { text },
      ...(password === undefined ? {} : { headers: { [HEADER]: password } }),
    });

  beforeAll(async () => {
    t = await startServer({ ...(await target.makeOptions()), auth: { loginPerMinute: 1000 } });
    admin = await adminToken(t.server);
    const ch = await call<{ id: number }>(t.info.url, 'POST', '/api/v1/channels', {
      token: admin,
      body: { name: 'Vault', password: SECRET },
    });
    expect(ch.status, ch.text).toBe(201);
    vault = ch.body.id;
    expect((await post(admin, 'the combination is 4-8-15')).status).toBe(201);
  });
  afterAll(async () => {
    for (const s of sessions) s.close();
    await t?.close();
  });

  it('history: nobody reads it without the password (anonymous, member), nor with a wrong one', async () => {
    const member = await account(t.server, 'member');
    expectProblem(await history(), 403, ErrorCode.ChannelPassword);
    expectProblem(await history(member.token), 403, ErrorCode.ChannelPassword);
    expectProblem(await history(undefined, 'guess'), 403, ErrorCode.ChannelPassword);
    const ok = await history(undefined, SECRET);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.items.map((m) => m.text)).toContain('the combination is 4-8-15');
  });

  it('posting: a member who never gave the password cannot post; with it, or once inside, can', async () => {
    const member = await account(t.server, 'member');
    expectProblem(await post(member.token, 'let me in'), 403, ErrorCode.ChannelPassword);
    expectProblem(await post(member.token, 'let me in', 'wrong'), 403, ErrorCode.ChannelPassword);
    expect((await post(member.token, 'with the password', SECRET)).status).toBe(201);

    // Inside through a live session (entered with the password): no header needed, over REST or WS.
    const insider = await account(t.server, 'member');
    const s = await liveSession(t.info.url, { token: insider.token });
    sessions.push(s);
    const from = s.messages.length;
    s.ws.send(JSON.stringify({ type: 'join', channel: 'Vault', password: SECRET }));
    await waitFor(() => s.messages.slice(from).some((m) => m.type === 'joined'), 'joined Vault');
    expect((await post(insider.token, 'from inside')).status).toBe(201);
    expect((await history(insider.token)).status).toBe(200);
    s.ws.send(JSON.stringify({ type: 'chat', text: 'over the socket', ref: 'c1' }));
    await waitFor(() => s.messages.some((m) => m.type === 'chat' && m.ref === 'c1'), 'chat echoed');
    // Once it has left, the door applies again.
    s.ws.send(JSON.stringify({ type: 'leave', ref: 'l1' }));
    await waitFor(() => s.messages.some((m) => m.type === 'left'), 'left');
    expectProblem(await history(insider.token), 403, ErrorCode.ChannelPassword);
    expectProblem(await post(insider.token, 'from outside'), 403, ErrorCode.ChannelPassword);
  });

  it('a guest over the WebSocket: in the channel only with the password, so its chat only then', async () => {
    const g = await liveSession(t.info.url, { name: 'wanderer' });
    sessions.push(g);
    g.ws.send(JSON.stringify({ type: 'join', channel: 'Vault', ref: 'j1' }));
    await waitFor(() => g.messages.some((m) => m.ref === 'j1'), 'join answered');
    expect(g.messages.find((m) => m.ref === 'j1')).toMatchObject({ code: ErrorCode.ChannelPassword });
    g.ws.send(JSON.stringify({ type: 'chat', text: 'hi', ref: 'c1' }));
    await waitFor(() => g.messages.some((m) => m.ref === 'c1'), 'chat answered');
    expect(g.messages.find((m) => m.ref === 'c1')).toMatchObject({ code: ErrorCode.NotInChannel });
  });

  it('moderators and admins pass the lock, as they do when entering', async () => {
    const mod = await account(t.server, 'moderator');
    expect((await history(mod.token)).status).toBe(200);
    expect((await post(mod.token, 'moderator here')).status).toBe(201);
    expect((await history(admin)).status).toBe(200);
  });

  it('a channel without a password stays open to read for anyone who may enter', async () => {
    const lobby = await call(t.info.url, 'GET', '/api/v1/channels/1/messages');
    expect(lobby.status, lobby.text).toBe(200);
  });
});
