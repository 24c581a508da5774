import { afterEach, describe, expect, it } from 'vitest';
import type { PresenceMessage, ServerMessage } from '@parley/protocol';
import type { ConfigOverrides } from '@parley/server';
import type { ControlSession } from '../../packages/server/src/control/session.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import {
  account,
  clientEvent,
  hear,
  isPresence,
  loginAdmin,
  presenceOf,
  SdkHandle,
  speak,
  WsProbe,
  type Json,
} from '../helpers/ws.js';

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('session resume', () => {
  let t: TestServer;
  const probes: WsProbe[] = [];
  const handles: SdkHandle[] = [];

  async function start(overrides: ConfigOverrides = {}): Promise<void> {
    t = await startServer(overrides);
  }
  async function probe(): Promise<WsProbe> {
    const p = await WsProbe.open(t.info.url);
    probes.push(p);
    return p;
  }
  async function sdk(name: string, channel: string, token?: string): Promise<SdkHandle> {
    const h = await SdkHandle.connect(t.info.url, token === undefined ? { name } : { token });
    handles.push(h);
    await h.client.join(channel);
    return h;
  }
  /** A raw guest in a channel: its welcome and the probe. */
  async function rawMember(name: string, channel: string): Promise<{ p: WsProbe; welcome: Json }> {
    const p = await probe();
    const welcome = await p.request({ type: 'hello', v: 1, name });
    await p.request({ type: 'join', channel });
    return { p, welcome };
  }
  const sessionOf = (ssrc: number): ControlSession | undefined =>
    t.server.hub.peerBySsrc(ssrc) as ControlSession | undefined;
  const lobbyId = (): number => t.server.hub.findChannel('Lobby')!.id;

  afterEach(async () => {
    for (const p of probes.splice(0)) p.close();
    for (const h of handles.splice(0)) h.client.close();
    await t.close();
  });

  it('a cut socket resumes the same session: every missed event, in order, once, then live ones', async () => {
    await start();
    const { p: rita, welcome } = await rawMember('rita', 'Lobby');
    const ssrc = welcome.sessionId as number;
    const sam = (await sdk('sam', 'Lobby')).client;
    await rita.next((m) => isPresence(m, 'joined'), 'rita sees sam');
    const lastSeq = rita.lastSeq;
    expect(rita.messages.filter((m) => m.seq !== undefined).map((m) => m.seq)).toEqual(range(1, lastSeq));

    rita.cut();
    await waitFor(() => sessionOf(ssrc)?.status === 'detached', 'the server to notice the cut');
    // Still in its channel, still a member for the others.
    expect(t.server.hub.membersOf(lobbyId()).map((m) => m.ssrc)).toContain(ssrc);

    // Meanwhile: someone joins, sam speaks (speaking on, then off), and chats.
    const tom = (await sdk('tom', 'Lobby')).client;
    const loud = presenceOf(tom, 'changed', (m) => m.ssrc === sam.sessionId && m.speaking);
    const quiet = presenceOf(tom, 'changed', (m) => m.ssrc === sam.sessionId && !m.speaking);
    speak(sam, 10);
    await loud;
    await quiet;
    await sam.sendChat('while you were away');
    const missedUpTo = sessionOf(ssrc)!.lastSeq;

    const again = await probe();
    const w2 = await again.request({
      type: 'hello',
      v: 1,
      name: 'rita',
      resume: { token: welcome.resumeToken, lastSeq },
    });
    expect(w2).toMatchObject({
      type: 'welcome',
      resumed: true,
      sessionId: ssrc,
      resumeToken: welcome.resumeToken,
    });
    expect(w2.seq).toBeUndefined();
    await again.next((m) => m.seq === missedUpTo, 'the last missed event');
    const replayed = again.messages.filter((m) => m.seq !== undefined);
    expect(replayed.map((m) => m.seq)).toEqual(range(lastSeq + 1, missedUpTo));
    const types = replayed.map((m) => m.type);
    // Presence batches (tom came in; sam's speaking on, then off), then the chat.
    expect(isPresence(replayed[0]!, 'joined', (m) => m.ssrc === tom.sessionId)).toBe(true);
    expect(types.at(-1)).toBe('chat');
    expect(types.slice(0, -1).every((ty) => ty === 'presence')).toBe(true);
    const speaking = replayed
      .flatMap((m) => (m.type === 'presence' ? (m as unknown as PresenceMessage).changed : []))
      .filter((m) => m.ssrc === sam.sessionId)
      .map((m) => m.speaking);
    expect(speaking[0]).toBe(true);
    expect(speaking.at(-1)).toBe(false);

    // Live again, numbering goes on.
    const live = again.next(
      (m) => m.type === 'chat' && (m.message as { text: string }).text === 'welcome back',
      'live chat',
    );
    await tom.sendChat('welcome back');
    expect((await live).seq).toBe(missedUpTo + 1);
    const left = await again.request({ type: 'leave' });
    expect(left).toMatchObject({ type: 'left', channelId: lobbyId(), seq: missedUpTo + 2 });
    expect(sessionOf(ssrc)?.status).toBe('ready');
  });

  it('after the grace period the session is gone: its leave went out, resume fails, a plain hello works', async () => {
    await start({ auth: { resumeGraceMs: 300 } });
    const { p: rita, welcome } = await rawMember('rita', 'Lobby');
    const ssrc = welcome.sessionId as number;
    const sam = (await sdk('sam', 'Lobby')).client;
    await rita.next((m) => isPresence(m, 'joined'), 'rita sees sam');
    const left = presenceOf(sam, 'left', (m) => m.ssrc === ssrc);
    rita.cut();
    await left;
    expect(sessionOf(ssrc)).toBeUndefined();

    const again = await probe();
    const err = await again.request({
      type: 'hello',
      v: 1,
      name: 'rita',
      resume: { token: welcome.resumeToken, lastSeq: rita.lastSeq },
    });
    expect(err).toMatchObject({ type: 'error', code: 'PARLEY_ERR_RESUME_FAILED' });
    expect(err.seq).toBeUndefined();
    const fresh = await again.request({ type: 'hello', v: 1, name: 'rita' });
    expect(fresh).toMatchObject({ type: 'welcome', resumed: false });
    expect(fresh.sessionId).not.toBe(ssrc);
  });

  it('fails when more events were missed than are kept, and the stale session ends', async () => {
    await start();
    const { p: rita, welcome } = await rawMember('rita', 'Lobby');
    const ssrc = welcome.sessionId as number;
    const sam = (await sdk('sam', 'Lobby')).client;
    await rita.next((m) => isPresence(m, 'joined'), 'rita sees sam');
    const lastSeq = rita.lastSeq;
    rita.cut();
    await waitFor(() => sessionOf(ssrc)?.status === 'detached', 'the server to notice the cut');
    const samPeer = t.server.hub.peerBySsrc(sam.sessionId)!;
    // One presence batch per tick: 300 ticks' worth.
    for (let i = 0; i < 300; i++) {
      t.server.hub.updatePresence(samPeer, { prioritySpeaker: i % 2 === 0 });
      t.server.hub.flushPresence();
    }

    const left = presenceOf(sam, 'left', (m) => m.ssrc === ssrc);
    const again = await probe();
    const err = await again.request({
      type: 'hello',
      v: 1,
      name: 'rita',
      resume: { token: welcome.resumeToken, lastSeq },
    });
    expect(err).toMatchObject({ type: 'error', code: 'PARLEY_ERR_RESUME_FAILED' });
    await left;
    expect(sessionOf(ssrc)).toBeUndefined();
  });

  it('takes over a session whose old socket is still open (closed with 4006)', async () => {
    await start();
    const { p: old, welcome } = await rawMember('rita', 'Lobby');
    // The batch announcing her own join comes a presence tick later: once it
    // is in, `lastSeq` is final (otherwise the resume replays it, and the pong's seq moves).
    await old.next((m) => isPresence(m, 'joined'), 'rita sees her own join');
    const again = await probe();
    const w2 = await again.request({
      type: 'hello',
      v: 1,
      name: 'rita',
      resume: { token: welcome.resumeToken, lastSeq: old.lastSeq },
    });
    expect(w2).toMatchObject({ resumed: true, sessionId: welcome.sessionId });
    expect(await old.closed).toBe(4006);
    expect(await again.request({ type: 'ping', t: 7 })).toMatchObject({
      type: 'pong',
      t: 7,
      seq: old.lastSeq + 1,
    });
    expect(sessionOf(welcome.sessionId as number)?.status).toBe('in_channel');
  });

  it('a resume token only works for the same account, and a wrong one leaves the session resumable', async () => {
    await start();
    const admin = await loginAdmin(t.server);
    const alice = await account(t.server, admin, 'alice', 'member');
    const p = await probe();
    const welcome = await p.request({ type: 'hello', v: 1, token: alice.token });
    p.cut();
    await waitFor(() => sessionOf(welcome.sessionId as number)?.status === 'detached', 'detached');
    const resume = { token: welcome.resumeToken, lastSeq: 0 };

    const asGuest = await probe();
    expect(await asGuest.request({ type: 'hello', v: 1, name: 'mallory', resume })).toMatchObject({
      code: 'PARLEY_ERR_RESUME_FAILED',
    });
    const asAdmin = await probe();
    expect(await asAdmin.request({ type: 'hello', v: 1, token: admin.token, resume })).toMatchObject({
      code: 'PARLEY_ERR_RESUME_FAILED',
    });
    const forged = await probe();
    const badToken = { token: `${String(welcome.resumeToken).slice(0, -2)}AA`, lastSeq: 0 };
    expect(await forged.request({ type: 'hello', v: 1, token: alice.token, resume: badToken })).toMatchObject(
      {
        code: 'PARLEY_ERR_RESUME_FAILED',
      },
    );
    const owner = await probe();
    expect(await owner.request({ type: 'hello', v: 1, token: alice.token, resume })).toMatchObject({
      type: 'welcome',
      resumed: true,
      sessionId: welcome.sessionId,
    });
  });

  it('the SDK resumes by itself, without dropping UDP media meanwhile', async () => {
    await start();
    const a = await sdk('alice', 'Lobby');
    const alice = a.client;
    const bob = (await sdk('bob', 'Lobby')).client;
    const ssrc = alice.sessionId;
    const seen: ServerMessage[] = [];
    alice.onEvent((m) => seen.push(m));
    const heardByAlice = hear(alice);

    a.online = false; // reconnections fail until the test says so
    const reconnecting = clientEvent(alice, 'reconnecting');
    a.cut();
    await reconnecting;
    await waitFor(() => sessionOf(ssrc)?.status === 'detached', 'the server to notice the cut');
    expect(alice.state).toBe('reconnecting');

    // Voice goes on over UDP while the WebSocket is down.
    speak(bob, 20);
    await waitFor(() => heardByAlice.length === 20, 'alice hears bob over UDP while disconnected');
    const carol = (await sdk('carol', 'Lobby')).client;
    await bob.sendChat('did you miss this?');

    const chat = clientEvent(alice, 'chat');
    const back = clientEvent(alice, 'reconnected');
    a.online = true;
    expect(await back).toEqual({ resumed: true });
    expect((await chat).text).toBe('did you miss this?');
    expect(alice.sessionId).toBe(ssrc);
    // Carol's arrival comes in a presence batch (replayed, or the next tick's).
    await waitFor(() => alice.members.has(carol.sessionId), 'alice to know carol');
    const seqs = seen.map((m) => m.seq).filter((s) => s !== undefined);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);

    const heardByBob = hear(bob);
    speak(alice, 10, 500);
    await waitFor(() => heardByBob.length === 10, 'bob hears alice after the resume');
    expect(alice.transportKind).toBe('udp');
    await expect(alice.sendChat('back')).resolves.toMatchObject({ text: 'back' });
  });

  it('the SDK starts a new session and re-joins its channel when the old one expired', async () => {
    await start({ auth: { resumeGraceMs: 200 } });
    const a = await sdk('alice', 'Games');
    const alice = a.client;
    const bob = (await sdk('bob', 'Games')).client;
    const oldSsrc = alice.sessionId;
    a.online = false;
    const left = presenceOf(bob, 'left', (m) => m.ssrc === oldSsrc);
    a.cut();
    await left;

    const rejoined = presenceOf(bob, 'joined', (m) => m.name === 'alice');
    const back = clientEvent(alice, 'reconnected');
    a.online = true;
    expect(await back).toEqual({ resumed: false });
    const newSsrc = (await rejoined).ssrc;
    expect(newSsrc).not.toBe(oldSsrc);
    expect(alice.sessionId).toBe(newSsrc);
    expect(alice.joined?.channel.name).toBe('Games');

    const atBob = hear(bob);
    const atAlice = hear(alice);
    speak(alice, 10);
    speak(bob, 10, 100);
    await waitFor(
      () => atBob.length === 10 && atAlice.length === 10,
      'both hear each other on the new session',
    );
    expect(atBob.every((p) => p.ssrc === newSsrc)).toBe(true);
    expect(alice.transportKind).toBe('udp');
  });

  it('closing the server ends detached sessions and their timers', async () => {
    await start({ auth: { resumeGraceMs: 600_000 } });
    const { p, welcome } = await rawMember('rita', 'Lobby');
    const session = sessionOf(welcome.sessionId as number)!;
    p.cut();
    await waitFor(() => session.status === 'detached', 'detached');
    await t.close();
    expect(session.status).toBe('closed');
    expect(t.server.hub.allPeers()).toHaveLength(0);
    expect(t.server.plane.sessionCount).toBe(0);
  });
});
