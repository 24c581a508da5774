import { FRAME_SAMPLES } from '@parley/protocol';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import type { Member, ServerMessage } from '@parley/protocol';
import type { VoiceClient } from '@parley/client';
import { waitFor } from '../helpers/wait.js';
import {
  account,
  disconnectedOf,
  flush,
  frame,
  hear,
  presenceOf,
  serverEvent,
  speak,
  useWsServer,
  type Account,
} from '../helpers/ws.js';

describe('moderation over the WebSocket, live', () => {
  const f = useWsServer();
  const drops = () => f.server.plane.stats.snapshot().drops;
  const sdk = (acc: Account, channel: string): Promise<VoiceClient> => f.sdk({ token: acc.token }, channel);

  it('a live ban disconnects at once (4004), drops the banned voice, and the others go on', async () => {
    const boss = await sdk(f.admin, 'Lobby');
    const alice = await sdk(await account(f.server, f.admin, 'alice', 'member'), 'Lobby');
    const bob = await sdk(await account(f.server, f.admin, 'bob', 'member'), 'Lobby');
    const bobSsrc = bob.sessionId;
    const events: ServerMessage[] = [];
    bob.onEvent((m) => events.push(m));
    // Alice knows bob before he goes.
    await waitFor(() => alice.members.has(bobSsrc), 'alice to know bob');
    const gone = disconnectedOf(bob);
    const left = presenceOf(alice, 'left', (m) => m.ssrc === bobSsrc);

    await boss.ban(bobSsrc, { reason: 'spam' });

    expect(await gone).toMatchObject({
      code: 'PARLEY_ERR_BANNED',
      closeCode: 4004,
      by: 'admin',
      reason: 'spam',
    });
    expect(events.at(-1)).toMatchObject({ type: 'disconnected', code: 'PARLEY_ERR_BANNED', by: 'admin' });
    await left;
    expect(bob.state).toBe('closed');
    expect(f.server.hub.peerBySsrc(bobSsrc)).toBeUndefined();

    // His voice, sealed with his key, no longer has a session to go to.
    const udp = createSocket('udp4');
    const before = drops().unknown_session;
    for (let i = 0; i < 5; i++)
      udp.send(bob.sealAudio(frame(i), i * FRAME_SAMPLES), f.t.info.udpPort, '127.0.0.1');
    await waitFor(() => drops().unknown_session === before + 5, 'five unknown_session drops');
    udp.close();

    const heardByBoss = hear(boss);
    const heardByAlice = hear(alice);
    speak(alice, 10);
    speak(boss, 10, 100);
    await waitFor(
      () => heardByBoss.length === 10 && heardByAlice.length === 10,
      'alice and admin hear each other',
    );
    expect(heardByBoss.every((p) => p.ssrc === alice.sessionId)).toBe(true);
  });

  it('kick closes with 4003 and tells the channel; a member may not kick, a moderator not an admin', async () => {
    const mod = await sdk(await account(f.server, f.admin, 'mod', 'moderator'), 'Lobby');
    const alice = await sdk(await account(f.server, f.admin, 'alice', 'member'), 'Lobby');
    const bob = await sdk(await account(f.server, f.admin, 'bob', 'member'), 'Lobby');
    const boss = await sdk(f.admin, 'Lobby');

    await expect(alice.kick(bob.sessionId)).rejects.toMatchObject({ code: 'PARLEY_ERR_FORBIDDEN' });
    await expect(mod.kick(boss.sessionId, 'coup')).rejects.toMatchObject({ code: 'PARLEY_ERR_FORBIDDEN' });
    await expect(mod.kick(0x7ffffffe)).rejects.toMatchObject({ code: 'PARLEY_ERR_UNKNOWN_SESSION' });

    await waitFor(() => alice.members.has(bob.sessionId), 'alice to know bob');
    const gone = disconnectedOf(bob);
    const left = presenceOf(alice, 'left', (m) => m.ssrc === bob.sessionId);
    await mod.kick(bob.sessionId, 'be nice');
    expect(await gone).toMatchObject({
      code: 'PARLEY_ERR_KICKED',
      closeCode: 4003,
      reason: 'be nice',
      by: 'mod',
    });
    await left;
    expect(bob.state).toBe('closed');
    expect(
      f.server.hub
        .membersOf(f.server.hub.findChannel('Lobby')!.id)
        .map((m) => m.name)
        .sort(),
    ).toEqual(['admin', 'alice', 'mod']);
  });

  it('move sends a new joined to the moved one, and the audio follows', async () => {
    const mod = await sdk(await account(f.server, f.admin, 'mod', 'moderator'), 'Lobby');
    const alice = await sdk(await account(f.server, f.admin, 'alice', 'member'), 'Lobby');
    const bob = await sdk(await account(f.server, f.admin, 'bob', 'member'), 'Lobby');
    const carol = await sdk(await account(f.server, f.admin, 'carol', 'member'), 'Games');
    const joined = serverEvent(bob, 'joined');
    await waitFor(() => alice.members.has(bob.sessionId), 'alice to know bob');
    const arrived = presenceOf(carol, 'joined', (m) => m.ssrc === bob.sessionId);
    const left = presenceOf(alice, 'left', (m) => m.ssrc === bob.sessionId);

    await mod.move(bob.sessionId, 'Games');

    const j = await joined;
    expect(j.channel.name).toBe('Games');
    expect(j.ref).toBeUndefined();
    expect(j.media.ssrc).toBe(bob.sessionId);
    expect(j.members.map((m: Member) => m.name)).toEqual(['carol']);
    await arrived;
    await left;
    expect(bob.joined?.channel.name).toBe('Games');

    const atCarol = hear(carol);
    const atAlice = hear(alice);
    speak(bob, 20);
    await waitFor(() => atCarol.length === 20, 'carol hears bob in Games');
    await flush(alice);
    expect(atAlice).toHaveLength(0);
    // And he hears Games, not Lobby any more.
    const atBob = hear(bob);
    speak(alice, 10, 100);
    speak(carol, 10, 200);
    await waitFor(() => atBob.length === 10, 'bob hears carol');
    await waitFor(() => f.server.plane.stats.snapshot().audioIn >= 40, 'alice’s frames routed');
    await flush(bob);
    expect(atBob.every((p) => p.ssrc === carol.sessionId)).toBe(true);
    await expect(alice.move(bob.sessionId, 'Lobby')).rejects.toMatchObject({ code: 'PARLEY_ERR_FORBIDDEN' });
  });

  it('server mute drops the voice under `muted` and shows in presence; priority too', async () => {
    const boss = await sdk(f.admin, 'Lobby');
    const alice = await sdk(await account(f.server, f.admin, 'alice', 'member'), 'Lobby');
    const bob = await sdk(await account(f.server, f.admin, 'bob', 'member'), 'Lobby');
    const atAlice = hear(alice);

    const muted = presenceOf(alice, 'changed', (m) => m.ssrc === bob.sessionId && m.serverMuted);
    await boss.serverMute(bob.sessionId, { muted: true });
    expect(await muted).toMatchObject({ name: 'bob', serverMuted: true, muted: false });
    expect(alice.members.get(bob.sessionId)?.serverMuted).toBe(true);

    const before = drops().muted;
    speak(bob, 15);
    await waitFor(() => drops().muted === before + 15, 'fifteen muted drops');
    await flush(alice);
    expect(atAlice).toHaveLength(0);

    const unmuted = presenceOf(alice, 'changed', (m) => m.ssrc === bob.sessionId && !m.serverMuted);
    await boss.serverMute(bob.sessionId, { muted: false });
    await unmuted;
    speak(bob, 5, 100);
    await waitFor(() => atAlice.length === 5, 'alice hears bob again');

    const prio = presenceOf(alice, 'changed', (m) => m.ssrc === bob.sessionId && m.prioritySpeaker);
    await boss.priority(bob.sessionId, true);
    expect((await prio).prioritySpeaker).toBe(true);
    await expect(alice.priority(bob.sessionId, false)).rejects.toMatchObject({
      code: 'PARLEY_ERR_FORBIDDEN',
    });
    await expect(alice.serverMute(bob.sessionId, { muted: true })).rejects.toMatchObject({
      code: 'PARLEY_ERR_FORBIDDEN',
    });
  });
});
