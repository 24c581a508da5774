/**
 * Percentiles, one definition for the whole project (load generator,
 * trace analysis, benchmarks, tests, the latency histograms): the
 * nearest-rank method — the q-quantile of n values is the value of rank
 * ⌈q·n⌉ (1-based, clamped to 1..n) in ascending order. No interpolation:
 * every figure reported is a value that was observed (or, for a
 * histogram, the bound of the bucket that holds it). Pure.
 */

/** The 1-based rank of quantile `q` (0..1) among `n` values: ⌈q·n⌉, clamped to 1..n (0 when n is 0). */
export function nearestRank(q: number, n: number): number {
  if (n <= 0) return 0;
  return Math.min(n, Math.max(1, Math.ceil(q * n)));
}

/** Quantile `q` (0..1) of values already sorted ascending, by nearest rank; NaN when there are none. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const rank = nearestRank(q, sorted.length);
  return rank === 0 ? NaN : (sorted[rank - 1] as number);
}

/** An ascending copy of `values` (the input is left as it is). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Quantile `q` (0..1) of unsorted values, by nearest rank; NaN when there are none. */
export function quantileOf(values: ArrayLike<number>, q: number): number {
  return quantile(sortedCopy(values), q);
}

/** The nearest-rank median (the lower middle value of an even count); NaN when there are none. */
export function median(values: ArrayLike<number>): number {
  return quantileOf(values, 0.5);
}

/** The percentiles every Parley report shows. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** p50, p95, p99 and max of unsorted `values` (left as they are); all 0 when there are none. */
export function percentiles(values: ArrayLike<number>): Percentiles {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const s = sortedCopy(values);
  return { p50: quantile(s, 0.5), p95: quantile(s, 0.95), p99: quantile(s, 0.99), max: quantile(s, 1) };
}

/**
 * Quantile `q` of a cumulative histogram (Prometheus-style `le` buckets,
 * counts non-decreasing, `total` observations): the bound of the first
 * bucket whose cumulative count reaches the nearest rank — never below the
 * true value. 0 when `total` is 0; the last bound when the buckets stop short.
 */
export function cumulativeQuantile(
  buckets: readonly { leUs: number; count: number }[],
  total: number,
  q: number,
): number {
  const rank = nearestRank(q, total);
  if (rank === 0) return 0;
  for (const b of buckets) if (b.count >= rank) return b.leUs;
  return buckets.at(-1)?.leUs ?? 0;
}
