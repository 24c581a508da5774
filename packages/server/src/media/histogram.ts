/**
 * A fixed-size latency histogram with logarithmic buckets (four per
 * doubling, 1 µs … ~134 s): recording is one Math.log2 and an increment, no
 * allocation, so the media hot path can afford it per packet. The shape
 * (cumulative `le` buckets, count, sum) is Prometheus's.
 */
const PER_DOUBLING = 4;
const BUCKETS = 27 * PER_DOUBLING + 1; // up to 2^27 µs

export interface HistogramSnapshot {
  count: number;
  sumUs: number;
  /** Cumulative counts: observations ≤ leUs. Only buckets up to the largest observation. */
  buckets: { leUs: number; count: number }[];
  p50Us: number;
  p95Us: number;
  p99Us: number;
  maxUs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sumUs = 0;
  maxUs = 0;

  /** Upper bound of bucket `i`, µs. */
  static bound(i: number): number {
    return 2 ** (i / PER_DOUBLING);
  }

  record(us: number): void {
    const v = us > 1 ? us : 1;
    let i = Math.ceil(Math.log2(v) * PER_DOUBLING);
    if (i >= BUCKETS) i = BUCKETS - 1;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** The upper bound of the bucket holding quantile `q` (0..1): never below the true value. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(LatencyHistogram.bound(i), this.maxUs);
    }
    return this.maxUs;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumUs = 0;
    this.maxUs = 0;
  }

  snapshot(): HistogramSnapshot {
    const buckets: { leUs: number; count: number }[] = [];
    let cum = 0;
    for (let i = 0; i < BUCKETS && cum < this.count; i++) {
      cum += this.counts[i] ?? 0;
      buckets.push({ leUs: Number(LatencyHistogram.bound(i).toPrecision(4)), count: cum });
    }
    return {
      count: this.count,
      sumUs: Math.round(this.sumUs),
      buckets,
      p50Us: this.quantile(0.5),
      p95Us: this.quantile(0.95),
      p99Us: this.quantile(0.99),
      maxUs: this.maxUs,
    };
  }
}
