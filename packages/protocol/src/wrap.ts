/**
 * The one wraparound module: comparison, distance and extension of 16-bit
 * sequence numbers and 32-bit timestamps. Extended values are JS numbers
 * (safe integers), never negative.
 */

const S16 = 0x10000;
const S32 = 0x100000000;

/** Signed distance a − b of two u16 sequence numbers, in [−32768, 32767]. */
export function seq16Diff(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= 0x8000 ? d - S16 : d;
}

/** True when `a` comes after `b` (modulo 2¹⁶). */
export function seq16IsNewer(a: number, b: number): boolean {
  return seq16Diff(a, b) > 0;
}

/** (a + n) modulo 2¹⁶. */
export function seq16Add(a: number, n: number): number {
  return (a + n) & 0xffff;
}

/** Signed distance a − b of two u32 timestamps, in [−2³¹, 2³¹). */
export function ts32Diff(a: number, b: number): number {
  const d = (a - b) >>> 0;
  return d >= 0x80000000 ? d - S32 : d;
}

/**
 * Extends a u16 sequence number to the value nearest to `highest` whose low
 * 16 bits are `seq16` (a tie, exactly half a wrap away, goes forward; a
 * result below 0 goes forward too). With no history, wrap count 0.
 */
export function extendSeq16(seq16: number, highest: number | undefined): number {
  const v = seq16 & 0xffff;
  if (highest === undefined) return v;
  let d = (v - (highest % S16) + S16) % S16;
  if (d > 0x8000) d -= S16;
  const ext = highest + d;
  return ext < 0 ? ext + S16 : ext;
}

/** Extends a u32 timestamp the same way (nearest to `highest`). */
export function extendTs32(ts: number, highest: number | undefined): number {
  const v = ts >>> 0;
  if (highest === undefined) return v;
  let d = (v - (highest % S32) + S32) % S32;
  if (d > 0x80000000) d -= S32;
  const ext = highest + d;
  return ext < 0 ? ext + S32 : ext;
}
