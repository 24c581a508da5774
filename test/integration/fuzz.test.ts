/**
 * Seeded, bounded fuzzing of a running server while two people talk: random
 * and mutated UDP packets, malformed WebSocket messages, malformed REST
 * requests. Nothing crashes, nothing is left unhandled, every rejected
 * packet is counted under a named reason, no request gets a 5xx, and the
 * speaker is still heard with under 0.5 % loss.
 *
 * CI runs 100,000 packets and 10,000 messages/requests; `npm run fuzz`
 * runs ten times as many (PARLEY_FUZZ_SCALE=10). PARLEY_FUZZ_SEED repeats a run.
 */
import { createSocket, type Socket } from 'node:dgram';
import { setImmediate as tick } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FRAME_MS, PacketType } from '@parley/protocol';
import { FrameClock, mulberry32, type VoiceClient } from '@parley/client';
import { connectClient } from '../helpers/clients.js';
import { startServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const SCALE = Number(process.env.PARLEY_FUZZ_SCALE ?? 1);
const SEED = Number(process.env.PARLEY_FUZZ_SEED ?? 0x5eed10);
const UDP_PACKETS = 100_000 * SCALE;
const WS_MESSAGES = 5_000 * SCALE;
const REST_REQUESTS = 5_000 * SCALE;
/** Close codes the server documents (docs/protocol.md §2.4), and 1005 for the fuzzer's own close without a code. */
const DOCUMENTED_CLOSES = new Set([1000, 1001, 1005, 1006, 1008, 1009, 4001, 4002, 4008]);

type Rand = () => number;
const int = (r: Rand, n: number): number => Math.floor(r() * n);
const bytes = (r: Rand, n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(r, 256));

/** One fuzz datagram: random bytes, a plausible header, or a mutation of a real sealed packet. */
function fuzzPacket(r: Rand, real: readonly Uint8Array[], victimSsrc: number): Uint8Array {
  const kind = int(r, 6);
  if (kind === 0 || real.length === 0) return bytes(r, r() < 0.05 ? 200 + int(r, 1300) : int(r, 120));
  const base = Uint8Array.from(real[int(r, real.length)]!);
  switch (kind) {
    case 1: // flip a few bits anywhere
      for (let k = 0; k < 1 + int(r, 4); k++) base[int(r, base.length)]! ^= 1 << int(r, 8);
      return base;
    case 2: // truncated or extended
      return r() < 0.5
        ? base.subarray(0, int(r, base.length))
        : Uint8Array.from([...base, ...bytes(r, 1 + int(r, 1400))]);
    case 3: {
      // someone else's session id (a speaker's), any type: forged HELLOs and audio
      const v = new DataView(base.buffer);
      v.setUint32(8, victimSsrc);
      base[0] = (1 << 6) | [PacketType.Audio, PacketType.Hello, PacketType.Ping][int(r, 3)]!;
      return base;
    }
    case 4: // a real packet replayed from the wrong address
      return base;
    default: // random header fields, real length
      base.set(bytes(r, 12), 0);
      return base;
  }
}

/** One malformed WebSocket message. */
function fuzzMessage(r: Rand): string | Uint8Array {
  const pick = int(r, 9);
  const junk = (): unknown => [null, 1, -1, 1e308, '', 'x'.repeat(int(r, 300)), [], {}, true][int(r, 9)];
  switch (pick) {
    case 0:
      return bytes(r, int(r, 200));
    case 1:
      return '{"type":"hello","v":1,' + 'x'.repeat(int(r, 50));
    case 2:
      return JSON.stringify({
        type: ['join', 'chat', 'state', 'kick', 'ban', 'move', 'leave', 'ping'][int(r, 8)],
        ref: 'f',
        channel: junk(),
        text: junk(),
        ssrc: junk(),
      });
    case 3:
      return JSON.stringify({ type: 'x'.repeat(int(r, 40)), ref: junk() });
    case 4:
      return '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"type":"ping","t":1}';
    case 5:
      return JSON.stringify({ type: 'chat', text: 'y'.repeat(10_000 + int(r, 20_000)) });
    case 6:
      return String(junk());
    case 7:
      return JSON.stringify({ type: 'hello', v: junk(), name: junk(), token: junk(), resume: junk() });
    default:
      return JSON.stringify([1, { type: 'ping' }]);
  }
}

const ROUTES = [
  'auth/login',
  'auth/register',
  'auth/me',
  'users',
  'users/1',
  'users/%',
  'channels',
  'channels/1',
  'channels/1/permissions',
  'channels/1/messages',
  'bans',
  'bans/1',
  'sessions',
  'audit',
  'config',
  'metrics',
  'stats',
  'health',
];

describe(`fuzzing a running server while two people talk (×${SCALE}, seed ${SEED})`, () => {
  let t: TestServer;
  let speaker: VoiceClient;
  let listener: VoiceClient;
  let other: VoiceClient;
  let raw: Socket;
  let token: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    t = await startServer();
    [speaker, listener, other] = await Promise.all([
      connectClient(t.info.url, 'speaker'),
      connectClient(t.info.url, 'listener'),
      connectClient(t.info.url, 'other'),
    ]);
    await speaker.join('Lobby');
    await listener.join('Lobby');
    await other.join('Games');
    raw = createSocket('udp4');
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', () => r()));
    const login = await fetch(`${t.info.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'admin', password: TEST_ADMIN_PASSWORD }),
    });
    token = ((await login.json()) as { token: string }).token;
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    for (const c of [speaker, listener, other]) c?.close();
    raw?.close();
    await t?.close();
  });

  it(
    'drops and counts every fuzzed packet, answers every bad message and request without a 5xx, and the speaker is still heard',
    async () => {
      const rand = mulberry32(SEED);
      const stats = t.server.plane.stats;

      // The conversation: one sealed frame every 20 ms from the speaker, counted at the listener.
      const heard = new Set<number>();
      listener.onAudio((p) => {
        if (p.ssrc === speaker.sessionId) heard.add(p.extSeq);
      });
      let spoken = 0;
      const voice = new Uint8Array(40).fill(0x55);
      const clock = new FrameClock({
        periodMs: FRAME_MS,
        onTick: (i) => {
          speaker.sendPacket(speaker.sealAudio(voice, i * 960));
          spoken++;
        },
      });
      // Real packets to mutate: sealed by a member of another channel, under its own key.
      const real = Array.from({ length: 64 }, (_, i) => other.sealAudio(bytes(rand, 30 + (i % 40)), i * 960));
      const before = { in: stats.packetsIn, dropped: stats.dropped, audio: stats.audioIn };
      clock.start();

      // ── UDP: paced so that the kernel never drops (every fuzzed packet must reach the router) ──
      const udp = (async () => {
        let sent = 0;
        const victim = speaker.sessionId;
        while (sent < UDP_PACKETS) {
          const batch = Math.min(200, UDP_PACKETS - sent);
          for (let k = 0; k < batch; k++)
            raw.send(fuzzPacket(rand, real, victim), t.info.udpPort, '127.0.0.1');
          sent += batch;
          // Let the server catch up to within a few thousand datagrams (4 MiB of kernel buffer).
          while (stats.packetsIn - before.in < sent - 2_000) await tick();
        }
        return sent;
      })();

      // ── WebSocket: malformed messages on sockets that reconnect when the server closes them ──
      const closes: number[] = [];
      const internal: string[] = [];
      const ws = (async () => {
        let sent = 0;
        while (sent < WS_MESSAGES) {
          const sock = new WebSocket(`${t.info.url.replace('http', 'ws')}/ws`);
          sock.on('error', () => undefined);
          sock.on('message', (d: Buffer, binary: boolean) => {
            if (!binary && d.toString().includes('PARLEY_ERR_INTERNAL')) internal.push(d.toString());
          });
          const closed = new Promise<void>((resolve) =>
            sock.once('close', (code: number) => {
              closes.push(code);
              resolve();
            }),
          );
          await new Promise<void>((resolve) =>
            sock.once('open', () => resolve()).once('close', () => resolve()),
          );
          if (rand() < 0.5) sock.send(JSON.stringify({ type: 'hello', v: 1, name: `fuzz${sent}`, ref: 'h' }));
          for (let k = 0; k < 50 && sent < WS_MESSAGES && sock.readyState === WebSocket.OPEN; k++, sent++)
            sock.send(fuzzMessage(rand));
          sock.close();
          await closed;
        }
        return sent;
      })();

      // ── REST: malformed requests, with and without a token, eight at a time ──
      const statuses = new Map<number, number>();
      const notProblem: string[] = [];
      const rest = (async () => {
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < REST_REQUESTS) {
            next++;
            const method = ['GET', 'POST', 'PATCH', 'DELETE', 'PUT'][int(rand, 5)]!;
            const path = ROUTES[int(rand, ROUTES.length)]!;
            const query =
              rand() < 0.3
                ? `?limit=${['-1', 'x', '1e9', '%', ''][int(rand, 5)]}&sort=${['', '-', 'zz'][int(rand, 3)]}&cursor=${['%ZZ', 'abc', ''][int(rand, 3)]}`
                : '';
            const body =
              method === 'GET' || method === 'DELETE'
                ? undefined
                : [
                    '{',
                    'null',
                    '[]',
                    JSON.stringify({ name: bytes(rand, 8).join(''), password: 1 }),
                    JSON.stringify({ __proto__: { x: 1 }, name: 'a'.repeat(int(rand, 2000)) }),
                    'x'.repeat(int(rand, 3000)),
                  ][int(rand, 6)];
            const headers: Record<string, string> = {};
            if (body !== undefined)
              headers['content-type'] = rand() < 0.9 ? 'application/json' : 'text/plain';
            if (rand() < 0.5) headers.authorization = `Bearer ${rand() < 0.8 ? token : 'forged'}`;
            const res = await fetch(`${t.info.url}/api/v1/${path}${query}`, {
              method,
              headers,
              ...(body === undefined ? {} : { body }),
            });
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status >= 400 && !(res.headers.get('content-type') ?? '').includes('problem+json'))
              notProblem.push(
                `${method} /api/v1/${path}${query} → ${res.status} ${res.headers.get('content-type')}`,
              );
            await res.arrayBuffer();
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
      })();

      const [udpSent] = await Promise.all([udp, ws, rest]);
      // The conversation goes on one more second, then the router must have seen everything.
      const spokenAtEnd = spoken + 50;
      await waitFor(() => spoken >= spokenAtEnd, 'one more second of speech', 10_000);
      clock.stop();
      await waitFor(
        () => heard.size >= spoken * 0.995,
        () => `the listener to hear the speaker (${heard.size} of ${spoken})`,
        5_000,
      ).catch(() => undefined);

      console.log(
        `fuzz: ${udpSent} datagrams (${stats.dropped - before.dropped} dropped: ${JSON.stringify(Object.fromEntries(Object.entries(stats.drops).filter(([, n]) => n > 0)))}), ` +
          `${WS_MESSAGES} WebSocket messages (${closes.length} sockets), ${REST_REQUESTS} requests ${JSON.stringify(Object.fromEntries(statuses))}; ` +
          `heard ${heard.size} of ${spoken} frames`,
      );
      // Every fuzzed datagram reached the router and was dropped under a named reason.
      const dropped = stats.dropped - before.dropped;
      expect(stats.packetsIn - before.in).toBeGreaterThanOrEqual(udpSent);
      expect(dropped).toBeGreaterThanOrEqual(udpSent);
      const unknown = Object.entries(stats.drops).filter(([reason, n]) => n > 0 && !/^[a-z_]+$/.test(reason));
      expect(unknown).toEqual([]);
      // Legitimate audio still flows: under 0.5 % lost.
      expect(spoken).toBeGreaterThan(100);
      expect(1 - heard.size / spoken).toBeLessThan(0.005);
      // WebSocket: no internal error, only documented closes.
      expect(internal).toEqual([]);
      expect(closes.filter((c) => !DOCUMENTED_CLOSES.has(c))).toEqual([]);
      // REST: no 5xx, and every error is problem+json.
      expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
      expect(notProblem.slice(0, 5)).toEqual([]);
      // The server is still up, and nothing went unhandled.
      expect((await fetch(`${t.info.url}/api/v1/health`)).status).toBe(200);
      expect(unhandled).toEqual([]);
    },
    300_000 * SCALE,
  );
});
