// An unauthenticated UDP flood against a running server while a speaker and
// a listener talk (docs/security.md, "Floods"): the listener's loss and
// longest gap before, during and after the flood, and what the server
// dropped and by which reason. The server runs in its own process; the
// flood comes from a second process (a stranger's machine), bounded in rate
// and time. Loopback only.
// Usage: node bench/dist/flood.js [--rate 100000] [--seconds 10] [--kind garbage|forged-hello|replay]
//   garbage       random bytes, 20–120 per datagram
//   forged-hello  HELLOs carrying the speaker's session id, from another address
//   replay        copies of one of the speaker's sealed packets, from another address
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { FRAME_MS, FRAME_SAMPLES, PacketType, type ServerMetrics } from '@parley/protocol';
import { FrameClock } from '@parley/client';
import { benchFile } from './paths.js';
import { speakerAndListener, startBenchServer } from './server.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '10' },
    kind: { type: 'string', default: 'garbage' },
    child: { type: 'boolean', default: false },
    port: { type: 'string', default: '0' },
    ssrc: { type: 'string', default: '1' },
    sample: { type: 'string', default: '' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const KIND = values.kind;
const BEFORE_S = 3;
const AFTER_S = 3;

/** The flooder (child process): `rate` datagrams a second for `seconds`, paced every millisecond. */
async function flood(): Promise<void> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.connect(Number(values.port), '127.0.0.1');
  await once(sock, 'connect');
  const sample = Buffer.from(values.sample, 'hex');
  const ssrc = Number(values.ssrc);
  const make = (i: number): Buffer => {
    if (KIND === 'replay') return sample;
    if (KIND === 'forged-hello') {
      const b = Buffer.alloc(36);
      b[0] = (1 << 6) | PacketType.Hello;
      b.writeUInt16BE(i & 0xffff, 2);
      b.writeUInt32BE(ssrc, 8);
      b.writeUInt32BE((i * 2654435761) >>> 0, 12);
      return b;
    }
    const b = Buffer.alloc(20 + (i % 101));
    for (let k = 0; k < b.length; k++) b[k] = (Math.random() * 256) | 0;
    return b;
  };
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * RATE);
    while (sent < due) sock.send(make(sent++));
    await new Promise((r) => setImmediate(r));
  }
  sock.close();
  process.send?.({ sent, seconds: (performance.now() - start) / 1000 });
}

async function main(): Promise<void> {
  const adminPassword = 'flood-bench-admin';
  const server = await startBenchServer({ adminPassword });
  const { speaker, listener } = await speakerAndListener(server.url, 'Lobby');
  /** When each of the speaker's packets reached the listener, by 16-bit sequence number. */
  const arrivals = new Map<number, number>();
  listener.onAudio((p) => {
    const seq16 = p.extSeq & 0xffff;
    if (p.ssrc === speaker.sessionId && !arrivals.has(seq16)) arrivals.set(seq16, performance.now());
  });
  /** What the speaker sent: each packet's 16-bit sequence number and when (ms since t0). */
  const sent: { seq16: number; at: number }[] = [];
  const voice = new Uint8Array(60).fill(0x42);
  let sample = '';
  const t0 = performance.now();
  const clock = new FrameClock({
    periodMs: FRAME_MS,
    onTick: (i) => {
      const pkt = speaker.sealAudio(voice, i * FRAME_SAMPLES);
      if (sample === '') sample = Buffer.from(pkt).toString('hex');
      speaker.sendPacket(pkt);
      sent.push({ seq16: new DataView(pkt.buffer, pkt.byteOffset).getUint16(2), at: performance.now() - t0 });
    },
  });
  clock.start();
  await new Promise((r) => setTimeout(r, BEFORE_S * 1000));

  const token = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'admin', password: adminPassword }),
  }).then(async (r) => ((await r.json()) as { token: string }).token);
  const metrics = (): Promise<ServerMetrics> =>
    fetch(`${server.url}/api/v1/metrics`, { headers: { authorization: `Bearer ${token}` } }).then(
      (r) => r.json() as Promise<ServerMetrics>,
    );
  const m0 = await metrics();
  const floodStart = performance.now() - t0;
  const child = fork(benchFile('flood.js'), [
    '--child',
    '--port',
    String(server.udpPort),
    '--rate',
    String(RATE),
    '--seconds',
    String(SECONDS),
    '--kind',
    KIND,
    '--ssrc',
    String(speaker.sessionId),
    '--sample',
    sample,
  ]);
  const [report] = (await once(child, 'message')) as [{ sent: number; seconds: number }];
  const floodEnd = performance.now() - t0;
  const m1 = await metrics();
  await new Promise((r) => setTimeout(r, AFTER_S * 1000));
  clock.stop();
  await new Promise((r) => setTimeout(r, 500));

  // The listener's view, by phase: frames sent in the phase, received, lost; longest gap between arrivals.
  const phase = (from: number, to: number): string => {
    const inPhase = sent.filter((s) => s.at >= from && s.at < to);
    const got = inPhase
      .map((s) => arrivals.get(s.seq16))
      .filter((t): t is number => t !== undefined)
      .sort((a, b) => a - b);
    let gap = 0;
    for (let k = 1; k < got.length; k++) gap = Math.max(gap, got[k]! - got[k - 1]!);
    const lost = inPhase.length - got.length;
    return `${inPhase.length} frames, ${lost} lost (${((100 * lost) / Math.max(1, inPhase.length)).toFixed(2)} %), longest gap ${gap.toFixed(0)} ms`;
  };
  const drops = Object.entries(m1.media.drops)
    .map(([k, n]) => [k, n - (m0.media.drops[k] ?? 0)] as const)
    .filter(([, n]) => n > 0);
  const cpuUs = (m: ServerMetrics): number => m.process.cpuUserUs + m.process.cpuSystemUs;
  const cpu = (cpuUs(m1) - cpuUs(m0)) / 1e6 / ((floodEnd - floodStart) / 1000);
  console.log(
    `UDP flood: ${KIND}, ${report.sent} datagrams in ${report.seconds.toFixed(1)} s (${Math.round(report.sent / report.seconds)}/s) from another process, loopback`,
  );
  console.log(`  before  ${phase(1000, floodStart)}`);
  console.log(`  during  ${phase(floodStart, floodEnd)}`);
  console.log(`  after   ${phase(floodEnd, floodEnd + AFTER_S * 1000 - 500)}`);
  console.log(
    `  server  ${(cpu * 100).toFixed(0)} % of a core during the flood; dropped ${JSON.stringify(Object.fromEntries(drops))}`,
  );
  speaker.close();
  listener.close();
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}

if (values.child) await flood();
else await main();
