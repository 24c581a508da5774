// Audio under bad networks (docs/benchmarks.md): a speaker talks a 1 kHz tone
// through the impairment proxy (`parley netem`'s NetemProxy, on the speaker's
// uplink) to a server; a listener (Listener, the SDK's jitter buffer and Opus)
// records what it plays (@parley/tools speakThrough). For each network and redundancy depth: how much of
// the tone's time is present (5 ms windows above −40 dBFS), the longest gap,
// the frames lost / filled from redundancy / concealed, and the jitter
// buffer's median target delay while the tone plays. Seeded: the same command gives the same
// losses. Loopback only; bounded (each run is the tone's length + 2 s).
//
// Usage: node bench/dist/bad-network.js [--seconds 10] [--seed 7]
import { parseArgs } from 'node:util';
import { SAMPLE_RATE } from '@parley/protocol';
import { longestGapMs, rmsDbfs, toneInt16, type RedundancyDepth } from '@parley/client';
import { loadOpusNode } from '@parley/client/node';
import { speakThrough, type NetworkModelOptions } from '@parley/tools';
import { startBenchServer } from './server.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, seed: { type: 'string', default: '7' } },
});
const SECONDS = Number(values.seconds);
const SEED = Number(values.seed);

const NETWORKS: { name: string; up: NetworkModelOptions }[] = [
  { name: 'clean loopback', up: {} },
  { name: '5 % random loss, 30 ms jitter', up: { loss: 0.05, jitterMs: 30 } },
  {
    name: '15 % bursty loss (mean burst 3), 30 ms jitter',
    up: { burstLoss: 0.15, burstLength: 3, jitterMs: 30 },
  },
];
const DEPTHS: RedundancyDepth[] = [0, 2];

/** Share of 5 ms windows above −40 dBFS. */
function present(pcm: Int16Array): number {
  const w = SAMPLE_RATE / 200;
  let on = 0;
  let all = 0;
  for (let i = 0; i + w <= pcm.length; i += w, all++) if (rmsDbfs(pcm.subarray(i, i + w)) > -40) on++;
  return all === 0 ? 0 : on / all;
}

const opus = await loadOpusNode();
const server = await startBenchServer({ adminPassword: 'bad-network-bench' });

async function run(up: NetworkModelOptions, depth: RedundancyDepth) {
  const r = await speakThrough({
    server,
    opus,
    up: { ...up, seed: SEED },
    redundancy: depth,
    source: toneInt16(1000, SECONDS, SAMPLE_RATE, -12),
  });
  // The tone as heard: from its first loud frame to its last.
  const n = r.frameSamples;
  const loud: boolean[] = [];
  for (let i = 0; i + n <= r.pcm.length; i += n) loud.push(rmsDbfs(r.pcm.subarray(i, i + n)) > -30);
  const first = loud.indexOf(true);
  const last = loud.lastIndexOf(true);
  const heard = first < 0 ? new Int16Array(0) : r.pcm.subarray(first * n, (last + 1) * n);
  const stats = r.stats;
  return {
    present: present(heard),
    gapMs: longestGapMs(heard, SAMPLE_RATE),
    lost: stats.lost,
    filled: stats.filled,
    concealed: stats.concealed,
    fec: stats.recoveredByFec,
    targetMs: r.targetMs,
    dropped: r.dropped,
  };
}

console.log(`Audio under bad networks: ${SECONDS} s of 1 kHz, seed ${SEED}, loss on the speaker's uplink`);
console.log(
  '| network | redundancy | present | longest gap | dropped / lost / filled / FEC / concealed | target delay (median) |',
);
console.log('|---|---|---|---|---|---|');
try {
  for (const net of NETWORKS) {
    for (const depth of DEPTHS) {
      const r = await run(net.up, depth);
      console.log(
        `| ${net.name} | ${depth} | ${(r.present * 100).toFixed(1)} % | ${r.gapMs} ms | ${r.dropped} / ${r.lost} / ${r.filled} / ${r.fec} / ${r.concealed} | ${r.targetMs.toFixed(0)} ms |`,
      );
    }
  }
} finally {
  server.child.kill('SIGTERM');
}
