import { describe, expect, it } from 'vitest';
import type { ChatMessageInfo, ServerMessage } from '@parley/protocol';
import type { VoiceClient } from '@parley/client';
import { Perm } from '../../packages/server/src/auth/permissions.js';
import { account, clientEvent, flush, presenceOf, serverEvent, useWsServer } from '../helpers/ws.js';

/** Every server event a client receives, in order. */
function record(client: VoiceClient): ServerMessage[] {
  const all: ServerMessage[] = [];
  client.onEvent((m) => all.push(m));
  return all;
}

describe('live channel tree, chat and temporary channels', () => {
  const f = useWsServer();
  const sdk = f.sdk;

  it('created / renamed / deleted channels reach every client; occupants land in the parent or Lobby', async () => {
    const { channels } = f.server.services;
    const alice = await sdk({ name: 'alice' }, 'Lobby');
    const bob = await sdk({ name: 'bob' }, 'Games');
    const carol = await sdk({ name: 'carol' }); // connected, in no channel
    const everyone = [alice, bob, carol];
    const games = f.server.hub.findChannel('Games')!;

    const created = everyone.map((c) => serverEvent(c, 'channel_created', (m) => m.channel.name === 'Raid'));
    const raid = await channels.create(f.admin.actor, { name: 'Raid', parentId: games.id, userLimit: 5 });
    for (const m of await Promise.all(created)) {
      expect(m.channel).toMatchObject({ id: raid.id, parentId: games.id, userLimit: 5, hasPassword: false });
    }
    for (const c of everyone) expect(c.channels.get(raid.id)?.name).toBe('Raid');

    const renamed = everyone.map((c) => serverEvent(c, 'channel_updated', (m) => m.channel.id === raid.id));
    await channels.update(f.admin.actor, raid.id, { name: 'Raid night', description: 'Thursdays' });
    for (const m of await Promise.all(renamed)) expect(m.channel.name).toBe('Raid night');
    for (const c of everyone) expect(c.channels.get(raid.id)?.description).toBe('Thursdays');

    // bob goes into Raid night; deleting it puts him back in Games with a fresh `joined`.
    await bob.join('Raid night');
    const bobBack = serverEvent(bob, 'joined');
    const arrivesInGames = serverEvent(alice, 'channel_deleted', (m) => m.channelId === raid.id);
    const deleted = everyone.map((c) => serverEvent(c, 'channel_deleted', (m) => m.channelId === raid.id));
    await channels.remove(f.admin.actor, raid.id);
    expect((await bobBack).channel).toEqual({ id: games.id, name: 'Games' });
    await arrivesInGames;
    await Promise.all(deleted);
    for (const c of everyone) expect(c.channels.has(raid.id)).toBe(false);
    expect(bob.joined?.channel.name).toBe('Games');
    expect(f.server.hub.peersIn(games.id).map((p) => p.media.ssrc)).toEqual([bob.sessionId]);

    // A top-level channel: its people land in Lobby.
    const top = await channels.create(f.admin.actor, { name: 'Top' });
    await carol.join('Top');
    const carolBack = serverEvent(carol, 'joined');
    const seenByAlice = presenceOf(alice, 'joined', (m) => m.ssrc === carol.sessionId);
    await channels.remove(f.admin.actor, top.id);
    expect((await carolBack).channel.name).toBe('Lobby');
    await seenByAlice;
    expect(alice.members.has(carol.sessionId)).toBe(true);
  });

  it('chat reaches the members of the channel, and only them', async () => {
    const alice = await sdk({ token: (await account(f.server, f.admin, 'alice', 'member')).token }, 'Lobby');
    const bob = await sdk({ name: 'bob' }, 'Lobby');
    const carol = await sdk({ name: 'carol' }, 'Games');
    const atBob: ChatMessageInfo[] = [];
    const atCarol: ChatMessageInfo[] = [];
    bob.on('chat', (m) => atBob.push(m));
    carol.on('chat', (m) => atCarol.push(m));

    const arrived = clientEvent(bob, 'chat');
    const sent = await alice.sendChat('  hello, Lobby  ');
    expect(sent).toMatchObject({ authorName: 'alice', text: 'hello, Lobby' });
    expect(sent.authorId).not.toBeNull();
    expect(await arrived).toEqual(sent);
    const reply = await bob.sendChat('hi alice');
    expect(reply).toMatchObject({ authorId: null, authorName: 'bob' });
    await flush(carol);
    expect(atCarol).toHaveLength(0);
    expect(atBob.map((m) => m.text)).toEqual(['hello, Lobby', 'hi alice']);
    // Stored too: the history the REST API serves.
    const lobby = f.server.hub.findChannel('Lobby')!.id;
    const page = await f.server.services.chat.history(
      f.admin.actor,
      lobby,
      {},
      {
        limit: 10,
        cursor: undefined,
        column: 'id',
        desc: true,
      },
    );
    expect(page.items.map((m) => m.text)).toEqual(['hi alice', 'hello, Lobby']);

    await expect(carol.leave()).resolves.toBeUndefined();
    await expect(carol.sendChat('anyone?')).rejects.toMatchObject({ code: 'PARLEY_ERR_NOT_IN_CHANNEL' });
    await f.server.services.channels.setOverride(f.admin.actor, lobby, 'guest', 0, Perm.Text);
    await expect(bob.sendChat('muted?')).rejects.toMatchObject({ code: 'PARLEY_ERR_FORBIDDEN' });
    await expect(alice.sendChat('members still may')).resolves.toMatchObject({ text: 'members still may' });
  });

  it('a temporary channel made with create_temp vanishes when its last member leaves', async () => {
    const alice = await sdk({ token: (await account(f.server, f.admin, 'alice', 'member')).token }, 'Lobby');
    const bob = await sdk({ name: 'bob' }, 'Lobby');
    const bobEvents = record(bob);
    const lobby = f.server.hub.findChannel('Lobby')!.id;

    const joined = await alice.createTemp('Pick-up game', lobby);
    expect(joined.channel.name).toBe('Pick-up game');
    const tempId = joined.channel.id;
    expect(alice.channels.get(tempId)).toMatchObject({ temporary: true, parentId: lobby });
    await serverEvent(bob, 'channel_created', (m) => m.channel.id === tempId);
    await bob.join(tempId);

    await alice.join('Lobby');
    await flush(bob);
    expect(f.server.hub.findChannel(tempId)).toBeDefined(); // bob is still in it

    const gone = serverEvent(bob, 'channel_deleted', (m) => m.channelId === tempId);
    await bob.leave();
    await gone;
    expect(f.server.hub.findChannel(tempId)).toBeUndefined();
    expect(bob.channels.has(tempId)).toBe(false);
    expect(bobEvents.filter((m) => m.type === 'channel_deleted')).toHaveLength(1);

    // A guest may make one too (Enter on the parent), and a name that exists is refused.
    await expect(bob.createTemp('Games')).rejects.toMatchObject({ code: 'PARLEY_ERR_NAME_TAKEN' });
    const solo = await bob.createTemp('Solo');
    const soloGone = serverEvent(alice, 'channel_deleted', (m) => m.channelId === solo.channel.id);
    bob.close(); // a goodbye: the session ends at once, the channel empties
    await soloGone;
  });
});
