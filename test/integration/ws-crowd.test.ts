/**
 * Presence at scale (issue 10, item 2; docs/protocol.md §2.3.1): a crowd
 * joining one channel costs O(members) messages per presence tick, not one
 * message per join per member; a client toggling its mute reaches the
 * others at most once per tick; voice in another channel goes on meanwhile;
 * guest sessions are limited per address and server-wide.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { ConfigOverrides } from '@parley/server';
import { waitFor } from '../helpers/wait.js';
import { frame, hear, useWsServer, WsProbe, type Json } from '../helpers/ws.js';
import { FRAME_SAMPLES } from '@parley/protocol';

const TICK_MS = 50;
const CROWD = 300;

/** Open connections per address at the TCP edge: a crowd from one address. */
const edge: ConfigOverrides = { http: { maxConnectionsPerAddress: 2 * CROWD } };

/**
 * The crowd runs in a worker thread, so that reading its sockets is not
 * work on the server's event loop (the server and the test share a
 * process): guests that say hello (paced, 25 at a time), then all send
 * `join` at once on command, and count the text messages they get without
 * parsing them.
 */
const CROWD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.wsPath);
const socks = [];
const counts = [];
async function hello(i) {
  const ws = new WebSocket(workerData.url);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  counts[i] = 0;
  const welcomed = new Promise((resolve) => ws.once('message', resolve));
  ws.on('message', (_d, isBinary) => { if (!isBinary) counts[i]++; });
  ws.send(JSON.stringify({ type: 'hello', v: 1, name: workerData.prefix + i }));
  await welcomed;
  socks[i] = ws;
}
(async () => {
  for (let i = 0; i < workerData.n; i += 25) {
    const batch = [];
    for (let k = i; k < Math.min(i + 25, workerData.n); k++) batch.push(hello(k));
    await Promise.all(batch);
  }
  parentPort.postMessage({ type: 'ready' });
})().catch((err) => parentPort.postMessage({ type: 'error', message: String(err) }));
parentPort.on('message', (m) => {
  if (m === 'join') {
    counts.fill(0);
    for (const ws of socks) ws.send(JSON.stringify({ type: 'join', channel: 'Lobby' }));
  } else if (m === 'count') {
    parentPort.postMessage({ type: 'count', answered: counts.every((c) => c >= 1), total: counts.reduce((a, b) => a + b, 0) });
  } else if (m === 'close') {
    for (const ws of socks) ws.terminate();
    parentPort.postMessage({ type: 'closed' });
  }
});
`;

interface CrowdReport {
  type: string;
  answered?: boolean;
  total?: number;
  message?: string;
}

/** A crowd of `n` guests in a worker thread (see CROWD_WORKER). */
class Crowd {
  private last: CrowdReport | null = null;
  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: CrowdReport) => (this.last = m));
  }

  static async start(url: string, n: number): Promise<Crowd> {
    const worker = new Worker(CROWD_WORKER, {
      eval: true,
      workerData: {
        wsPath: createRequire(import.meta.url).resolve('ws'),
        url: `${url.replace(/^http/, 'ws')}/ws`,
        n,
        prefix: 'g',
      },
    });
    const crowd = new Crowd(worker);
    await crowd.until('ready', `${n} guests welcomed`);
    return crowd;
  }

  join(): void {
    this.worker.postMessage('join');
  }

  /** Messages the crowd got since `join()`, once each guest has read at least its own answer. */
  async total(): Promise<number> {
    let total = 0;
    await waitFor(async () => {
      this.worker.postMessage('count');
      const r = await this.until('count', 'the crowd to count');
      total = r.total ?? 0;
      return r.answered === true;
    }, 'the crowd to read its answers');
    return total;
  }

  async close(): Promise<void> {
    this.worker.postMessage('close');
    await this.until('closed', 'the crowd to close');
    await this.worker.terminate();
  }

  private async until(type: string, what: string): Promise<CrowdReport> {
    this.last = null;
    await waitFor(
      () => {
        if (this.last?.type === 'error') throw new Error(`crowd: ${this.last.message ?? ''}`);
        return this.last?.type === type;
      },
      what,
      { on: [[this.worker, 'message', 'error']], timeoutMs: 60_000 },
    );
    return this.last!;
  }
}

/** The largest gap between packet arrivals within [from, to], its ends included (ms). */
function gapsIn(arrivals: readonly number[], from: number, to: number): number {
  const times = [from, ...arrivals.filter((t) => t >= from && t <= to), to];
  return Math.max(...times.slice(1).map((t, i) => t - times[i]!));
}

/** Every member record in a message, whatever its shape (`{ ssrc, muted, … }` objects anywhere in it). */
function memberRecords(m: unknown, out: { ssrc: number; muted: boolean }[] = []): typeof out {
  if (Array.isArray(m)) for (const x of m) memberRecords(x, out);
  else if (m !== null && typeof m === 'object') {
    const o = m as Record<string, unknown>;
    if (typeof o.ssrc === 'number' && typeof o.muted === 'boolean')
      out.push({ ssrc: o.ssrc, muted: o.muted });
    else for (const v of Object.values(o)) memberRecords(v, out);
  }
  return out;
}

describe('presence at scale', () => {
  const f = useWsServer({
    overrides: {
      ...edge,
      limits: { guestsPerSecond: 10_000, controlMessagesPerSecond: 50 },
      control: { presenceTickMs: TICK_MS },
    },
  });

  it(`${CROWD} guests joining one channel: O(n) messages per tick, and another channel's voice goes on`, async () => {
    const crowd = await Crowd.start(f.url, CROWD);
    try {
      // Voice in Games: a speaker every 20 ms, a listener timing arrivals.
      const speaker = await f.sdk({ name: 'speaker' }, 'Games');
      const listener = await f.sdk({ name: 'listener' }, 'Games');
      const heard = hear(listener);
      const arrivals: number[] = [];
      listener.onAudio(() => arrivals.push(performance.now()));

      const { probe: observer } = await f.probe({ name: 'observer' }, 'Lobby');
      let sent = 0;
      const clock = setInterval(() => {
        speaker.sendPacket(speaker.sealAudio(frame(sent), sent * FRAME_SAMPLES));
        sent++;
      }, 20);
      try {
        // A quiet second first: the gaps this machine shows without the storm.
        const quietFrom = performance.now();
        const before = heard.length;
        await waitFor(() => heard.length >= before + 50, 'a second of voice in Games before the storm');
        const quiet = gapsIn(arrivals, quietFrom, performance.now());
        const from = observer.messages.length;
        const lobby = f.server.hub.findChannel('Lobby')!.id;
        const loop = monitorEventLoopDelay({ resolution: 10 });
        loop.enable();
        const started = performance.now();
        crowd.join();
        await waitFor(
          () => f.server.hub.memberCount(lobby) === CROWD + 1,
          () => `everyone in Lobby (${f.server.hub.memberCount(lobby)})`,
          { timeoutMs: 60_000 },
        );
        // The observer has heard of all of them.
        const seen = new Set<number>();
        await observer.next(
          (m) => {
            for (const r of memberRecords(m)) seen.add(r.ssrc);
            return seen.size >= CROWD;
          },
          `the observer to hear of ${CROWD} joins`,
          from,
          60_000,
        );
        const ended = performance.now();
        loop.disable();
        const ticks = (ended - started) / TICK_MS;
        const atObserver = observer.messages.length - from;
        // Every guest has read its own `joined` at least.
        const total = await crowd.total();
        const gap = gapsIn(arrivals, started, ended);
        const report = `${atObserver} messages at the observer, ${total} at the crowd in ${ticks.toFixed(0)} ticks; largest voice gap ${gap.toFixed(0)} ms (${quiet.toFixed(0)} ms in a quiet second before), event loop delay max ${(loop.max / 1e6).toFixed(0)} ms`;
        console.log(report);
        // One batch per tick at most at the observer (not one message per join) …
        expect(atObserver, report).toBeLessThanOrEqual(ticks + 2);
        // … and at most one per member per tick in total, besides each one's own `joined`.
        expect(total, report).toBeLessThanOrEqual(CROWD * (ticks + 2) + CROWD);
        expect(total, report).toBeLessThan((CROWD * CROWD) / 4);
        // Voice goes on: on an idle 2-core machine the largest gap is under 100 ms; on a
        // shared, loaded one (load 6–8) 60–170 ms were seen, where today's code gave none
        // at all for seconds. The bound leaves room for the machine, not for a stall.
        expect(gap, report).toBeLessThanOrEqual(Math.max(250, quiet + 100));
      } finally {
        clearInterval(clock);
      }
    } finally {
      await crowd.close();
    }
  });

  it('a client toggling its mute reaches the others at most once per tick, with its last state', async () => {
    const { probe: observer } = await f.probe({ name: 'observer' }, 'Lobby');
    const togglers: { probe: WsProbe; ssrc: number }[] = [];
    for (let i = 0; i < 5; i++) togglers.push(await f.probe({ name: `toggler${i}` }, 'Lobby'));
    await waitFor(
      () => memberRecords(observer.messages).filter((r) => r.ssrc === togglers[4]!.ssrc).length > 0,
      'the observer to see the last toggler',
      { on: [[observer.ws, 'message']] },
    );
    const from = observer.messages.length;
    const started = performance.now();
    // 5 × 21 toggles at once (within the burst of the rate limit), ending muted.
    for (const t of togglers)
      for (let i = 0; i <= 20; i++) t.probe.send({ type: 'state', muted: i % 2 === 0 });
    const last = (ssrc: number): boolean | undefined =>
      memberRecords(observer.messages.slice(from))
        .filter((r) => r.ssrc === ssrc)
        .at(-1)?.muted;
    // Every toggler has handled its 21 requests and the observer knows each one's final state.
    await Promise.all(togglers.map((t) => t.probe.request({ type: 'ping', t: 0 })));
    await waitFor(() => togglers.every((t) => last(t.ssrc) === true), 'every toggler muted at the observer', {
      on: [[observer.ws, 'message']],
    });
    const ticks = (performance.now() - started) / TICK_MS;
    const received: Json[] = observer.messages.slice(from);
    for (const t of togglers) {
      const updates = received.filter((m) => memberRecords(m).some((r) => r.ssrc === t.ssrc)).length;
      expect(
        updates,
        `${updates} updates about toggler ${t.ssrc} in ${ticks.toFixed(1)} ticks`,
      ).toBeLessThanOrEqual(ticks + 2);
    }
    expect(received.length, `${received.length} messages in ${ticks.toFixed(1)} ticks`).toBeLessThanOrEqual(
      ticks + 2,
    );
  });
});

describe('guest admission', () => {
  const f = useWsServer({
    overrides: { limits: { guestsPerAddressPerMinute: 2, guestsPerSecond: 1000, exemptAddresses: [] } },
  });

  it('refuses a new guest past the per-address limit with PARLEY_ERR_TOO_MANY_GUESTS; the socket stays open, accounts and resumes pass', async () => {
    const first = await f.probe({ name: 'one' });
    await f.probe({ name: 'two' });
    const third = await f.probe();
    const refused = await third.request({ type: 'hello', v: 1, name: 'three' });
    expect(refused).toMatchObject({ type: 'error', code: 'PARLEY_ERR_TOO_MANY_GUESTS' });
    expect(refused.seq).toBeUndefined();
    // Still `connected`: an account's hello on the same socket goes through.
    expect(await third.request({ type: 'hello', v: 1, token: f.admin.token })).toMatchObject({
      type: 'welcome',
      user: { role: 'admin' },
    });
    // A resume is not a new guest.
    first.probe.cut();
    const session = () => f.server.hub.peerBySsrc(first.ssrc) as { status?: string } | undefined;
    await waitFor(() => session()?.status === 'detached', 'the server to notice the cut');
    const again = await f.probe();
    const resume = { token: first.welcome.resumeToken, lastSeq: first.probe.lastSeq };
    expect(await again.request({ type: 'hello', v: 1, name: 'one', resume })).toMatchObject({
      type: 'welcome',
      resumed: true,
    });
    // Moderators see the refusal in GET /api/v1/stats.
    const stats = await f.server.app.inject({
      url: '/api/v1/stats',
      headers: { authorization: `Bearer ${f.admin.token}` },
    });
    expect(stats.json()).toMatchObject({ control: { guestsRefusedAddress: 1, guestsRefusedServer: 0 } });
  });
});

describe('guest admission, server-wide', () => {
  const f = useWsServer({ overrides: { limits: { guestsPerSecond: 1 } } });

  it('refuses guests past limits.guestsPerSecond (burst 2×), even from an exempt address', async () => {
    await f.probe({ name: 'one' });
    await f.probe({ name: 'two' });
    const third = await f.probe();
    expect(await third.request({ type: 'hello', v: 1, name: 'three' })).toMatchObject({
      type: 'error',
      code: 'PARLEY_ERR_TOO_MANY_GUESTS',
    });
    const stats = await f.server.app.inject({
      url: '/api/v1/stats',
      headers: { authorization: `Bearer ${f.admin.token}` },
    });
    expect(stats.json()).toMatchObject({ control: { guestsRefusedAddress: 0, guestsRefusedServer: 1 } });
  });
});

describe('member pages', () => {
  const f = useWsServer({ overrides: { control: { memberPageSize: 3 } } });

  it('joined lists the first page and the count; members pages the rest; the SDK fetches them and follows batches', async () => {
    const others: number[] = [];
    for (let i = 0; i < 7; i++) others.push((await f.probe({ name: `m${i}` }, 'Lobby')).ssrc);
    const { probe: raw } = await f.probe({ name: 'raw' }, 'Lobby');
    const joined = raw.messages.find((m) => m.type === 'joined')!;
    expect(joined.memberCount).toBe(8);
    expect(typeof joined.membersNext).toBe('number');
    expect((joined.members as { ssrc: number }[]).map((m) => m.ssrc)).toEqual(others.slice(0, 3));
    const page2 = await raw.request({ type: 'members', after: joined.membersNext });
    expect((page2.members as { ssrc: number }[]).map((m) => m.ssrc)).toEqual(others.slice(3, 6));
    const page3 = await raw.request({ type: 'members', after: page2.next, limit: 50 });
    expect(page3).toMatchObject({ type: 'members', next: null, count: 8 });
    expect((page3.members as { ssrc: number }[]).map((m) => m.ssrc)).toEqual(others.slice(6));

    const sdk = await f.sdk({ name: 'sdk' }, 'Lobby');
    // The first page; batches of the last tick's joins may add to it at once.
    expect(sdk.joined?.members).toHaveLength(3);
    expect(sdk.joined?.memberCount).toBe(9);
    await sdk.fetchMembers();
    const rawSsrc = (joined.self as { ssrc: number }).ssrc;
    expect([...sdk.members.keys()].sort()).toEqual([...others, rawSsrc].sort());
    raw.close();
    await waitFor(
      () => sdk.memberCount === 8 && sdk.members.size === 7,
      () =>
        `the SDK to follow a leave (count ${sdk.memberCount}, members ${[...sdk.members.values()].map((m) => m.name).join(',')}, server ${f.server.hub.memberCount(1)})`,
      {
        on: [(wake) => sdk.onEvent(wake)],
      },
    );
  });
});
