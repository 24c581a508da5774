/**
 * A malicious speaker controls its packets' sequence numbers, timestamps and
 * flags, cuts included (docs/protocol.md, "Cut by mute"): whatever it sends,
 * in any order, the buffer's own bookkeeping (count, low, high, next) must
 * match what it holds after every call, and its counters must add up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JitterBuffer } from './jitter-buffer.js';

type Op =
  | { kind: 'push'; seq: number; ts: number; dt: number }
  | { kind: 'pop'; dt: number }
  | { kind: 'fill'; seq: number }
  | { kind: 'cut'; seq: number };

const seq = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 100_000 }));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('push' as const),
    seq,
    ts: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    dt: fc.integer({ min: 0, max: 40 }),
  }),
  fc.record({ kind: fc.constant('pop' as const), dt: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ kind: fc.constant('fill' as const), seq }),
  fc.record({ kind: fc.constant('cut' as const), seq }),
);

interface Inside {
  count: number;
  low: number;
  high: number;
  next: number | undefined;
  playing: boolean;
}

describe('JitterBuffer under a hostile stream with cuts (property)', () => {
  it('count, low, high and next match what is held after every call', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 4, 64), fc.array(op, { maxLength: 300 }), (capacity, ops) => {
        const jb = new JitterBuffer({ capacity, initialDelayMs: 20 });
        const inside = jb as unknown as Inside;
        let now = 0;
        let fills = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            now += o.dt;
            jb.push(o.seq, o.ts, Uint8Array.of(1), now);
          } else if (o.kind === 'pop') {
            now += o.dt;
            const r = jb.pop(now);
            if (r.kind !== 'waiting') expect(Number.isFinite(r.extSeq)).toBe(true);
          } else if (o.kind === 'fill') {
            if (jb.fill(o.seq, Uint8Array.of(2), now)) fills++;
          } else {
            const held = jb.buffered();
            const ok = jb.cut(o.seq);
            if (ok) expect(jb.buffered()).toEqual(held.filter((x) => x > o.seq));
          }
          const held = jb.buffered();
          expect(inside.count).toBe(held.length);
          expect(held.length).toBeLessThanOrEqual(capacity);
          if (held.length > 0) {
            expect(inside.low).toBe(held[0]);
            expect(inside.high).toBe(held.at(-1));
            // Nothing held is older than the playout point: it would never play.
            if (inside.next !== undefined) expect(held[0]).toBeGreaterThanOrEqual(inside.next);
          }
        }
        const s = jb.stats;
        expect(s.filled).toBe(fills);
        expect(s.received - s.late - s.duplicate + fills).toBe(
          s.played + s.skipped + s.overflow + s.cut + jb.size,
        );
      }),
      { numRuns: 400 },
    );
  });
});
