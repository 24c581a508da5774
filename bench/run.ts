// `npm run bench`: micro-benchmarks of the media hot path, printed next to the
// figures the original (Rust) design claimed. Each case runs for ~0.5 s after
// a warm-up, three times; the median is shown. Results: docs/benchmarks.md.
// Runs compiled: node bench/dist/run.js [--only NAME] (BENCH_MS=… per run, BENCH_JSON=1).
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  Direction,
  FRAME_SAMPLES,
  HEADER_SIZE,
  InboundStream,
  PacketType,
  parsePacket,
  readHeaderInto,
  SAMPLE_RATE,
  sealPacket,
  sealPacketWithHeader,
  writeHeader,
  type MediaHeader,
} from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import {
  accelerate,
  JitterBuffer,
  Mixer,
  OpusEncoder,
  OpusDecoder,
  resampleTo48k,
  scaleChoice,
  toneInt16,
} from '@parley/client';
import { loadOpusNode } from '@parley/client/node';

const RUN_MS = Number(process.env.BENCH_MS ?? 500);
// `node bench/dist/run.js --only resample` runs only the cases whose name contains "resample".
const onlyAt = process.argv.indexOf('--only');
const ONLY = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const selected = (name: string): boolean => ONLY === undefined || name.includes(ONLY);

/** Operations per second of `fn` (which returns how many it did): the median of three runs after a warm-up. */
function measure(fn: () => number): number {
  const warm = performance.now();
  while (performance.now() - warm < 100) fn(); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < 3; r++) {
    let ops = 0;
    const t0 = performance.now();
    let t1 = t0;
    while (t1 - t0 < RUN_MS) {
      ops += fn();
      t1 = performance.now();
    }
    rates.push((ops * 1000) / (t1 - t0));
  }
  rates.sort((a, b) => a - b);
  return rates[1] ?? NaN;
}

const fmt = (x: number): string =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k/s` : `${x.toFixed(0)} /s`;

interface Result {
  name: string;
  /** Operations per second (for the resampler: seconds of audio per second). */
  rate: number;
  /** The original design's claim, where it made one. */
  rust?: number;
}
const results: Result[] = [];
function bench(name: string, fn: () => number, rust?: number): void {
  if (!selected(name)) return;
  const rate = measure(fn);
  results.push(rust === undefined ? { name, rate } : { name, rate, rust });
  const cmp = rust !== undefined ? `  (Rust claim ${fmt(rust)}: ${(rate / rust).toFixed(2)}×)` : '';
  console.log(`${name.padEnd(52)} ${fmt(rate).padStart(12)}${cmp}`);
}

const BATCH = 1000;
// Every case feeds a result into `sink` (printed at the end) so that the
// compiler cannot drop the work being measured.
let sink = 0;
const key = randomBytes(32);
const aead = createNodeAead(key);
const payload = randomBytes(60); // a typical 20 ms / 24 kbps Opus frame
const hdr: MediaHeader = { type: PacketType.Audio, flags: 0, seq: 1, timestamp: FRAME_SAMPLES, ssrc: 42 };

console.log(
  `Parley benchmarks — node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${new Date().toISOString()}`,
);
console.log('');

// Packet creation: header written into a reused buffer, payload copied behind it.
const out = new Uint8Array(HEADER_SIZE + payload.length);
bench(
  'packet creation (header + payload into reused buffer)',
  () => {
    for (let i = 0; i < BATCH; i++) {
      hdr.seq = i & 0xffff;
      writeHeader(out, 0, hdr);
      out.set(payload, HEADER_SIZE);
    }
    return BATCH;
  },
  3.6e6,
);

const sealed = sealPacket(aead, Direction.ClientToServer, hdr, 1, payload);
const scratch: MediaHeader = { type: PacketType.Audio, flags: 0, seq: 0, timestamp: 0, ssrc: 0 };
bench('header parse, zero-alloc (readHeaderInto)', () => {
  for (let i = 0; i < BATCH; i++) {
    sealed[3] = i & 0xff;
    readHeaderInto(sealed, scratch, 1200);
    sink += scratch.seq;
  }
  return BATCH;
});
bench('packet parse with subarray views (parsePacket)', () => {
  for (let i = 0; i < BATCH; i++) {
    const r = parsePacket(sealed);
    if (r.ok) sink += r.value.sealed.length;
  }
  return BATCH;
});

let ext = 0;
bench('seal (AES-256-GCM, 60-byte payload)', () => {
  for (let i = 0; i < 100; i++) sealPacket(aead, Direction.ClientToServer, hdr, ext++, payload);
  return 100;
});
const headerBytes = sealed.subarray(0, HEADER_SIZE);
bench('re-seal for a listener (sealPacketWithHeader)', () => {
  for (let i = 0; i < 100; i++)
    sealPacketWithHeader(aead, Direction.ServerToClient, headerBytes, PacketType.Audio, 42, ext++, payload);
  return 100;
});

// Open: a fresh stream each batch so the replay window accepts the sequence.
const packets: Uint8Array[] = [];
for (let i = 0; i < 1000; i++) {
  packets.push(sealPacket(aead, Direction.ClientToServer, { ...hdr, seq: i }, i, payload));
}
const views = packets.map((p) => {
  const r = parsePacket(p);
  if (!r.ok) throw new Error('bad fixture');
  return r.value;
});
bench('open + replay check (InboundStream.open)', () => {
  const stream = new InboundStream();
  for (const v of views) stream.open(aead, Direction.ClientToServer, v);
  return views.length;
});

// Jitter buffer: write and read, as the seed's "buffer" figures.
const jb = new JitterBuffer({ capacity: 64 });
let seqW = 0;
bench(
  'jitter buffer write (push)',
  () => {
    for (let i = 0; i < BATCH; i++) {
      jb.push(seqW, seqW * FRAME_SAMPLES, payload, seqW * 20);
      seqW++;
    }
    return BATCH;
  },
  2.1e6,
);
const jbr = new JitterBuffer({ capacity: 64 });
let seqR = 0;
let tR = 0;
bench(
  'jitter buffer write + read (push + pop)',
  () => {
    for (let i = 0; i < BATCH; i++) {
      jbr.push(seqR, seqR * FRAME_SAMPLES, payload, tR);
      seqR++;
      tR += 20;
      jbr.pop(tR);
    }
    return BATCH;
  },
  9.1e6,
);

// Playout time-scaling (docs/playout.md): one decision on a 20 ms voiced frame — the pitch search
// and the overlap-add — as the Receiver does at most every other frame per speaker.
const voiced = toneInt16(180, 0.02, 48_000, -12);
bench('time-scale a 20 ms frame (scaleChoice + accelerate)', () => {
  for (let i = 0; i < 100; i++) accelerate(voiced, scaleChoice(voiced).lag);
  return 100;
});

const opus = await loadOpusNode();
const tone = toneInt16(440, 1, SAMPLE_RATE, -12);
/** Frame k (mod 50) of the tone's second. */
const toneFrame = (k: number): Int16Array =>
  tone.subarray((k % 50) * FRAME_SAMPLES, (k % 50) * FRAME_SAMPLES + FRAME_SAMPLES);
const enc = new OpusEncoder(opus);
let fi = 0;
bench('Opus encode, 20 ms mono 32 kbps (wasm)', () => {
  for (let i = 0; i < 10; i++) {
    enc.encode(toneFrame(fi));
    fi++;
  }
  return 10;
});
const frames: Uint8Array[] = [];
for (let i = 0; i < 50; i++) frames.push(enc.encode(toneFrame(i)));
const dec = new OpusDecoder(opus);
let di = 0;
bench('Opus decode, 20 ms (wasm)', () => {
  for (let i = 0; i < 10; i++) {
    const f = frames[di++ % 50];
    if (f !== undefined) dec.decode(f);
  }
  return 10;
});

const mixer = new Mixer();
const srcs = Array.from({ length: 10 }, (_, i) => ({ id: i, pcm: tone.subarray(0, FRAME_SAMPLES) }));
bench('mix 10 sources, one 20 ms frame', () => {
  for (let i = 0; i < 10; i++) mixer.mix(srcs);
  return 10;
});

// Resampling a WAV file to 48 kHz (parley send loads the whole file before the
// first packet): milliseconds of CPU per second of mono audio.
for (const rate of [44100, 16000]) {
  const name = `resample ${rate / 1000} kHz → 48 kHz (resampleTo48k)`;
  if (!selected(name)) continue;
  const second = Float32Array.from(
    { length: rate },
    (_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / rate),
  );
  const perSecond = measure(() => {
    sink += resampleTo48k(second, rate)[1000] ?? 0;
    return 1;
  });
  results.push({ name, rate: perSecond });
  console.log(`${name.padEnd(52)} ${(1000 / perSecond).toFixed(2).padStart(9)} ms per second of audio`);
}

console.log(`\n(sink ${sink % 1000})`);
if (process.env.BENCH_JSON) console.log(JSON.stringify(results));
