import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { extendSeq16, extendTs32, seq16Add, seq16Diff, seq16IsNewer, ts32Diff } from './wrap.js';

describe('16-bit sequence arithmetic', () => {
  it('measures distance across the 65535 → 0 wrap', () => {
    expect(seq16Diff(0, 65535)).toBe(1);
    expect(seq16Diff(65535, 0)).toBe(-1);
    expect(seq16Diff(5, 65530)).toBe(11);
    expect(seq16Diff(32767, 0)).toBe(32767);
    expect(seq16Diff(32768, 0)).toBe(-32768);
    expect(seq16IsNewer(0, 65535)).toBe(true);
    expect(seq16IsNewer(65535, 0)).toBe(false);
    expect(seq16Add(65535, 1)).toBe(0);
    expect(seq16Add(65530, 10)).toBe(4);
  });

  it('extends every value around a wrap to the nearest candidate (exhaustive near 65535 → 0)', () => {
    for (let highest = 65536 * 3 - 300; highest < 65536 * 3 + 300; highest++) {
      for (let delta = -2000; delta <= 2000; delta += 7) {
        const actual = highest + delta;
        expect(extendSeq16(actual & 0xffff, highest)).toBe(actual);
      }
    }
  });

  it('starts at wrap count 0 without history and never goes negative', () => {
    expect(extendSeq16(65535, undefined)).toBe(65535);
    expect(extendSeq16(65535, 3)).toBe(65535); // nearest would be −1
    expect(extendSeq16(0, 65535)).toBe(65536);
  });

  it('sends a tie (half a wrap away) forward', () => {
    expect(extendSeq16(32768, 0)).toBe(32768);
    expect(extendSeq16(0, 32768)).toBe(65536);
  });

  it('matches a BigInt reference for any history and step within half a wrap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 40000, max: 2 ** 40 }),
        fc.integer({ min: -32767, max: 32768 }),
        (highest, delta) => {
          const actual = BigInt(highest) + BigInt(delta);
          const got = extendSeq16(Number(actual & 0xffffn), highest);
          expect(BigInt(got)).toBe(actual);
        },
      ),
    );
  });
});

describe('32-bit timestamp arithmetic', () => {
  it('measures distance across the wrap', () => {
    expect(ts32Diff(0, 0xffffffff)).toBe(1);
    expect(ts32Diff(0xffffffff, 0)).toBe(-1);
    expect(ts32Diff(960, 0xfffffc40)).toBe(1920);
  });

  it('extends timestamps like sequence numbers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2 ** 32, max: 2 ** 50 }),
        fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 }),
        (highest, delta) => {
          const actual = highest + delta;
          expect(extendTs32(actual % 2 ** 32, highest)).toBe(actual);
        },
      ),
    );
  });
});
