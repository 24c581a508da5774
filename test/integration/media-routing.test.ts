import { describe, expect, it } from 'vitest';
import type { VoiceClient } from '@parley/client';
import { useServerWithClients } from '../helpers/clients.js';
import { nextEvent, waitFor } from '../helpers/wait.js';
import { speak } from '../helpers/ws.js';

/** The audio an SDK client receives, whole payloads (frames are numbered in bytes 1–2: helpers/ws.ts `frame`). */
function collect(client: VoiceClient): { ssrc: number; payload: Uint8Array }[] {
  const got: { ssrc: number; payload: Uint8Array }[] = [];
  client.onAudio((p) => got.push({ ssrc: p.ssrc, payload: new Uint8Array(p.payload) }));
  return got;
}

describe('media routing over real sockets', () => {
  const fx = useServerWithClients();

  async function join(name: string, channel: string, transport: 'udp' | 'ws' = 'udp'): Promise<VoiceClient> {
    const c = await fx.connect(name, transport);
    await c.join(channel);
    return c;
  }

  it('delivers a sender’s packets to the others in its channel, not to itself or another channel', async () => {
    const a = await join('alice', 'Lobby');
    const b = await join('bob', 'Lobby');
    const c = await join('carol', 'Games');
    expect(a.transportKind).toBe('udp');
    expect(b.transportKind).toBe('udp');
    const gotA = collect(a);
    const gotB = collect(b);
    const gotC = collect(c);
    speak(a, 30);
    await waitFor(() => gotB.length === 30, 'bob to receive 30 packets');
    // The router seals each copy in one synchronous loop: once bob has all of
    // them, any copy for alice or carol would have been sent too. A ping round
    // trip on their own control connections flushes what may be in flight.
    await a.control.request({ type: 'ping', t: 1 }, 'pong');
    await c.control.request({ type: 'ping', t: 1 }, 'pong');
    expect(gotB.map((p) => p.payload[2])).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(gotB.every((p) => p.ssrc === a.sessionId)).toBe(true);
    expect(gotA).toHaveLength(0);
    expect(gotC).toHaveLength(0);
    const stats = fx.t.server.plane.stats.snapshot();
    expect(stats.audioIn).toBe(30);
    expect(stats.dropped).toBe(0);
  });

  it('lets a WebSocket-media client and a UDP client hear each other', async () => {
    const udp = await join('udp-user', 'Lobby', 'udp');
    const ws = await join('ws-user', 'Lobby', 'ws');
    expect(ws.transportKind).toBe('ws');
    const gotUdp = collect(udp);
    const gotWs = collect(ws);
    speak(udp, 10);
    speak(ws, 10, 100);
    await waitFor(() => gotWs.length === 10 && gotUdp.length === 10, 'both directions');
    expect(gotWs.every((p) => p.ssrc === udp.sessionId)).toBe(true);
    expect(gotUdp.map((p) => p.payload[2])).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
  });

  it('sends nothing to a deafened member and drops a muted sender', async () => {
    const a = await join('alice', 'Lobby');
    const b = await join('bob', 'Lobby');
    const c = await join('carol', 'Lobby');
    const gotB = collect(b);
    const gotC = collect(c);
    const stateSeen = nextEvent<{ type: string }>(
      (fn) => a.onEvent(fn),
      (m) => m.type === 'member_state',
      'member_state for bob',
    );
    b.setState({ deafened: true });
    await stateSeen;
    speak(a, 10);
    await waitFor(() => gotC.length === 10, 'carol to receive');
    await b.control.request({ type: 'ping', t: 1 }, 'pong');
    expect(gotB).toHaveLength(0);
    expect(b.members.size).toBe(2);

    const muted = nextEvent<{ type: string }>(
      (fn) => c.onEvent(fn),
      (m) => m.type === 'member_state',
      'mute',
    );
    a.setState({ muted: true });
    await muted;
    speak(a, 5, 10);
    await waitFor(() => fx.t.server.plane.stats.drops.muted === 5, 'muted drops');
    expect(gotC).toHaveLength(10);
  });

  it('tells members who joins, leaves and speaks', async () => {
    const a = await join('alice', 'Lobby');
    const joinedSeen = nextEvent<{ type: string; member?: { name: string } }>(
      (fn) => a.onEvent(fn),
      (m) => m.type === 'member_joined',
      'member_joined',
    );
    const b = await join('bob', 'Lobby');
    expect((await joinedSeen).member?.name).toBe('bob');
    expect(b.joined?.members.map((m) => m.name)).toEqual(['alice']);
    expect(a.members.get(b.sessionId)?.name).toBe('bob');

    const speaking = nextEvent<{ type: string; ssrc?: number; speaking?: boolean }>(
      (fn) => b.onEvent(fn),
      (m) => m.type === 'speaking' && m.speaking === true,
      'speaking on',
    );
    const quiet = nextEvent<{ type: string; ssrc?: number; speaking?: boolean }>(
      (fn) => b.onEvent(fn),
      (m) => m.type === 'speaking' && m.speaking === false,
      'speaking off',
    );
    speak(a, 3);
    expect((await speaking).ssrc).toBe(a.sessionId);
    expect((await quiet).ssrc).toBe(a.sessionId);

    const leftSeen = nextEvent<{ type: string; ssrc?: number }>(
      (fn) => a.onEvent(fn),
      (m) => m.type === 'member_left',
      'left',
    );
    await b.leave();
    expect((await leftSeen).ssrc).toBe(b.sessionId);
    expect(a.members.size).toBe(0);
  });

  it('lists channels with their member counts over REST', async () => {
    await join('alice', 'Games');
    const res = await fetch(`${fx.t.info.url}/api/v1/channels`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { name: string; members: number }[] };
    expect(body.items.map((c) => [c.name, c.members])).toEqual([
      ['Lobby', 0],
      ['Games', 1],
    ]);
  });
});
