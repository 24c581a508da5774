import { describe, expect, it } from 'vitest';
import { allocPacket } from './pool.js';

describe('allocPacket', () => {
  it('hands out zeroed, non-overlapping slices of the requested length', () => {
    const slices = Array.from({ length: 500 }, (_, i) => allocPacket(1 + (i % 97)));
    slices.forEach((s, i) => {
      expect(s.length).toBe(1 + (i % 97));
      expect(s.every((b) => b === 0)).toBe(true);
      expect(s.byteOffset % 8).toBe(0);
    });
    // Writing every slice with its own mark leaves every other slice intact.
    slices.forEach((s, i) => s.fill(i & 0xff));
    slices.forEach((s, i) => expect(s.every((b) => b === (i & 0xff))).toBe(true));
    // 500 slices of up to 97 bytes span more than one slab.
    expect(new Set(slices.map((s) => s.buffer)).size).toBeGreaterThan(1);
  });

  it('gives a large request a buffer of its own', () => {
    const big = allocPacket(5000);
    expect(big.length).toBe(5000);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(5000);
  });
});
