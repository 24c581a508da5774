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

  it('also forgets the oldest beyond its character budget, but always keeps the newest', () => {
    const log = new ResumeLog(100, 10);
    for (const text of ['aaaa', 'bbbb', 'cc']) log.append(() => text);
    expect(log.size).toBe(10);
    expect(log.since(0)).toEqual(['aaaa', 'bbbb', 'cc']);
    log.append(() => 'd'); // 11 characters: 'aaaa' goes
    expect(log.firstKept).toBe(2);
    expect(log.size).toBe(7);
    expect(log.since(0)).toBeNull();
    expect(log.since(1)).toEqual(['bbbb', 'cc', 'd']);
    log.append(() => 'x'.repeat(50)); // larger than the budget on its own: only it stays
    expect(log.firstKept).toBe(5);
    expect(log.size).toBe(50);
    expect(log.since(4)).toEqual(['x'.repeat(50)]);
    expect(log.since(3)).toBeNull();
  });

  it('keeps the contiguous tail within both bounds for any history (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 80 }),
        (cap, maxChars, lengths) => {
          const log = new ResumeLog(cap, maxChars);
          const texts = lengths.map((n, i) => String.fromCharCode(97 + (i % 26)).repeat(n));
          for (const t of texts) log.append(() => t);
          // The expected tail: the newest, then older ones while both bounds hold.
          let first = texts.length;
          let chars = 0;
          while (first > 0) {
            const next = chars + texts[first - 1]!.length;
            if (texts.length - first + 1 > cap || (next > maxChars && first < texts.length)) break;
            chars = next;
            first--;
          }
          expect(log.firstKept).toBe(first + 1);
          expect(log.size).toBe(chars);
          expect(log.since(first)).toEqual(texts.slice(first));
          if (first > 0) expect(log.since(first - 1)).toBeNull();
        },
      ),
    );
  });
});
