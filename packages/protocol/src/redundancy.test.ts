import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_REDUNDANT_BLOCK, packRedundant, parseRedundant } from './redundancy.js';

const bytes = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

describe('redundancy blocks (docs/protocol.md, "Redundancy")', () => {
  it('reads what it writes: blocks oldest first, then the primary', () => {
    const payload = packRedundant(
      [
        { back: 2, frame: bytes(3, 0xa2) },
        { back: 1, frame: bytes(4, 0xa1) },
      ],
      bytes(5, 0xb0),
    );
    expect([...payload.subarray(0, 7)]).toEqual([2, 2, 0, 3, 1, 0, 4]);
    const r = parseRedundant(payload);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.blocks.map((b) => [b.back, [...b.frame]])).toEqual([
      [2, [0xa2, 0xa2, 0xa2]],
      [1, [0xa1, 0xa1, 0xa1, 0xa1]],
    ]);
    expect([...r.value.primary]).toEqual([0xb0, 0xb0, 0xb0, 0xb0, 0xb0]);
  });

  it('refuses every malformed layout with bad_redundancy', () => {
    const bad = [
      [],
      [0, 1],
      [3, 1, 0, 1, 0],
      [1, 0, 0, 1, 9, 9], // back 0
      [1, 4, 0, 1, 9, 9], // back 4
      [2, 1, 0, 1, 2, 0, 1, 9, 9, 9], // back not decreasing
      [1, 1, 0, 0, 9], // empty block
      [1, 1, 0, 2, 9, 9], // no primary left
      [1, 1, 0, 9, 9], // block past the end
      [1, 1], // header cut short
    ];
    for (const b of bad)
      expect(parseRedundant(Uint8Array.from(b))).toEqual({ ok: false, reason: 'bad_redundancy' });
    const long = new Uint8Array(1 + 3 + MAX_REDUNDANT_BLOCK + 2);
    long.set([1, 1, (MAX_REDUNDANT_BLOCK + 1) >> 8, (MAX_REDUNDANT_BLOCK + 1) & 0xff]);
    expect(parseRedundant(long).ok).toBe(false);
  });

  it('never throws on arbitrary bytes, and what it accepts stays inside the payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2100 }), (payload) => {
        const r = parseRedundant(payload);
        if (!r.ok) return;
        const total = r.value.blocks.reduce((a, b) => a + b.frame.length, 0) + r.value.primary.length;
        expect(total + 1 + 3 * r.value.blocks.length).toBe(payload.length);
        expect(r.value.primary.length).toBeGreaterThan(0);
        for (const b of r.value.blocks) expect(b.frame.buffer).toBe(payload.buffer);
      }),
    );
  });

  it('round-trips any valid set of blocks', () => {
    const frame = fc.uint8Array({ minLength: 1, maxLength: 300 });
    fc.assert(
      fc.property(fc.boolean(), frame, frame, frame, (two, a, b, primary) => {
        const blocks = two
          ? [
              { back: 2, frame: a },
              { back: 1, frame: b },
            ]
          : [{ back: 1, frame: a }];
        const r = parseRedundant(packRedundant(blocks, primary));
        if (!r.ok) throw new Error(r.reason);
        expect(r.value.blocks.map((x) => [x.back, [...x.frame]])).toEqual(
          blocks.map((x) => [x.back, [...x.frame]]),
        );
        expect([...r.value.primary]).toEqual([...primary]);
      }),
    );
  });
});
