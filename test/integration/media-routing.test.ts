import { describe, expect, it } from 'vitest';
import type { VoiceClient } from '@parley/client';
import { useServerWithClients } from '../helpers/clients.js';
import { waitFor } from '../helpers/wait.js';
import { presenceOf, speak } from '../helpers/ws.js';

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
    const stateSeen = presenceOf(a, 'changed', (m) => m.ssrc === b.sessionId && m.deafened);
    await b.setState({ deafened: true });
    await stateSeen;
    speak(a, 10);
    await waitFor(() => gotC.length === 10, 'carol to receive');
    await b.control.request({ type: 'ping', t: 1 }, 'pong');
    expect(gotB).toHaveLength(0);
    expect(b.members.size).toBe(2);

    const muted = presenceOf(c, 'changed', (m) => m.ssrc === a.sessionId && m.muted);
    await a.setState({ muted: true });
    await muted;
    speak(a, 5, 10);
    await waitFor(() => fx.t.server.plane.stats.drops.muted === 5, 'muted drops');
    expect(gotC).toHaveLength(10);
  });

  it('tells members who joins, leaves and speaks', async () => {
    const a = await join('alice', 'Lobby');
    const joinedSeen = presenceOf(a, 'joined', (m) => m.name === 'bob');
    const b = await join('bob', 'Lobby');
    await joinedSeen;
    expect(b.joined?.members.map((m) => m.name)).toEqual(['alice']);
    expect(a.members.get(b.sessionId)?.name).toBe('bob');

    const speaking = presenceOf(b, 'changed', (m) => m.ssrc === a.sessionId && m.speaking);
    const quiet = presenceOf(b, 'changed', (m) => m.ssrc === a.sessionId && !m.speaking);
    speak(a, 3);
    await speaking;
    await quiet;

    const leftSeen = presenceOf(a, 'left', (m) => m.ssrc === b.sessionId);
    await b.leave();
    await leftSeen;
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
