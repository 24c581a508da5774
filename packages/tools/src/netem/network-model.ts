/**
 * A seeded model of a bad network path, decided packet by packet: random
 * and bursty loss, base delay, jitter, reordering and duplication. Pure and
 * synchronous: the UDP impairment proxy (node/netem-proxy.ts) and tests
 * drive it; the same seed gives the same decisions.
 */
import { mulberry32 } from '@parley/client';

export interface NetworkModelOptions {
  /** Independent random loss, 0..1. */
  loss?: number;
  /**
   * Bursty loss (Gilbert–Elliott): mean loss rate 0..1 and mean burst length
   * in packets (≥ 1). Combined with `loss` (a packet survives both).
   */
  burstLoss?: number;
  burstLength?: number;
  /** Fixed one-way delay, ms. */
  delayMs?: number;
  /** Extra delay, uniform in 0..jitterMs. */
  jitterMs?: number;
  /** Fraction of packets held back by `reorderMs` more, so later ones overtake them. */
  reorder?: number;
  reorderMs?: number;
  /** Fraction of packets sent twice (the copy `duplicateGapMs` later). */
  duplicate?: number;
  duplicateGapMs?: number;
  seed?: number;
}

/** What happens to one packet: dropped, or sent once or more after these delays. */
export type Fate = { drop: true } | { drop: false; delaysMs: number[]; reordered: boolean };

const unit = (name: string, v: number): number => {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${v}`);
  return v;
};
const nonNeg = (name: string, v: number): number => {
  if (!(v >= 0 && Number.isFinite(v))) throw new RangeError(`${name} must be ≥ 0, got ${v}`);
  return v;
};

export class NetworkModel {
  private readonly rand: () => number;
  private readonly o: Required<Omit<NetworkModelOptions, 'seed'>>;
  /** Gilbert–Elliott transition probabilities and current state. */
  private readonly pGoodToBad: number;
  private readonly pBadToGood: number;
  private bad = false;

  constructor(opts: NetworkModelOptions = {}) {
    this.o = {
      loss: unit('loss', opts.loss ?? 0),
      burstLoss: unit('burstLoss', opts.burstLoss ?? 0),
      burstLength: opts.burstLength ?? 3,
      delayMs: nonNeg('delayMs', opts.delayMs ?? 0),
      jitterMs: nonNeg('jitterMs', opts.jitterMs ?? 0),
      reorder: unit('reorder', opts.reorder ?? 0),
      reorderMs: nonNeg('reorderMs', opts.reorderMs ?? 40),
      duplicate: unit('duplicate', opts.duplicate ?? 0),
      duplicateGapMs: nonNeg('duplicateGapMs', opts.duplicateGapMs ?? 1),
    };
    if (!(this.o.burstLength >= 1)) throw new RangeError('burstLength must be ≥ 1');
    if (this.o.burstLoss >= 1) throw new RangeError('burstLoss must be < 1');
    // Every packet in the bad state is lost. Mean burst = 1 / pBadToGood; the
    // stationary share of bad packets = pGB / (pGB + pBG) = burstLoss.
    this.pBadToGood = 1 / this.o.burstLength;
    this.pGoodToBad = (this.o.burstLoss * this.pBadToGood) / (1 - this.o.burstLoss);
    this.rand = mulberry32(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  get options(): Readonly<Required<Omit<NetworkModelOptions, 'seed'>>> {
    return this.o;
  }

  /** Decides the fate of the next packet. */
  next(): Fate {
    const o = this.o;
    if (o.burstLoss > 0) {
      this.bad = this.bad ? this.rand() >= this.pBadToGood : this.rand() < this.pGoodToBad;
      if (this.bad) return { drop: true };
    }
    if (o.loss > 0 && this.rand() < o.loss) return { drop: true };
    let d = o.delayMs + (o.jitterMs > 0 ? this.rand() * o.jitterMs : 0);
    const reordered = o.reorder > 0 && this.rand() < o.reorder;
    if (reordered) d += o.reorderMs;
    const delaysMs = [d];
    if (o.duplicate > 0 && this.rand() < o.duplicate) delaysMs.push(d + o.duplicateGapMs);
    return { drop: false, delaysMs, reordered };
  }
}
