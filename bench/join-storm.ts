// A join storm (docs/security.md, "Join storms"): N guests open a WebSocket
// and join one channel as fast as the server lets them (retrying after
// PARLEY_ERR_TOO_MANY_GUESTS), while a speaker talks to a listener in
// another channel and a client polls the REST API. Reports how long the
// storm took, the listener's loss and longest gap, and the REST latency,
// before and during the storm. Loopback only, bounded in count and time.
// The guests run in a child process of their own (this file with --swarm):
// 1,000 sockets reading presence batches would otherwise stall the event loop
// that measures the voice and the REST latency, and the bench would report
// its own delay as the server's.
// Usage: node bench/dist/join-storm.js [--guests 1000] [--timeout 120] [--cpu-prof-dir DIR]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { FRAME_MS, FRAME_SAMPLES, quantileOf } from '@parley/protocol';
import { FrameClock } from '@parley/client';
import { speakerAndListener, startBenchServer } from './server.js';

const { values } = parseArgs({
  options: {
    guests: { type: 'string', default: '1000' },
    timeout: { type: 'string', default: '120' },
    swarm: { type: 'string' },
    /** Write the server's CPU profile into this directory. */
    'cpu-prof-dir': { type: 'string' },
  },
});
const GUESTS = Number(values.guests);
const TIMEOUT_MS = Number(values.timeout) * 1000;
const QUIET_MS = 3000;

/** One guest: hello, then join Lobby; retried while the server says too many guests. Resolves with the socket. */
async function guest(wsUrl: string, i: number, deadline: number): Promise<WebSocket> {
  for (;;) {
    if (performance.now() > deadline) throw new Error(`guest ${i}: no room before the deadline`);
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    ws.on('error', () => undefined);
    await once(ws, 'open');
    const answer = (ref: string): Promise<string> =>
      new Promise((resolve) => {
        const on = (data: Buffer): void => {
          // Presence batches are not parsed: only our answers matter.
          if (!data.includes(`"ref":"${ref}"`)) return;
          ws.off('message', on);
          resolve(data.toString());
        };
        ws.on('message', on);
      });
    const welcome = answer('h');
    ws.send(JSON.stringify({ type: 'hello', v: 1, name: `storm-${i}`, ref: 'h' }));
    const w = await welcome;
    if (w.includes('PARLEY_ERR_TOO_MANY_GUESTS')) {
      ws.close();
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 500));
      continue;
    }
    if (!w.includes('"welcome"')) throw new Error(`guest ${i}: ${w.slice(0, 200)}`);
    const joined = answer('j');
    ws.send(JSON.stringify({ type: 'join', channel: 'Lobby', ref: 'j' }));
    const j = await joined;
    if (!j.includes('"joined"')) throw new Error(`guest ${i}: ${j.slice(0, 200)}`);
    return ws;
  }
}

/** Messages from the swarm process to the bench. */
type SwarmReport = { type: 'in' } | { type: 'failed'; error: string };

if (values.swarm !== undefined) {
  // The child: wait for "go", bring every guest in, report, keep the sockets until told to stop.
  const wsUrl = values.swarm;
  const report = (m: SwarmReport): void => void process.send?.(m);
  process.once('message', () => {
    const deadline = performance.now() + TIMEOUT_MS;
    Promise.all(Array.from({ length: GUESTS }, (_, i) => guest(wsUrl, i, deadline))).then(
      (sockets) => {
        report({ type: 'in' });
        process.once('message', () => {
          for (const s of sockets) s.terminate();
          process.disconnect();
        });
      },
      (e: unknown) => {
        report({ type: 'failed', error: String(e) });
        process.disconnect();
      },
    );
  });
} else {
  await bench();
}

async function bench(): Promise<void> {
  const server = await startBenchServer({
    adminPassword: 'storm-bench-admin',
    args: ['--channel', 'Games'],
    cpuProfDir: values['cpu-prof-dir'],
  });
  const { speaker, listener } = await speakerAndListener(server.url, 'Games');
  const t0 = performance.now();
  const arrivals: number[] = [];
  listener.onAudio((p) => {
    if (p.ssrc === speaker.sessionId) arrivals.push(performance.now() - t0);
  });
  const sentAt: number[] = [];
  const voice = new Uint8Array(60).fill(0x21);
  const clock = new FrameClock({
    periodMs: FRAME_MS,
    onTick: (i) => {
      speaker.sendPacket(speaker.sealAudio(voice, i * FRAME_SAMPLES));
      sentAt.push(performance.now() - t0);
    },
  });
  clock.start();
  // The REST API as a user would see it: GET /api/v1/channels every 100 ms.
  const rest: { at: number; ms: number }[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const s = performance.now();
      const r = await fetch(`${server.url}/api/v1/channels?limit=10`);
      await r.arrayBuffer();
      rest.push({ at: s - t0, ms: performance.now() - s });
      await new Promise((res) => setTimeout(res, 100));
    }
  })();

  await new Promise((r) => setTimeout(r, QUIET_MS));
  const stormStart = performance.now() - t0;
  // This process's own event loop during the storm: a late bench would be read as a late server.
  const ownLoop = monitorEventLoopDelay({ resolution: 10 });
  ownLoop.enable();
  const wsUrl = `${server.url.replace('http', 'ws')}/ws`;
  const swarm = fork(import.meta.filename, [
    '--swarm',
    wsUrl,
    '--guests',
    String(GUESTS),
    '--timeout',
    String(values.timeout),
  ]);
  const swarmReport = once(swarm, 'message') as Promise<[SwarmReport]>;
  swarm.send('go');
  const [outcome] = await swarmReport;
  if (outcome.type === 'failed') throw new Error(`the guests did not get in: ${outcome.error}`);
  const stormEnd = performance.now() - t0;
  ownLoop.disable();
  await new Promise((r) => setTimeout(r, 2000));
  polling = false;
  await poller;
  clock.stop();

  const phase = (from: number, to: number): string => {
    const sent = sentAt.filter((t) => t >= from && t < to).length;
    const got = arrivals.filter((t) => t >= from && t < to);
    let gap = 0;
    for (let k = 1; k < got.length; k++) gap = Math.max(gap, got[k]! - got[k - 1]!);
    const ms = rest.filter((r) => r.at >= from && r.at < to).map((r) => r.ms);
    return (
      `voice ${Math.max(0, sent - got.length)} of ${sent} frames short, longest gap ${gap.toFixed(0)} ms; ` +
      `REST p50 ${quantileOf(ms, 0.5).toFixed(1)} ms, p99 ${quantileOf(ms, 0.99).toFixed(1)} ms, max ${Math.max(0, ...ms).toFixed(1)} ms (${ms.length} requests)`
    );
  };
  console.log(
    `Join storm: ${GUESTS} guests into one channel, ${((stormEnd - stormStart) / 1000).toFixed(1)} s until all were in`,
  );
  console.log(`  before  ${phase(500, stormStart)}`);
  console.log(`  during  ${phase(stormStart, stormEnd)}`);
  console.log(
    `  (this bench's own event loop was late by up to ${(ownLoop.max / 1e6 - 10).toFixed(0)} ms during the storm)`,
  );
  swarm.send('stop');
  await once(swarm, 'exit');
  speaker.close();
  listener.close();
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}
