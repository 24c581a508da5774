import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ResumeLog } from './resume-log.js';

const fill = (log: ResumeLog, n: number): void => {
  for (let i = 0; i < n; i++) log.append((seq) => `m${seq}`);
};

describe('ResumeLog', () => {
  it('numbers messages 1, 2, 3 … and returns those after lastSeq in order', () => {
    const log = new ResumeLog(4);
    expect(log.since(0)).toEqual([]);
    expect(log.append((seq) => `m${seq}`)).toBe('m1');
    fill(log, 2);
    expect(log.lastSeq).toBe(3);
    expect(log.since(0)).toEqual(['m1', 'm2', 'm3']);
    expect(log.since(2)).toEqual(['m3']);
    expect(log.since(3)).toEqual([]);
  });

  it('forgets the oldest beyond its capacity and refuses a resume that needs them', () => {
    const log = new ResumeLog(4);
    fill(log, 10);
    expect(log.firstKept).toBe(7);
    expect(log.since(6)).toEqual(['m7', 'm8', 'm9', 'm10']);
    expect(log.since(5)).toBeNull();
    expect(log.since(0)).toBeNull();
  });

  it('refuses a lastSeq ahead of what was sent, negative or fractional', () => {
    const log = new ResumeLog(4);
    fill(log, 2);
    expect(log.since(3)).toBeNull();
    expect(log.since(-1)).toBeNull();
    expect(log.since(1.5)).toBeNull();
  });

  it('returns exactly the contiguous tail for any history (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(120), fc.nat(130), (cap, n, asked) => {
        const log = new ResumeLog(cap);
        fill(log, n);
        const got = log.since(asked);
        if (asked > n || asked < n - cap) {
          expect(got).toBeNull();
        } else {
          expect(got).toEqual(Array.from({ length: n - asked }, (_, i) => `m${asked + i + 1}`));
        }
      }),
    );
  });
});
