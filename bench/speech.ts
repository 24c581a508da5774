// Speech through a bad network (docs/benchmarks.md, "Audio under bad
// networks"): a fixed sentence said by espeak-ng (voice en-us, 160 words a
// minute, 48 kHz mono at −3 dBFS peak) is spoken by the SDK's StreamSender
// through the impairment proxy (bursty Gilbert–Elliott loss and jitter on the
// speaker's uplink, seeded) to a `parley-server`; a listener records what it
// plays (@parley/tools speakThrough). The recording is aligned to the source block by block
// (envelope cross-correlation within a bounded lag range, refined to the
// sample) and compared with it: the log-spectral distance over 20 ms Hann
// frames where the source speaks (mean, and the 95th percentile of the
// frames: where the damage is), with and without the holes (speech frames
// the recording has 20 dB or more under the source), the share of holes, and
// how far playout's timing moved (the spread of the block lags). First the
// same speech over a clean path: Opus's own distance, the floor.
//
// Usage: node bench/dist/speech.js [--seconds 8] [--seed 7[,8,…]] [--loss 0.1]
//          [--burst 3] [--jitter 30] [--redundancy 0,2] [--wav DIR]
// Needs espeak-ng (apt-get install espeak-ng). Loopback only; bounded (each
// run is the speech's length + 2 s).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quantile, SAMPLE_RATE } from '@parley/protocol';
import { encodeWav, type RedundancyDepth } from '@parley/client';
import { loadOpusNode } from '@parley/client/node';
import {
  align,
  espeakSpeech,
  speakThrough,
  spectralDistance,
  warp,
  type NetworkModelOptions,
} from '@parley/tools';
import { startBenchServer } from './server.js';

const TEXT =
  'Every word should survive a bad network. When packets are lost in bursts, ' +
  'the listener must still hear each sound, clearly.';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    seed: { type: 'string', default: '7' },
    loss: { type: 'string', default: '0.1' },
    burst: { type: 'string', default: '3' },
    jitter: { type: 'string', default: '30' },
    redundancy: { type: 'string', default: '0,2' },
    wav: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const SEEDS = values.seed.split(',').map(Number);
const LOSS = Number(values.loss);
const BURST = Number(values.burst);
const JITTER = Number(values.jitter);
const DEPTHS = values.redundancy.split(',').map(Number) as RedundancyDepth[];
if (!(SECONDS > 0 && SECONDS <= 60)) throw new RangeError('--seconds must be in (0, 60]');
if (SEEDS.some((s) => !Number.isInteger(s))) throw new RangeError('--seed takes integers');
if (DEPTHS.some((d) => d !== 0 && d !== 1 && d !== 2)) throw new RangeError('--redundancy takes 0, 1, 2');

/** The sentence, cut (or repeated) to `seconds`. */
function speech(seconds: number): Int16Array {
  const said = espeakSpeech(TEXT, { voice: 'en-us', wordsPerMinute: 160, peakDbfs: -3 });
  const out = new Int16Array(Math.round(seconds * SAMPLE_RATE));
  for (let at = 0; at < out.length && said.length > 0; at += said.length)
    out.set(said.subarray(0, Math.min(said.length, out.length - at)), at);
  return out;
}

const source = speech(SECONDS);
if (values.wav !== undefined) {
  mkdirSync(values.wav, { recursive: true });
  writeFileSync(join(values.wav, 'source.wav'), encodeWav(source, SAMPLE_RATE));
}
const opus = await loadOpusNode();
const server = await startBenchServer({ adminPassword: 'speech-bench' });

async function run(name: string, up: NetworkModelOptions, seed: number, depth: RedundancyDepth) {
  const r = await speakThrough({ server, opus, up: { ...up, seed }, redundancy: depth, source });
  if (values.wav !== undefined) writeFileSync(join(values.wav, `${name}.wav`), encodeWav(r.pcm, SAMPLE_RATE));
  const a = align(source, r.pcm, { maxLagMs: 1500 });
  const heard = warp(r.pcm, a, source.length);
  const d = spectralDistance(source, heard);
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of a.blockLags) {
    lo = Math.min(lo, l);
    hi = Math.max(hi, l);
  }
  const s = r.stats;
  return {
    ...d,
    p95Db: quantile(d.frames.slice().sort(), 0.95),
    driftMs: ((hi - lo) / SAMPLE_RATE) * 1000,
    counts: `${r.dropped} / ${s.lost} / ${s.filled} / ${s.recoveredByFec} / ${s.concealed}`,
    targetMs: r.targetMs,
  };
}

const lossy = `${Math.round(LOSS * 100)} % bursty loss (mean burst ${BURST}), ${JITTER} ms jitter`;
console.log(
  `Speech through a bad network: ${SECONDS} s of espeak-ng (en-us, 160 wpm), loss on the speaker's uplink`,
);
console.log(
  '| network | redundancy | seed | LSD | LSD p95 | LSD heard | holes | timing moved | dropped / lost / filled / FEC / concealed | target delay (median) |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
const row = (
  network: string,
  depth: number,
  seed: number | string,
  r: Awaited<ReturnType<typeof run>>,
): void =>
  console.log(
    `| ${network} | ${depth} | ${seed} | ${r.lsdDb.toFixed(2)} dB | ${r.p95Db.toFixed(1)} dB | ${r.heardLsdDb.toFixed(2)} dB | ` +
      `${(r.holeShare * 100).toFixed(1)} % | ${r.driftMs.toFixed(0)} ms | ${r.counts} | ${r.targetMs.toFixed(0)} ms |`,
  );
try {
  row('clean loopback', 0, '–', await run('clean', {}, SEEDS[0]!, 0));
  for (const seed of SEEDS) {
    for (const depth of DEPTHS) {
      const up = { burstLoss: LOSS, burstLength: BURST, jitterMs: JITTER };
      row(lossy, depth, seed, await run(`lossy-r${depth}-s${seed}`, up, seed, depth));
    }
  }
} finally {
  server.child.kill('SIGTERM');
}
