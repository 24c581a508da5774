/**
 * Property tests of the jitter buffer: arbitrary interleavings of pushes and
 * pops, with 16-bit sequence numbers extended the way the receiver does
 * (wraparound), duplicates, very old and very new packets, 32-bit
 * timestamps that wrap, and arbitrary arrival and playout times.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extendSeq16 } from '@parley/protocol';
import { JitterBuffer, type PushResult } from './jitter-buffer.js';

type Op =
  | { kind: 'push'; delta: number; arrivalOffset: number; dt: number }
  | { kind: 'pop'; dt: number }
  | { kind: 'fill'; back: number }
  | { kind: 'cut'; back: number };

/** A payload that names its sequence number, to check what plays is what was pushed. */
const payloadOf = (ext: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, ext);
  return b;
};

/** Where the next sequence number lands relative to the highest one seen (modulo 2¹⁶). */
const delta = fc.oneof(
  { weight: 8, arbitrary: fc.constant(1) },
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 3 }) },
  { weight: 2, arbitrary: fc.integer({ min: -130, max: 130 }) }, // around one or two rings
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }, // anywhere: very old or very new
);

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('push' as const),
    delta,
    arrivalOffset: fc.integer({ min: -2000, max: 2000 }),
    dt: fc.integer({ min: 0, max: 30 }),
  }),
  fc.record({ kind: fc.constant('pop' as const), dt: fc.integer({ min: 0, max: 60 }) }),
  // A redundant copy of one of the three frames before the newest (docs/protocol.md, "Redundancy").
  fc.record({ kind: fc.constant('fill' as const), back: fc.integer({ min: 1, max: 3 }) }),
  // A mute's cut near the newest sequence number (docs/protocol.md, "Cut by mute"), or a stale one.
  fc.record({ kind: fc.constant('cut' as const), back: fc.integer({ min: -2, max: 70 }) }),
);

const config = fc.record({
  capacity: fc.constantFrom(1, 2, 4, 8, 64),
  initialDelayMs: fc.integer({ min: 0, max: 200 }),
  idleAfterUnderruns: fc.integer({ min: 1, max: 6 }),
  firstSeq16: fc.oneof(fc.constant(0xfff0), fc.integer({ min: 0, max: 0xffff })),
  tsBase: fc.oneof(fc.constant(0xffffff00), fc.integer({ min: 0, max: 0xffffffff })),
});

type Config = typeof config extends fc.Arbitrary<infer T> ? T : never;

/** Runs `ops` against a fresh buffer, checking every invariant after every call. */
function run(cfg: Config, ops: Op[]): void {
  const jb = new JitterBuffer({
    capacity: cfg.capacity,
    initialDelayMs: cfg.initialDelayMs,
    idleAfterUnderruns: cfg.idleAfterUnderruns,
  });
  let highest: number | undefined;
  let now = 0;
  let pushes = 0;
  let fills = 0;
  const results: Record<PushResult, number> = { ok: 0, late: 0, duplicate: 0, overflow: 0 };
  const accepted = new Set<number>();
  let lastFrame = -1;
  let lastEvent = -1;
  /** The highest sequence number cut (−1: none): nothing at or below it plays after the cut. */
  let cutAt = -1;
  for (const o of ops) {
    if (o.kind === 'cut') {
      if (highest === undefined) continue;
      const ext = highest - o.back;
      const before = jb.buffered();
      const cutBefore = jb.stats.cut;
      if (jb.cut(ext)) {
        expect(jb.isPlaying).toBe(false);
        expect(jb.buffered()).toEqual(before.filter((x) => x > ext));
        expect(jb.stats.cut - cutBefore).toBe(before.length - jb.size);
        cutAt = Math.max(cutAt, ext);
      } else {
        // Stale (older than the playout point: what was played, cut or overflowed): nothing changes.
        expect(jb.buffered()).toEqual(before);
        expect(jb.stats.cut).toBe(cutBefore);
      }
    } else if (o.kind === 'fill') {
      if (highest === undefined) continue;
      const ext = highest - o.back;
      const before = jb.buffered();
      if (jb.fill(ext, payloadOf(ext), now)) {
        // Only a frame that was neither held nor played yet.
        expect(before).not.toContain(ext);
        expect(ext).toBeGreaterThan(lastFrame);
        // An underrun's concealment does not use up its sequence number: a copy may still come in time, as the frame itself may.
        expect(ext).toBeGreaterThanOrEqual(lastEvent);
        fills++;
        accepted.add(ext);
      }
    } else if (o.kind === 'push') {
      now += o.dt;
      const seq16 = ((highest ?? cfg.firstSeq16 - 1) + o.delta) & 0xffff;
      const ext = extendSeq16(seq16, highest);
      highest = highest === undefined ? ext : Math.max(highest, ext);
      const ts = (cfg.tsBase + ext * 960) >>> 0;
      const r = jb.push(ext, ts, payloadOf(ext), Math.max(0, now + o.arrivalOffset));
      pushes++;
      results[r]++;
      if (ext <= cutAt) expect(r === 'late' || r === 'duplicate').toBe(true);
      if (r === 'ok') accepted.add(ext);
    } else {
      now += o.dt;
      const r = jb.pop(now);
      if (r.kind !== 'waiting') {
        expect(r.extSeq).toBeGreaterThanOrEqual(lastEvent);
        lastEvent = r.extSeq;
      }
      if (r.kind !== 'waiting') expect(r.extSeq).toBeGreaterThan(cutAt);
      if (r.kind === 'frame') {
        expect(r.extSeq).toBeGreaterThan(lastFrame);
        expect(accepted.has(r.extSeq)).toBe(true);
        expect(r.payload).toEqual(payloadOf(r.extSeq));
        lastFrame = r.extSeq;
      }
    }
    // Memory stays bounded, and the count is what the ring really holds.
    const held = jb.buffered();
    expect(jb.size).toBeLessThanOrEqual(cfg.capacity);
    expect(held.length).toBe(jb.size);
    expect(new Set(held.map((s) => s % cfg.capacity)).size).toBe(held.length);
    // Counters add up: every packet is accepted, late or a duplicate, and
    // every accepted frame is played, skipped, overflowed or still held.
    const s = jb.stats;
    expect(s.received).toBe(pushes);
    expect(s.late).toBe(results.late);
    expect(s.duplicate).toBe(results.duplicate);
    expect(s.received).toBe(results.ok + s.late + s.duplicate);
    expect(s.filled).toBe(fills);
    expect(results.ok + fills).toBe(s.played + s.skipped + s.overflow + s.cut + jb.size);
  }
}

describe('JitterBuffer properties', () => {
  it('every call returns, memory stays bounded, frames play in order, counters add up', () => {
    fc.assert(
      fc.property(config, fc.array(op, { maxLength: 400 }), (cfg, ops) => run(cfg, ops)),
      {
        numRuns: 300,
        examples: [
          // The review's case: 936 after 1000, before playout starts.
          [
            { capacity: 64, initialDelayMs: 40, idleAfterUnderruns: 3, firstSeq16: 1000, tsBase: 0 },
            [
              { kind: 'push', delta: 1, arrivalOffset: 0, dt: 0 },
              { kind: 'push', delta: -64, arrivalOffset: 0, dt: 1 },
              { kind: 'pop', dt: 40 },
            ],
          ],
        ],
      },
    );
  });

  it('a steady stream across the 16-bit and 32-bit wraps plays every frame', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }), (s0, ts0) => {
        const jb = new JitterBuffer({ initialDelayMs: 40 });
        let highest: number | undefined;
        const played: number[] = [];
        const sent: number[] = [];
        for (let k = 0; k < 200; k++) {
          const ext = extendSeq16((s0 + k) & 0xffff, highest);
          highest = ext;
          sent.push(ext);
          jb.push(ext, (ts0 + k * 960) >>> 0, payloadOf(ext), k * 20);
          const r = jb.pop(k * 20);
          if (r.kind === 'frame') played.push(r.extSeq);
        }
        for (let k = 200; k < 210; k++) {
          const r = jb.pop(k * 20);
          if (r.kind === 'frame') played.push(r.extSeq);
        }
        expect(played).toEqual(sent);
        // No wrap is seen as a two-billion-sample gap or a jump: the jitter stays at zero.
        expect(jb.jitter).toBe(0);
      }),
      { numRuns: 100, examples: [[0xff00, 0xfffff000]] },
    );
  });
});
