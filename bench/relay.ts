// Relay throughput: Parley's media plane (open, route, seal per listener)
// against a bare Node `dgram` forwarder (no crypto, no routing), on the same
// traffic in the same run. The relay runs in a child process; the sender and
// the listeners run here. The figure that matters is the relay's CPU time
// per delivered copy (robust on a shared machine): its inverse is the copies
// per second one core can carry. Usage:
// node bench/dist/relay.js [--seconds S] [--repeat N] [--sizes 10,100] [--ciphers …] [--rate PPS]
import { execFileSync, fork, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import {
  Direction,
  FRAME_SAMPLES,
  HELLO_ACK_VALIDATE,
  HELLO_NONCE_SIZE,
  HELLO_PAYLOAD_SIZE,
  InboundStream,
  parsePacket,
  median,
  OutboundStream,
  PacketType,
  sealPacket,
  type Cipher,
} from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import { benchFile } from './paths.js';
import type { RelayCipher, RelayCommand, RelayMode, RelayReply } from './relay-ipc.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rate: { type: 'string' },
    sizes: { type: 'string', default: '10,100' },
    ciphers: { type: 'string', default: 'chacha20-poly1305,aes-256-gcm' },
    repeat: { type: 'string', default: '3' },
  },
});
const SECONDS = Number(values.seconds);
/** Pin the relay to core 1 and this process to core 0 where taskset exists and there are two cores. */
const PIN = (() => {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const PAYLOAD = new Uint8Array(60).fill(7); // a 20 ms Opus frame at ~24 kbps

/** The reply that has `key` set to true. */
type ReplyWith<K extends string> = Extract<RelayReply, Record<K, true>>;

/** Sends a command to the relay; resolves with its reply (the one that has `key`). */
function rpc<K extends 'ready' | 'started' | 'stopped'>(
  child: ChildProcess,
  msg: RelayCommand,
  key: K,
): Promise<ReplyWith<K>> {
  const p = new Promise<ReplyWith<K>>((resolve) => {
    const h = (m: RelayReply): void => {
      if (key in m) {
        child.off('message', h);
        resolve(m as ReplyWith<K>);
      }
    };
    child.on('message', h);
  });
  child.send(msg);
  return p;
}

/** `n` UDP sockets on 127.0.0.1 that count what they receive. */
async function listeners(n: number): Promise<{ socks: Socket[]; ports: number[]; count: () => number }> {
  const socks: Socket[] = [];
  let received = 0;
  for (let i = 0; i < n; i++) {
    const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    s.on('message', () => received++);
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    socks.push(s);
  }
  return { socks, ports: socks.map((s) => s.address().port), count: () => received };
}

/** Sends `packets` at `rate` per second, in 1 ms slices; resolves when done. */
async function pace(sock: Socket, port: number, packets: Uint8Array[], rate: number): Promise<number> {
  const t0 = performance.now();
  let i = 0;
  while (i < packets.length) {
    const due = Math.min(packets.length, Math.floor(((performance.now() - t0) / 1000) * rate));
    for (; i < due; i++) {
      const p = packets[i];
      if (p !== undefined) sock.send(p, port, '127.0.0.1');
    }
    await new Promise((r) => setImmediate(r));
  }
  return (performance.now() - t0) / 1000;
}

/** One run's figures. */
interface Run {
  mode: RelayMode;
  size: number;
  rateIn: number;
  seconds: number;
  sent: number;
  delivered: number;
  expected: number;
  cpuUsPerCopy: number;
  systemShare: number;
  relayOut: number;
}

async function runOne(mode: RelayMode, size: number, rate: number, cipher: RelayCipher): Promise<Run> {
  const execArgv = process.env.RELAY_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.RELAY_PROF] : [];
  const script = benchFile('relay-child.js');
  const stdio: StdioOptions = ['ignore', 'inherit', 'inherit', 'ipc'];
  // The relay gets a core of its own (the sender and listeners stay on the
  // other), which takes most of the run-to-run spread out of the figure.
  const child = PIN
    ? spawn('taskset', ['-c', '1', process.execPath, ...execArgv, script, mode, cipher], { stdio })
    : fork(script, [mode, cipher], { execArgv, stdio });
  const ls = await listeners(size - 1);
  const setup = await rpc(child, { cmd: 'setup', listeners: ls.ports }, 'ready');
  const sender = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
  sender.bind(0, '127.0.0.1');
  await once(sender, 'listening');
  const count = Math.round(rate * SECONDS);
  const packets: Uint8Array[] = [];
  if (mode === 'parley') {
    if (setup.speaker === undefined || cipher === 'none') throw new Error('relay: no speaker from the relay');
    const aead = createNodeAead(Buffer.from(setup.speaker.key, 'base64'), cipher);
    const ssrc = setup.speaker.ssrc;
    // Bind the speaker's UDP address with the sealed HELLO handshake, as a client does:
    // a challenge with a cookie for our address, then the HELLO echoing it (docs/protocol.md).
    const ctl = new OutboundStream(0);
    const replies = new InboundStream();
    const hello = new Uint8Array(HELLO_PAYLOAD_SIZE);
    for (let step = 0; ; step++) {
      if (step === 3) throw new Error('relay: the HELLO handshake did not complete');
      const h = ctl.next();
      const answered = once(sender, 'message') as Promise<[Buffer]>;
      sender.send(
        sealPacket(
          aead,
          Direction.ClientToServer,
          { type: PacketType.Hello, flags: 0, seq: h.seq16, timestamp: 0, ssrc },
          h.extSeq,
          hello,
        ),
        setup.port,
        '127.0.0.1',
      );
      const [m] = await answered;
      const v = parsePacket(m);
      const o = v.ok ? replies.open(aead, Direction.ServerToClient, v.value) : null;
      if (!v.ok || o === null || !o.ok) throw new Error('relay: an unreadable HELLO_ACK');
      if ((v.value.header.flags & HELLO_ACK_VALIDATE) === 0) break;
      hello.set(o.value.payload.subarray(HELLO_NONCE_SIZE, HELLO_PAYLOAD_SIZE), HELLO_NONCE_SIZE);
    }
    const out = new OutboundStream(0);
    for (let i = 0; i < count; i++) {
      const { seq16, extSeq } = out.next();
      packets.push(
        sealPacket(
          aead,
          Direction.ClientToServer,
          { type: PacketType.Audio, flags: 0, seq: seq16, timestamp: i * FRAME_SAMPLES, ssrc },
          extSeq,
          PAYLOAD,
        ),
      );
    }
  } else {
    const p = new Uint8Array(12 + PAYLOAD.length + 16).fill(1);
    for (let i = 0; i < count; i++) packets.push(p);
  }
  const before = ls.count();
  await rpc(child, { cmd: 'start' }, 'started');
  const elapsed = await pace(sender, setup.port, packets, rate);
  // Let the last copies arrive (bounded wait: until the count stops moving).
  let last = -1;
  for (let k = 0; k < 50 && ls.count() !== last; k++) {
    last = ls.count();
    await new Promise((r) => setTimeout(r, 40));
  }
  const stats = await rpc(child, { cmd: 'stop' }, 'stopped');
  const delivered = ls.count() - before;
  child.send({ cmd: 'exit' });
  sender.close();
  for (const s of ls.socks) s.close();
  return {
    mode,
    size,
    rateIn: rate,
    seconds: elapsed,
    sent: count,
    delivered,
    expected: count * (size - 1),
    cpuUsPerCopy: stats.cpuUs / Math.max(1, stats.packetsOut),
    systemShare: stats.systemUs / stats.cpuUs,
    relayOut: stats.packetsOut,
  };
}

const sizes = values.sizes.split(',').map(Number);
const ciphers = values.ciphers.split(',') as Cipher[];
const REPEAT = Math.max(1, Number(values.repeat));
console.log(
  `Relay throughput — ${SECONDS} s per run, ${REPEAT} interleaved runs per relay (medians), 60-byte Opus payloads, relay in its own process\n`,
);
type Row = Run & { label: string; cipher?: Cipher };
const rows: Row[] = [];
const summary: string[] = [];
const line = (r: Row): string =>
  `${String(r.size).padStart(3)}-person channel  ${r.label.padEnd(28)}  in ${r.rateIn} pkt/s → out ${Math.round(r.delivered / r.seconds)} copies/s` +
  `  delivered ${((100 * r.delivered) / r.expected).toFixed(2)} %  relay CPU ${r.cpuUsPerCopy.toFixed(2)} µs/copy (kernel ${(100 * r.systemShare).toFixed(0)} %)` +
  `  ⇒ ${Math.round(1e6 / r.cpuUsPerCopy / 1000)} k copies/s per core`;
for (const size of sizes) {
  // Offered load: about 90 k copies/s out, within what one core of either relay carries.
  const rate = Number(values.rate ?? Math.round(90_000 / (size - 1)));
  const bareRuns: Row[] = [];
  const runs = new Map<Cipher, Row[]>(ciphers.map((c) => [c, []]));
  // Interleaved (bare, each cipher, bare, …) so that a slow spell of the
  // shared machine hits every relay alike; the medians are compared.
  for (let k = 0; k < REPEAT; k++) {
    const bare: Row = { ...(await runOne('bare', size, rate, 'none')), label: 'bare dgram forwarder' };
    bareRuns.push(bare);
    console.log(line(bare));
    for (const cipher of ciphers) {
      const r: Row = { ...(await runOne('parley', size, rate, cipher)), label: `Parley (${cipher})`, cipher };
      runs.get(cipher)?.push(r);
      console.log(line(r));
    }
  }
  rows.push(...bareRuns, ...[...runs.values()].flat());
  const bareUs = median(bareRuns.map((r) => r.cpuUsPerCopy));
  for (const cipher of ciphers) {
    const cipherRuns = runs.get(cipher) ?? [];
    const us = median(cipherRuns.map((r) => r.cpuUsPerCopy));
    const perRun = cipherRuns.map((r, i) => (bareRuns[i]?.cpuUsPerCopy ?? NaN) / r.cpuUsPerCopy);
    const text =
      `${String(size).padStart(3)}-person channel  Parley (${cipher}) / bare forwarder = ${((100 * bareUs) / us).toFixed(0)} % of its copies per CPU-second` +
      `  (medians ${us.toFixed(2)} / ${bareUs.toFixed(2)} µs per copy; paired runs ${perRun.map((x) => (100 * x).toFixed(0)).join(', ')} %)`;
    summary.push(text);
    console.log(text);
  }
  console.log('');
}
console.log(summary.join('\n'));
if (process.env.BENCH_JSON) console.log(JSON.stringify(rows));
