/**
 * The playout of docs/playout.md, in simulated time: one speaker's tone,
 * packets arriving on a schedule, the output pulling 10 ms at a time. What
 * is checked is the delay each frame waited (arrival → its first sample
 * played, from the trace events) and the audio itself.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AudioFlag, FRAME_SAMPLES, packRedundant, REDUNDANT_FLAG, SAMPLE_RATE } from '@parley/protocol';
import { dominantFrequency, longestGapMs } from '../audio/analysis.js';
import { loadOpusNode } from '../audio/opus-node.js';
import type { OpusModule } from '../audio/opus.js';
import { encodeTone } from '../../../../test/helpers/sdk.js';
import { mulberry32 } from './impair.js';
import { Receiver, type ReceiverStats } from './receiver.js';
import type { FrameTracer, TraceEventName } from './trace.js';

let opus: OpusModule;
let tone: Uint8Array[];
beforeAll(async () => {
  opus = await loadOpusNode();
  tone = encodeTone(opus, 440, 400); // 8 s
});

const PULL = 480;

interface Run {
  out: Int16Array;
  /** Per frame (by seq): arrival → its first sample played (ms). */
  waits: Map<number, number>;
  stats: ReceiverStats;
  target: number;
}

/**
 * Packet `seq` arrives at `arrival(seq)` (ms, undefined = lost); the output pulls 10 ms every 10 ms.
 * `redundant(seq)`: the packet carries copies of the two frames before it.
 */
function run(
  arrival: (seq: number) => number | undefined,
  frames = tone.length,
  redundant: (seq: number) => boolean = () => false,
): Run {
  let now = 0;
  const arrived = new Map<number, number>();
  const waits = new Map<number, number>();
  const tracer: FrameTracer = {
    now: () => now,
    mark: (ev: TraceEventName, _ssrc: number, seq: number, t?: number) => {
      if (ev === 'arrived') arrived.set(seq, t ?? now);
      if (ev === 'played' && !waits.has(seq)) waits.set(seq, (t ?? now) - arrived.get(seq)!);
    },
  };
  const rx = new Receiver(opus, { pullSamples: PULL, tracer });
  const schedule = Array.from({ length: frames }, (_, seq) => ({ seq, at: arrival(seq) }))
    .filter((a): a is { seq: number; at: number } => a.at !== undefined)
    .sort((a, b) => a.at - b.at);
  const ticks = Math.ceil((frames * 20 + 400) / 10);
  const out = new Int16Array(ticks * PULL);
  let k = 0;
  for (let i = 0; i < ticks; i++) {
    const t = i * 10;
    while (k < schedule.length && schedule[k]!.at <= t) {
      const a = schedule[k++]!;
      now = a.at;
      const red = redundant(a.seq) && a.seq >= 2;
      rx.push({
        ssrc: 7,
        extSeq: a.seq,
        timestamp: a.seq * FRAME_SAMPLES,
        // The last packet ends the spurt: nothing is concealed after it.
        flags: (a.seq === frames - 1 ? AudioFlag.TalkEnd : 0) | (red ? REDUNDANT_FLAG : 0),
        payload: red
          ? packRedundant(
              [2, 1].map((back) => ({ back, frame: tone[a.seq - back]! })),
              tone[a.seq]!,
            )
          : tone[a.seq]!,
        arrivalMs: a.at,
      });
    }
    now = t;
    out.set(rx.pull(t), i * PULL);
    rx.played(i * PULL);
  }
  const target = rx.delays().targetDelayMs;
  const stats = rx.stats();
  rx.close();
  return { out, waits, stats, target };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const settled = (r: Run, fromSeq: number): number[] =>
  [...r.waits].filter(([seq]) => seq >= fromSeq).map(([, w]) => w);
/** The output from `fromMs` for `ms`. */
const slice = (r: Run, fromMs: number, ms: number): Int16Array =>
  r.out.subarray((fromMs * SAMPLE_RATE) / 1000, ((fromMs + ms) * SAMPLE_RATE) / 1000);

describe('Receiver playout (docs/playout.md)', () => {
  it('a clean network: the delay comes down to a few ms by time-scaling, without losing or concealing a frame', () => {
    // Frames arrive 7 ms after a 10 ms pull tick: the shortest wait a 10 ms output allows is 3 ms.
    const r = run((seq) => seq * 20 + 7);
    const waits = settled(r, 100);
    expect(median(waits)).toBeLessThan(12);
    expect(Math.max(...waits)).toBeLessThan(14);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(2.9);
    expect(r.target).toBeCloseTo(2, 5);
    // (The buffer underruns after the last frame too, but a spurt's end is not concealed.)
    expect(r.stats).toMatchObject({ lost: 0, concealed: 0, skipped: 0, stretched: 0 });
    expect(r.stats.accelerated).toBeGreaterThan(0);
    expect(r.stats.played).toBe(400);
    // The tone is whole: no hole, no other pitch, from its start to its end.
    const audio = slice(r, 200, 7500);
    expect(longestGapMs(audio, SAMPLE_RATE)).toBe(0);
    expect(Math.abs(dominantFrequency(audio, SAMPLE_RATE) - 440)).toBeLessThan(1);
  });

  it('after a network stall delivers 10 frames at once, shrinks back by accelerating speech, never dropping a frame', () => {
    const r = run((seq) => (seq < 60 ? seq * 20 + 3 : seq < 70 ? 70 * 20 + 3 : seq * 20 + 3));
    expect(r.stats).toMatchObject({ lost: 0, skipped: 0, played: 400 });
    // The stalled frames waited up to 200 ms (the first played at once, after 10 concealed);
    // once they have left the 4 s window of the target, a few ms again.
    expect(Math.max(...settled(r, 60).slice(0, 10))).toBeGreaterThan(100);
    expect(median(settled(r, 300))).toBeLessThan(12);
    expect(r.stats.accelerated).toBeGreaterThan(10);
    // Accelerating a tone keeps it a tone: no hole after the stall's own, the pitch kept.
    const after = slice(r, 1500, 6000);
    expect(longestGapMs(after, SAMPLE_RATE)).toBe(0);
    expect(Math.abs(dominantFrequency(after, SAMPLE_RATE) - 440)).toBeLessThan(1);
  });

  it('when the speaker turns redundancy on, stretches speech up to the new target instead of concealing', () => {
    // From frame 100 on, each packet carries copies of the two before it: the frames must now wait
    // two frames more (42 ms) for a copy to be in time, on a path where they waited 3 ms.
    const r = run(
      (seq) => seq * 20 + 7,
      tone.length,
      (seq) => seq >= 100,
    );
    expect(r.target).toBeCloseTo(42, 5);
    expect(r.stats.stretched).toBeGreaterThan(3);
    expect(r.stats).toMatchObject({ lost: 0, skipped: 0, played: 400, concealed: 0 });
    // Settled at the target: a few ms above it at most (one pull of 10 ms).
    const waits = settled(r, 250);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(39);
    expect(median(waits)).toBeLessThan(54);
    const audio = slice(r, 200, 7500);
    expect(longestGapMs(audio, SAMPLE_RATE)).toBe(0);
    expect(Math.abs(dominantFrequency(audio, SAMPLE_RATE) - 440)).toBeLessThan(1);
  });

  it('30 ms of random jitter: the target follows it, the tone stays whole, few frames are concealed', () => {
    const rand = mulberry32(11);
    const jitter = Array.from({ length: 400 }, () => rand() * 30);
    const r = run((seq) => seq * 20 + jitter[seq]!);
    expect(r.target).toBeGreaterThan(25);
    expect(r.target).toBeLessThan(35);
    expect(r.stats.lost).toBe(0);
    expect(r.stats.concealed).toBeLessThan(300 * 0.06);
    // Waits stay within the target and a pull or two beyond the worst jitter.
    expect(median(settled(r, 100))).toBeLessThan(45);
    const audio = slice(r, 300, 7400);
    expect(longestGapMs(audio, SAMPLE_RATE)).toBeLessThanOrEqual(10);
    expect(Math.abs(dominantFrequency(audio, SAMPLE_RATE) - 440)).toBeLessThan(1);
  });

  it('an output clock that loses 100 ms for good (a stalled audio thread): the buffer sheds it within a second, not after the 4 s window', () => {
    // On the listener's clock: frames sent during the 100 ms stall arrive when it resumes, and every
    // later frame comes 100 ms "earlier" than before (the clock is behind for good).
    const r = run((seq) => (seq < 150 ? seq * 20 + 7 : seq < 155 ? 150 * 20 + 7 : seq * 20 + 7 - 100));
    // Without the step (RelativeDelay's `stepMs`), the target would hold ~100 ms until seq 350.
    const after = settled(r, 205); // from 1.1 s after the stall
    console.log(
      `clock step: waits from 1.1 s after it median ${median(after).toFixed(1)} ms, max ${Math.max(...after).toFixed(1)} ms`,
    );
    expect(median(after)).toBeLessThan(14);
    expect(r.stats).toMatchObject({ lost: 0, skipped: 0, played: 400 });
    const audio = slice(r, 200, 7500);
    expect(Math.abs(dominantFrequency(audio, SAMPLE_RATE) - 440)).toBeLessThan(1);
  });
});
