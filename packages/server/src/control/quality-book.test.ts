import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_REPORT_STREAMS, streamScore, type ReportStream } from '@parley/protocol';
import { QUALITY_TTL_MS, QualityBook } from './quality-book.js';

function stream(ssrc: number, over: Partial<ReportStream> = {}): ReportStream {
  return {
    ssrc,
    expected: 250,
    lost: 0,
    late: 0,
    concealed: 0,
    recoveredFec: 0,
    recoveredRed: 0,
    accelerated: 0,
    stretched: 0,
    jitterMs: 2,
    delayMs: 40,
    ...over,
  };
}
const everyone = (): boolean => true;

describe('QualityBook (receiver reports, docs/protocol.md §2.6)', () => {
  it('keeps the latest entry per (listener, speaker), scored, and aggregates a speaker’s listeners', () => {
    const book = new QualityBook();
    expect(book.record(1, 5, 20, [stream(7, { lost: 25 }), stream(8)], everyone, 0)).toEqual([7, 8]);
    book.record(2, 5, undefined, [stream(7)], everyone, 100);
    // A newer report from listener 1 replaces its entry about 7.
    book.record(1, 5, 20, [stream(7, { lost: 5 })], everyone, 200);
    const agg = book.aggregate(7, 300)!;
    expect(agg.listeners).toBe(2);
    expect(agg.lossPct.max).toBeCloseTo(2, 6);
    expect(agg.lossPct.mean).toBeCloseTo(1, 6);
    const worst = streamScore({ ...stream(7, { lost: 5 }), rttMs: 20 });
    expect(agg.mos.min).toBeCloseTo(worst.mos, 6);
    expect(book.entries({ speaker: 7 }, 300).map((e) => e.listener)).toEqual([1, 2]);
    expect(book.entries({ maxMos: worst.mos }, 300).map((e) => [e.listener, e.speaker])).toEqual([[1, 7]]);
  });

  it('ignores streams about itself and about who it does not hear; one report a second', () => {
    const book = new QualityBook();
    expect(book.admit(1, 0)).toBe(true);
    expect(book.admit(1, 999)).toBe(false);
    expect(book.admit(1, 1000)).toBe(true);
    expect(book.record(1, 5, undefined, [stream(1), stream(9), stream(7)], (s) => s === 7, 0)).toEqual([7]);
    expect(book.entries({}, 0)).toHaveLength(1);
  });

  it('keeps the one-report-a-second turn across leaving and joining again, until the session ends', () => {
    const book = new QualityBook();
    expect(book.admit(1, 0)).toBe(true);
    book.forget(1); // left the channel
    expect(book.admit(1, 100)).toBe(false);
    book.endSession(1);
    expect(book.admit(1, 200)).toBe(true);
  });

  it('forgets stale entries, and everything about someone who left', () => {
    const book = new QualityBook();
    book.record(1, 5, undefined, [stream(7)], everyone, 0);
    book.record(2, 5, undefined, [stream(7), stream(1)], everyone, 0);
    book.forget(1);
    expect(book.entries({}, 10)).toEqual([expect.objectContaining({ listener: 2, speaker: 7 })]);
    expect(book.aggregate(1, 10)).toBeNull();
    expect(book.aggregate(7, QUALITY_TTL_MS + 1)).toBeNull();
    expect(book.entries({}, QUALITY_TTL_MS + 1)).toEqual([]);
    expect(book.listeners).toBe(0);
  });

  it('stays bounded and consistent under any sequence of reports and departures', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('report' as const),
        listener: fc.integer({ min: 1, max: 6 }),
        speakers: fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: MAX_REPORT_STREAMS }),
        dt: fc.integer({ min: 0, max: 20_000 }),
      }),
      fc.record({ kind: fc.constant('forget' as const), ssrc: fc.integer({ min: 1, max: 200 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const book = new QualityBook();
        let now = 0;
        for (const o of ops) {
          if (o.kind === 'report') {
            now += o.dt;
            book.record(
              o.listener,
              5,
              undefined,
              o.speakers.map((s) => stream(s)),
              everyone,
              now,
            );
          } else book.forget(o.ssrc);
        }
        const fresh = book.entries({}, now);
        const perListener = new Map<number, number>();
        for (const e of fresh) perListener.set(e.listener, (perListener.get(e.listener) ?? 0) + 1);
        for (const n of perListener.values()) expect(n).toBeLessThanOrEqual(MAX_REPORT_STREAMS);
        // Every speaker's aggregate counts exactly its fresh entries.
        const speakers = new Set(fresh.map((e) => e.speaker));
        for (const s of speakers)
          expect(book.aggregate(s, now)?.listeners).toBe(fresh.filter((e) => e.speaker === s).length);
        for (const e of fresh) expect(e.listener).not.toBe(e.speaker);
      }),
    );
  });
});
