// Capacity: the largest number of clients this machine carries — channels of
// 10, one speaker each — with loss < 0.1 % and the relay's forwarding time
// p99 < 1 ms. The server runs in its own process, as `npm start` runs it;
// the load generator (`runLoadTest`, the engine of `parley loadtest`) runs
// here, on the same 2-core machine. Steps grow until a criterion fails, or
// until the generator cannot offer the nominal load any more (then the
// figure is a floor for the server, and the stop is said).
// Usage: node bench/dist/capacity.js [--steps 200,400,...] [--seconds S] [--pin]
// (CAPACITY_PROF=DIR writes a CPU profile of the server.)
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { runLoadTest } from '@parley/tools';
import { startBenchServer } from './server.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '500,1000,1250,1500,2000' },
    seconds: { type: 'string', default: '5' },
    'max-loss': { type: 'string', default: '0.1' },
    'max-p99-us': { type: 'string', default: '1000' },
    pin: { type: 'boolean', default: false },
  },
});
const STEPS = values.steps.split(',').map(Number);
const SECONDS = Number(values.seconds);
const MAX_LOSS = Number(values['max-loss']);
const MAX_P99 = Number(values['max-p99-us']);
const ADMIN_PASSWORD = 'capacity-bench-admin';
/** A step counts only if the generator offered at least this share of the nominal audio rate. */
const MIN_OFFERED_PERCENT = 95;
const PIN = values.pin;
if (PIN && availableParallelism() < 2) {
  console.error('capacity: --pin needs two cores');
  process.exit(2);
}
if (PIN) execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });

const { child, url, dataDir } = await startBenchServer({
  adminPassword: ADMIN_PASSWORD,
  ...(PIN ? { core: 1 } : {}),
  ...(process.env.CAPACITY_PROF ? { cpuProfDir: process.env.CAPACITY_PROF } : {}),
});
console.log(
  `Capacity — channels of 10, one speaker each, ${SECONDS} s per step; pass: loss < ${MAX_LOSS} %, forwarding p99 < ${MAX_P99} µs`,
);
console.log(
  `server and load generator on this machine, the server in its own process${PIN ? ' (server pinned to core 1, generator to core 0)' : ''}\n`,
);
/** One step of the ramp. */
interface Row {
  clients: number;
  joined: number;
  offeredPercent: number;
  lossPercent: number;
  forwardP50Us: number;
  forwardP99Us: number;
  packetsInPerSecond: number;
  packetsOutPerSecond: number;
  serverCpuPercent: number;
  rssMB: number;
  rttP99Ms: number;
  generatorCpuPercent: number;
  generatorLimited: boolean;
  pass: boolean;
}
const rows: Row[] = [];
let best = 0;
try {
  for (const clients of STEPS) {
    const r = await runLoadTest({
      server: url,
      clients,
      channels: Math.max(1, Math.round(clients / 10)),
      speakersPerChannel: 1,
      seconds: SECONDS,
      rampSeconds: Math.min(10, clients / 200),
      adminPassword: ADMIN_PASSWORD,
    });
    const s = r.server;
    const p99 = s?.forwardUs.p99Us ?? NaN;
    // The load must really have been offered: at 50 frames/s per speaker,
    // within 5 %. Past that point the generator, not the server, is the limit.
    const nominal = r.participants.speakers * (1000 / 20);
    const offeredPercent = (100 * r.packets.audioSent) / Math.max(1, r.window.seconds) / nominal;
    const generatorLimited = offeredPercent < MIN_OFFERED_PERCENT;
    const pass =
      !generatorLimited && r.participants.failed === 0 && r.loss.percent < MAX_LOSS && p99 < MAX_P99;
    const row: Row = {
      clients,
      joined: r.participants.joined,
      offeredPercent,
      lossPercent: r.loss.percent,
      forwardP50Us: s?.forwardUs.p50Us ?? NaN,
      forwardP99Us: p99,
      packetsInPerSecond: s?.packetsInPerSecond ?? NaN,
      packetsOutPerSecond: s?.packetsOutPerSecond ?? NaN,
      serverCpuPercent: s?.cpuPercent ?? NaN,
      rssMB: s === null ? NaN : s.rssBytes / 2 ** 20,
      rttP99Ms: r.rttMs.p99,
      generatorCpuPercent: r.generator.cpuPercent,
      generatorLimited,
      pass,
    };
    rows.push(row);
    console.log(
      `${String(clients).padStart(5)} clients  joined ${row.joined}  offered ${offeredPercent.toFixed(0)} % of nominal  loss ${row.lossPercent.toFixed(3)} %  forwarding p50 ${row.forwardP50Us.toFixed(0)} µs p99 ${row.forwardP99Us.toFixed(0)} µs` +
        `  in ${Math.round(row.packetsInPerSecond)}/s out ${Math.round(row.packetsOutPerSecond)}/s  server CPU ${row.serverCpuPercent.toFixed(0)} % (generator ${row.generatorCpuPercent.toFixed(0)} %)  RSS ${row.rssMB.toFixed(0)} MB  ${pass ? 'pass' : generatorLimited ? 'STOP: the load generator could not offer the load' : 'FAIL'}`,
    );
    if (!pass) break;
    best = clients;
  }
} finally {
  child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
const last = rows.at(-1);
console.log(
  `\ncapacity: ${best} clients (${best / 10} channels of 10) within loss < ${MAX_LOSS} % and forwarding p99 < ${MAX_P99} µs` +
    (last?.generatorLimited
      ? ` — a floor: at ${last.clients} the load generator offered only ${last.offeredPercent.toFixed(0)} % of the load`
      : ''),
);
if (process.env.BENCH_JSON) console.log(JSON.stringify({ best, rows }));
