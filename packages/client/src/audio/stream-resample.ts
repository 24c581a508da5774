/**
 * Sample-rate conversion of a stream, block by block: the windowed-sinc
 * filter of `resampleTo48k` (its quantized tables, interpolated), fed by a
 * source of int16 chunks that is asked for more whenever the next output
 * sample needs it. For an output whose rate is not the source's, such as
 * the playout worklet in a 44.1 kHz AudioContext (the mix is 48 kHz). It
 * delays the stream by the filter's half width (≈ 0.5 ms) and keeps only
 * the samples the next outputs still need.
 */
import { quantizedKernel, type Kernel } from './resample.js';

export class StreamResampler {
  private readonly k: Kernel;
  /** Input samples per output sample. */
  private readonly step: number;
  private buf: Float32Array;
  /** Samples in `buf`, and the input position of the next output sample within it. */
  private len: number;
  private pos: number;

  /** `source(ahead)`: the next chunk of the input; `ahead` input samples are buffered beyond the next output's. */
  constructor(
    inRate: number,
    outRate: number,
    private readonly source: (ahead: number) => Int16Array,
  ) {
    if (!(inRate > 0 && outRate > 0)) throw new RangeError(`bad rates ${inRate} → ${outRate}`);
    this.k = quantizedKernel(inRate, outRate);
    this.step = inRate / outRate;
    // `half` samples of silence before the stream: the first output is centered on its first sample.
    this.len = this.k.half;
    this.pos = this.k.half;
    this.buf = new Float32Array(4 * this.k.taps + 1024);
  }

  /** Input samples buffered from the next output sample's position on. */
  get buffered(): number {
    return this.len - this.pos;
  }

  /** Fills `out` (float samples, full scale ±1). */
  render(out: Float32Array): void {
    const { half, taps, phases, weights, sums } = this.k;
    for (let j = 0; j < out.length; j++) {
      const base = Math.floor(this.pos);
      while (base + half + 1 >= this.len) this.append(this.source(this.len - this.pos));
      const q = (this.pos - base) * phases;
      const row = Math.min(phases - 1, Math.floor(q));
      const t = q - row;
      const i0 = base - half;
      const wa = row * taps;
      const wb = wa + taps;
      let a = 0;
      let b = 0;
      for (let i = 0; i < taps; i++) {
        const x = this.buf[i0 + i]!;
        a += x * weights[wa + i]!;
        b += x * weights[wb + i]!;
      }
      out[j] = ((1 - t) * a + t * b) / ((1 - t) * sums[row]! + t * sums[row + 1]!);
      this.pos += this.step;
    }
    // What no later output reaches any more.
    const drop = Math.floor(this.pos) - half;
    if (drop > 0) {
      this.buf.copyWithin(0, drop, this.len);
      this.len -= drop;
      this.pos -= drop;
    }
  }

  private append(chunk: Int16Array): void {
    if (chunk.length === 0) throw new RangeError('StreamResampler: the source gave an empty chunk');
    if (this.len + chunk.length > this.buf.length) {
      const bigger = new Float32Array(2 * (this.len + chunk.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    for (let i = 0; i < chunk.length; i++) this.buf[this.len + i] = chunk[i]! / 32768;
    this.len += chunk.length;
  }
}
