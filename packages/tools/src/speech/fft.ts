/**
 * A radix-2 FFT of one size, planned once: the bit-reversal permutation and
 * the twiddle factors are tables, so transforming many frames of the same
 * length (a spectrogram) costs no trigonometry. Pure.
 */
export class Fft {
  readonly size: number;
  private readonly reversed: Uint32Array;
  /** cos(2πk/n) and −sin(2πk/n) for k < n/2. */
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  /** `size`: a power of two from 2 to 2^20. */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || size > 1 << 20 || (size & (size - 1)) !== 0)
      throw new RangeError(`FFT size must be a power of two in [2, 2^20], got ${size}`);
    this.size = size;
    const bits = Math.log2(size);
    this.reversed = new Uint32Array(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.reversed[i] = r;
    }
    this.cos = new Float64Array(size / 2);
    this.sin = new Float64Array(size / 2);
    for (let k = 0; k < size / 2; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = -Math.sin((2 * Math.PI * k) / size);
    }
  }

  /** The forward transform, in place: `re` and `im` of length `size`. */
  transform(re: Float64Array, im: Float64Array): void {
    const n = this.size;
    if (re.length !== n || im.length !== n)
      throw new RangeError(`FFT of size ${n} given ${re.length}/${im.length}`);
    for (let i = 0; i < n; i++) {
      const j = this.reversed[i]!;
      if (j <= i) continue;
      const r = re[i]!;
      re[i] = re[j]!;
      re[j] = r;
      const m = im[i]!;
      im[i] = im[j]!;
      im[j] = m;
    }
    const cos = this.cos;
    const sin = this.sin;
    for (let half = 1; half < n; half *= 2) {
      const stride = n / (2 * half);
      for (let k = 0, t = 0; k < half; k++, t += stride) {
        // w = e^(−2πi·t/n), the same for this k in every group
        const wr = cos[t]!;
        const wi = sin[t]!;
        for (let lo = k; lo < n; lo += 2 * half) {
          const hi = lo + half;
          const xr = re[hi]!;
          const xi = im[hi]!;
          const pr = xr * wr - xi * wi;
          const pi = xr * wi + xi * wr;
          re[hi] = re[lo]! - pr;
          im[hi] = im[lo]! - pi;
          re[lo] = re[lo]! + pr;
          im[lo] = im[lo]! + pi;
        }
      }
    }
  }
}
