/**
 * The playback ring the output worklet runs (its own source text is the
 * worklet's), against a model: a plain array queue with the same bound.
 * Whatever the main thread writes (any frame sizes, bursts after a stall,
 * frames larger than the ring) and however the worklet reads, the ring
 * plays exactly the model's samples, never holds more than its capacity,
 * and counts every sample it dropped or could not play.
 */
import fc from 'fast-check';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PlaybackRing } from './playback-ring.js';

type Op = { k: 'write'; n: number } | { k: 'read'; n: number } | { k: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ k: fc.constant('write' as const), n: fc.integer({ min: 0, max: 400 }) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({ k: fc.constant('read' as const), n: fc.integer({ min: 0, max: 200 }) }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('clear' as const) }) },
);

describe('PlaybackRing', () => {
  it('plays what was written, in order, bounded, counting overruns and underruns (model-based)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
        const ring = new PlaybackRing(capacity);
        const model: number[] = [];
        let next = 1;
        let overruns = 0;
        let underruns = 0;
        let underrunSamples = 0;
        for (const o of ops) {
          if (o.k === 'write') {
            const x = Float32Array.from({ length: o.n }, () => next++);
            ring.write(x);
            model.push(...x);
            if (model.length > capacity) overruns += model.splice(0, model.length - capacity).length;
          } else if (o.k === 'read') {
            const out = new Float32Array(o.n).fill(-1);
            const got = ring.read(out);
            const want = model.splice(0, o.n);
            expect(got).toBe(want.length);
            expect(Array.from(out.subarray(0, got))).toEqual(want);
            expect(out.subarray(got).every((s) => s === 0)).toBe(true);
            if (got < o.n) {
              underruns++;
              underrunSamples += o.n - got;
            }
          } else {
            ring.clear();
            model.length = 0;
          }
          expect(ring.fill).toBe(model.length);
          expect(ring.fill).toBeLessThanOrEqual(capacity);
        }
        expect(ring.overruns).toBe(overruns);
        expect(ring.underruns).toBe(underruns);
        expect(ring.underrunSamples).toBe(underrunSamples);
      }),
    );
  });

  it('refuses a capacity that is not a whole number ≥ 1', () => {
    expect(() => new PlaybackRing(0)).toThrow(RangeError);
    expect(() => new PlaybackRing(1.5)).toThrow(RangeError);
  });

  it('is self-contained: its source text defines the class alone (the worklet evaluates it)', () => {
    // A fresh context with only the builtins: nothing of this module is reachable from the text.
    const Ring = runInNewContext(`(${PlaybackRing.toString()})`, {}) as typeof PlaybackRing;
    const r = new Ring(4);
    r.write(Float32Array.of(1, 2, 3, 4, 5));
    const out = new Float32Array(4);
    expect(r.read(out)).toBe(4);
    expect(Array.from(out)).toEqual([2, 3, 4, 5]);
    expect(r.overruns).toBe(1);
  });
});
