/**
 * The channel rules of docs/control-plane.md "Channels", on a real server:
 * passwords, user limits (the channel's own and the run-time
 * maxUsersPerChannel), cycles, reordering, the protected default channel,
 * temporary channels made over REST, and permission overrides inherited by
 * children. Changes go through the REST API; what people may do is asked
 * over the WebSocket.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, type ChannelInfo } from '@parley/protocol';
import { account, call, expectProblem, uniqueName, type ApiResponse } from '../helpers/api.js';
import {
  flush,
  serverEvent,
  useWsServer,
  type Json,
  type ProbeSession,
  type WsProbe,
} from '../helpers/ws.js';

/** A channel as the REST API and the channel_* events carry it. */
type ChannelBody = ChannelInfo;

describe('channel rules, live', () => {
  const f = useWsServer();

  /** A REST call as the seeded admin. */
  const api = <T = ChannelBody>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> =>
    call<T>(f.url, method, `/api/v1${path}`, { token: f.admin.token, body });

  async function createChannel(body: Record<string, unknown>): Promise<ChannelBody> {
    const res = await api('POST', '/channels', { name: uniqueName('ch'), ...body });
    expect(res.status, res.text).toBe(201);
    return res.body;
  }

  /** A fresh account of `role`, said hello over a raw socket (and joined `channel`). */
  async function user(role: 'member' | 'moderator' | 'admin', channel?: number): Promise<ProbeSession> {
    const a = await account(f.server, role);
    return f.probe({ token: a.token }, channel);
  }
  const guest = (channel?: number): Promise<ProbeSession> => f.probe({ name: uniqueName('guest') }, channel);

  const join = (p: WsProbe, channel: number, password?: string): Promise<Json> =>
    p.request({ type: 'join', channel, ...(password === undefined ? {} : { password }) });
  const refusedWith = (code: ErrorCode): unknown => expect.objectContaining({ type: 'error', code });
  const joinedTo = (id: number): unknown =>
    expect.objectContaining({ type: 'joined', channel: expect.objectContaining({ id }) as unknown });
  const where = (s: ProbeSession): number | null | undefined =>
    f.server.hub.peerBySsrc(s.ssrc)?.media.channelId;

  it('a password-protected channel refuses a missing or wrong password, admits the right one; moderators and admins need none', async () => {
    const vault = await createChannel({ password: 'open sesame' });
    expect(vault).toMatchObject({ hasPassword: true });
    expect(vault).not.toHaveProperty('password');

    const member = await user('member');
    const visitor = await guest();
    for (const p of [member, visitor]) {
      expect(await join(p.probe, vault.id)).toEqual(refusedWith(ErrorCode.ChannelPassword));
      expect(await join(p.probe, vault.id, '')).toEqual(refusedWith(ErrorCode.ChannelPassword));
      expect(await join(p.probe, vault.id, 'open barley')).toEqual(refusedWith(ErrorCode.ChannelPassword));
      expect(await join(p.probe, vault.id, 'OPEN SESAME')).toEqual(refusedWith(ErrorCode.ChannelPassword));
      expect(where(p)).toBeNull();
      expect(await join(p.probe, vault.id, 'open sesame')).toEqual(joinedTo(vault.id));
      expect(where(p)).toBe(vault.id);
    }
    // Joining again from inside needs no password.
    expect(await join(member.probe, vault.id)).toEqual(joinedTo(vault.id));

    const mod = await user('moderator');
    const boss = await user('admin');
    expect(await join(mod.probe, vault.id)).toEqual(joinedTo(vault.id));
    expect(await join(boss.probe, vault.id, 'wrong, and it does not matter')).toEqual(joinedTo(vault.id));

    // A refused join left the refused one where it was.
    const outsider = await user('member');
    const games = f.server.hub.findChannel('Games')!.id;
    await join(outsider.probe, games);
    expect(await join(outsider.probe, vault.id, 'nope')).toEqual(refusedWith(ErrorCode.ChannelPassword));
    expect(where(outsider)).toBe(games);

    // The password lifted: everyone learns it (hasPassword false), anyone enters.
    const seen = outsider.probe.next(
      (m) => m.type === 'channel_updated' && (m.channel as ChannelBody).id === vault.id,
      'channel_updated',
      outsider.probe.messages.length,
    );
    expect((await api('PATCH', `/channels/${vault.id}`, { password: null })).body.hasPassword).toBe(false);
    expect((await seen).channel).toMatchObject({ hasPassword: false });
    expect(await join(outsider.probe, vault.id)).toEqual(joinedTo(vault.id));
  });

  it("a channel's userLimit refuses the next member with PARLEY_ERR_CHANNEL_FULL; moderators and admins still enter", async () => {
    const room = await createChannel({ userLimit: 2 });
    const m1 = await user('member', room.id);
    const m2 = await user('member', room.id);
    const m3 = await user('member');
    const visitor = await guest();
    expect(await join(m3.probe, room.id)).toEqual(refusedWith(ErrorCode.ChannelFull));
    expect(await join(visitor.probe, room.id)).toEqual(refusedWith(ErrorCode.ChannelFull));
    expect(where(m3)).toBeNull();
    // Someone inside may join it again (a no-op move), full or not.
    expect(await join(m2.probe, room.id)).toEqual(joinedTo(room.id));

    const mod = await user('moderator');
    const boss = await user('admin');
    expect(await join(mod.probe, room.id)).toEqual(joinedTo(room.id));
    expect(await join(boss.probe, room.id)).toEqual(joinedTo(room.id));
    expect(f.server.hub.memberCount(room.id)).toBe(4);

    // Room again only once fewer than the limit are inside.
    expect((await m1.probe.request({ type: 'leave' })).type).toBe('left');
    expect((await mod.probe.request({ type: 'leave' })).type).toBe('left');
    expect(await join(m3.probe, room.id)).toEqual(refusedWith(ErrorCode.ChannelFull)); // m2 and the admin: 2
    expect((await boss.probe.request({ type: 'leave' })).type).toBe('left');
    expect(await join(m3.probe, room.id)).toEqual(joinedTo(room.id));
    expect(await join(visitor.probe, room.id)).toEqual(refusedWith(ErrorCode.ChannelFull));

    // Raising the limit over REST lets the guest in.
    expect((await api('PATCH', `/channels/${room.id}`, { userLimit: 3 })).status).toBe(200);
    expect(await join(visitor.probe, room.id)).toEqual(joinedTo(room.id));
  });

  it('concurrent joins of a channel with a password never exceed its user limit', async () => {
    const room = await createChannel({ userLimit: 2, password: 'open sesame' });
    const members = await Promise.all([1, 2, 3, 4, 5].map(() => user('member')));
    // All five are checked at once: the password hashes are verified in parallel.
    const answers = await Promise.all(members.map((m) => join(m.probe, room.id, 'open sesame')));
    const outcome = answers.map((a) => (a.type === 'joined' ? 'joined' : String(a.code))).sort();
    expect(outcome).toEqual([
      'PARLEY_ERR_CHANNEL_FULL',
      'PARLEY_ERR_CHANNEL_FULL',
      'PARLEY_ERR_CHANNEL_FULL',
      'joined',
      'joined',
    ]);
    expect(f.server.hub.memberCount(room.id)).toBe(2);
  });

  it('maxUsersPerChannel (run-time setting) limits the channels whose own userLimit is 0', async () => {
    const open = await createChannel({});
    const roomy = await createChannel({ userLimit: 3 });
    await f.server.services.patchSettings(f.admin.actor, { maxUsersPerChannel: 1 });

    const m1 = await user('member', open.id);
    const m2 = await user('member');
    expect(await join(m2.probe, open.id)).toEqual(refusedWith(ErrorCode.ChannelFull));
    const visitor = await guest();
    expect(await join(visitor.probe, open.id)).toEqual(refusedWith(ErrorCode.ChannelFull));
    const mod = await user('moderator');
    expect(await join(mod.probe, open.id)).toEqual(joinedTo(open.id));
    // A channel's own limit wins over the server-wide one.
    expect(await join(m2.probe, roomy.id)).toEqual(joinedTo(roomy.id));
    expect(await join(visitor.probe, roomy.id)).toEqual(joinedTo(roomy.id));
    expect(f.server.hub.memberCount(open.id)).toBe(2);
    expect(where(m1)).toBe(open.id);

    // Back to 0 (none): anyone enters.
    await f.server.services.patchSettings(f.admin.actor, { maxUsersPerChannel: 0 });
    expect(await join(m2.probe, open.id)).toEqual(joinedTo(open.id));
    expect(await join(visitor.probe, open.id)).toEqual(joinedTo(open.id));
  });

  it('moving a channel under itself or its own descendant is refused (PARLEY_ERR_CHANNEL_CYCLE) and changes nothing', async () => {
    const a = await createChannel({ description: 'top' });
    const b = await createChannel({ parentId: a.id });
    const c = await createChannel({ parentId: b.id });
    const watcher = await guest();
    const from = watcher.probe.messages.length;

    for (const body of [
      { parentId: c.id },
      { parentId: b.id },
      { parentId: a.id },
      { parentId: c.id, description: 'half-written?', name: uniqueName('renamed') },
    ]) {
      expectProblem(await api('PATCH', `/channels/${a.id}`, body), 409, ErrorCode.ChannelCycle);
    }
    expectProblem(await api('PATCH', `/channels/${b.id}`, { parentId: c.id }), 409, ErrorCode.ChannelCycle);

    expect((await api('GET', `/channels/${a.id}`)).body).toEqual(a);
    expect((await api('GET', `/channels/${b.id}`)).body).toEqual(b);
    expect(f.server.hub.findChannel(a.id)).toMatchObject({
      parentId: null,
      name: a.name,
      description: 'top',
    });
    expect((await watcher.probe.request({ type: 'ping', t: 0 })).type).toBe('pong');
    expect(watcher.probe.messages.slice(from).filter((m) => m.type === 'channel_updated')).toEqual([]);
    const audit = await api<{ items: unknown[] }>(
      'GET',
      `/audit?action=channel.update&targetType=channel&targetId=${a.id}`,
    );
    expect(audit.status).toBe(200);
    expect(audit.body.items).toEqual([]);

    // A legal move of the same tree still works: c to the top level.
    const moved = watcher.probe.next(
      (m) => m.type === 'channel_updated' && (m.channel as ChannelBody).id === c.id,
      'channel_updated for c',
      from,
    );
    expect((await api('PATCH', `/channels/${c.id}`, { parentId: null })).body.parentId).toBeNull();
    expect((await moved).channel).toMatchObject({ parentId: null });
  });

  it('reordering (PATCH position) reaches every client as channel_updated', async () => {
    const first = await createChannel({ position: 1 });
    const second = await createChannel({ position: 2 });
    const alice = await f.sdk({ name: 'alice' }, 'Lobby');
    const bob = await f.sdk({ name: 'bob' });
    const clients = [alice, bob];

    const moved = clients.map((c) =>
      serverEvent(c, 'channel_updated', (m) => m.channel.id === second.id && m.channel.position === 0),
    );
    const res = await api('PATCH', `/channels/${second.id}`, { position: 0 });
    expect(res.body).toMatchObject({ id: second.id, position: 0, name: second.name });
    for (const m of await Promise.all(moved)) {
      expect(m.channel).toMatchObject({ id: second.id, name: second.name, parentId: null, position: 0 });
    }
    const pushed = clients.map((c) =>
      serverEvent(c, 'channel_updated', (m) => m.channel.id === first.id && m.channel.position === 7),
    );
    await api('PATCH', `/channels/${first.id}`, { position: 7 });
    await Promise.all(pushed);
    for (const c of clients) {
      expect(c.channels.get(second.id)?.position).toBe(0);
      expect(c.channels.get(first.id)?.position).toBe(7);
    }
    const list = await api<{ items: ChannelBody[] }>('GET', '/channels?sort=position&limit=200');
    const order = list.body.items.map((ch) => ch.id).filter((id) => id === first.id || id === second.id);
    expect(order).toEqual([second.id, first.id]);
  });

  it('the default channel Lobby cannot be deleted (PARLEY_ERR_CHANNEL_PROTECTED), nor lost by renaming or moving it', async () => {
    const lobby = f.server.hub.findChannel('Lobby')!;
    const inside = await f.sdk({ name: 'alice' }, 'Lobby');
    const deleted: number[] = [];
    inside.onEvent((m) => {
      if (m.type === 'channel_deleted') deleted.push(m.channelId);
    });
    const mod = await account(f.server, 'moderator');

    expectProblem(await api('DELETE', `/channels/${lobby.id}`), 409, ErrorCode.ChannelProtected);
    expectProblem(
      await call(f.url, 'DELETE', `/api/v1/channels/${lobby.id}`, { token: mod.token }),
      409,
      ErrorCode.ChannelProtected,
    );
    // Nor with a parent it was moved under (it may be moved: it stays the default channel).
    const parent = await createChannel({});
    expect((await api('PATCH', `/channels/${lobby.id}`, { parentId: parent.id })).body.parentId).toBe(
      parent.id,
    );
    expectProblem(await api('DELETE', `/channels/${parent.id}`), 409, ErrorCode.ChannelProtected);
    expect(f.server.hub.findChannel(parent.id)).toBeDefined();
    expect(f.server.hub.findChannel(lobby.id)).toMatchObject({ parentId: parent.id });
    expect((await api('PATCH', `/channels/${lobby.id}`, { parentId: null })).body.parentId).toBeNull();
    expect((await api('DELETE', `/channels/${parent.id}`)).status).toBe(204);
    // Nor renamed (the server knows it by its name): it would lose its protection.
    expectProblem(
      await api('PATCH', `/channels/${lobby.id}`, { name: 'Foyer' }),
      409,
      ErrorCode.ChannelProtected,
    );
    expect((await api('PATCH', `/channels/${lobby.id}`, { description: 'the way in' })).status).toBe(200);

    expect((await api('GET', `/channels/${lobby.id}`)).status).toBe(200);
    await flush(inside);
    expect(deleted).toEqual([parent.id]);
    expect(inside.joined?.channel.id).toBe(lobby.id);
    expect(f.server.hub.peersIn(lobby.id).map((p) => p.media.ssrc)).toEqual([inside.sessionId]);
  });

  it('a channel created with temporary: true over REST vanishes when its last member leaves', async () => {
    const temp = await createChannel({ temporary: true });
    expect(temp.temporary).toBe(true);
    const alice = await f.sdk({ name: 'alice' }, temp.id);
    const bob = await f.sdk({ name: 'bob' }, temp.id);
    const watcher = await f.sdk({ name: 'carol' });

    await alice.leave();
    await flush(watcher);
    expect(f.server.hub.findChannel(temp.id)).toBeDefined(); // bob is still in it
    expect((await api('GET', `/channels/${temp.id}`)).status).toBe(200);

    const gone = [alice, watcher].map((c) =>
      serverEvent(c, 'channel_deleted', (m) => m.channelId === temp.id),
    );
    await bob.leave();
    await Promise.all(gone);
    expect(f.server.hub.findChannel(temp.id)).toBeUndefined();
    expectProblem(await api('GET', `/channels/${temp.id}`), 404, ErrorCode.UnknownChannel);
    expect(watcher.channels.has(temp.id)).toBe(false);
  });

  it('per-channel overrides are inherited by children: deny Text on a parent, allow it again on the child', async () => {
    const parent = await createChannel({});
    const child = await createChannel({ parentId: parent.id });
    const member = await user('member', child.id);
    const mod = await user('moderator', child.id);
    const visitor = await guest(child.id);
    const chat = (p: ProbeSession, text: string): Promise<Json> => p.probe.request({ type: 'chat', text });
    const posted = (text: string): unknown =>
      expect.objectContaining({ type: 'chat', message: expect.objectContaining({ text }) as unknown });

    const put = (id: number, role: string, allow: string[], deny: string[]) =>
      api<{ role: string }>('PUT', `/channels/${id}/permissions/${role}`, { allow, deny });
    expect((await put(parent.id, 'member', [], ['Text'])).status).toBe(200);
    expect(await chat(member, 'in the child')).toEqual(refusedWith(ErrorCode.Forbidden));
    // Other roles keep it.
    expect(await chat(mod, 'moderators may')).toEqual(posted('moderators may'));
    expect(await chat(visitor, 'guests may')).toEqual(posted('guests may'));
    const perms = await api<{ effective: Record<string, string[]> }>(
      'GET',
      `/channels/${child.id}/permissions`,
    );
    expect(perms.body.effective.member).not.toContain('Text');
    expect(perms.body.effective.member).toContain('Enter');

    expect((await put(child.id, 'member', ['Text'], [])).status).toBe(200);
    expect(await chat(member, 'the child re-allows')).toEqual(posted('the child re-allows'));
    // The parent itself still denies it.
    expect(await join(member.probe, parent.id)).toEqual(joinedTo(parent.id));
    expect(await chat(member, 'in the parent')).toEqual(refusedWith(ErrorCode.Forbidden));

    // Lifting the parent's deny (empty allow and deny) restores the default there.
    expect((await put(parent.id, 'member', [], [])).status).toBe(200);
    expect(await chat(member, 'lifted')).toEqual(posted('lifted'));
  });
});
