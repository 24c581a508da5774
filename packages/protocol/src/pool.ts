/**
 * Small, short-lived packet buffers carved from shared slabs, the way Node's
 * `Buffer.allocUnsafe` pools small buffers. `new Uint8Array(n)` creates a
 * fresh ArrayBuffer every time, ~1.3 µs on the reference machine against
 * ~0.1 µs for a slice of a slab (docs/benchmarks.md) — and the relay makes
 * one sealed copy per listener per packet.
 *
 * Each slab is handed out once, front to back, and never reused: a slice is
 * zeroed memory nobody else holds, and it stays valid for as long as the
 * caller keeps it (the slab lives until its last slice is collected).
 * Callers must respect `byteOffset` (the slice does not start the slab),
 * and must never transfer or detach `.buffer` (a postMessage transfer list):
 * the slab is shared with other packets.
 */
const SLAB_BYTES = 16 * 1024;
/** Larger requests get a buffer of their own rather than wasting a slab. */
const MAX_POOLED_BYTES = 2048;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A zero-filled `Uint8Array` of `length` bytes, usually a slice of a shared slab. */
export function allocPacket(length: number): Uint8Array {
  if (length > MAX_POOLED_BYTES) return new Uint8Array(length);
  if (used + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab, used, length);
  used += (length + 7) & ~7; // keep slices 8-byte aligned
  return out;
}
