/**
 * The playback ring of the browser engine: mono float samples written by
 * the main thread (one mixed frame per 20 ms) and read by the output
 * AudioWorklet in render quanta (128 samples). Bounded: a write that does
 * not fit drops the oldest samples (`overruns`, in samples); a read with
 * too little buffered plays silence for the rest (`underruns`, in quanta
 * short, `underrunSamples`).
 *
 * Self-contained on purpose — no import, no closure over module state —
 * because the worklet source is built from this class's own text
 * (`PlaybackRing.toString()`, worklet-source.ts): the same code runs in
 * the worklet and in the unit tests.
 */
export class PlaybackRing {
  readonly capacity: number;
  private readonly buf: Float32Array;
  /** Absolute read / write positions (samples); fill = write − read. */
  private readPos = 0;
  private writePos = 0;
  underruns = 0;
  underrunSamples = 0;
  overruns = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`bad ring capacity ${capacity}`);
    this.capacity = capacity;
    this.buf = new Float32Array(capacity);
  }

  /** Samples buffered. */
  get fill(): number {
    return this.writePos - this.readPos;
  }

  /** Appends `x`; when it does not fit, the oldest samples go (counted in `overruns`). */
  write(x: Float32Array): void {
    const cap = this.capacity;
    const end = this.writePos + x.length;
    // Only the last `cap` samples can be kept; each lands at its absolute position mod cap.
    const src = x.length > cap ? x.subarray(x.length - cap) : x;
    const w = (end - src.length) % cap;
    const first = Math.min(src.length, cap - w);
    this.buf.set(src.subarray(0, first), w);
    if (first < src.length) this.buf.set(src.subarray(first), 0);
    this.writePos = end;
    const oldest = end - cap;
    if (this.readPos < oldest) {
      this.overruns += oldest - this.readPos;
      this.readPos = oldest;
    }
  }

  /** Fills `out` from the ring; what is missing is silence (counted in `underruns`). Returns samples read. */
  read(out: Float32Array): number {
    const n = Math.min(out.length, this.fill);
    const cap = this.capacity;
    const r = this.readPos % cap;
    const first = Math.min(n, cap - r);
    out.set(this.buf.subarray(r, r + first), 0);
    if (first < n) out.set(this.buf.subarray(0, n - first), first);
    if (n < out.length) {
      out.fill(0, n);
      this.underruns++;
      this.underrunSamples += out.length - n;
    }
    this.readPos += n;
    return n;
  }

  /** Drops everything buffered (deafen, device switch). */
  clear(): void {
    this.readPos = this.writePos;
  }
}
