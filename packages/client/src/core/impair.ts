/**
 * Network impairment for a sender (tests, demos, `parley send --loss
 * --jitter`): drops packets at random and delays the rest by a random
 * 0..jitterMs. Seeded, so a test run is reproducible.
 */

export interface ImpairmentOptions {
  /** Fraction of packets dropped, 0..1. */
  loss?: number;
  /** Each kept packet is delayed by a uniform 0..jitterMs. */
  jitterMs?: number;
  seed?: number;
}

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Impairment {
  private readonly rand: () => number;
  private readonly loss: number;
  private readonly jitterMs: number;

  constructor(opts: ImpairmentOptions = {}) {
    this.loss = opts.loss ?? 0;
    this.jitterMs = opts.jitterMs ?? 0;
    if (!(this.loss >= 0 && this.loss <= 1)) throw new RangeError('loss must be in [0, 1]');
    if (!(this.jitterMs >= 0)) throw new RangeError('jitterMs must be ≥ 0');
    this.rand = mulberry32(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  decide(): { drop: boolean; delayMs: number } {
    const drop = this.rand() < this.loss;
    return { drop, delayMs: drop || this.jitterMs === 0 ? 0 : this.rand() * this.jitterMs };
  }
}
