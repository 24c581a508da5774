/**
 * Stream quality from a receiver report (docs/protocol.md §2.6): the ITU-T
 * G.107 E-model's R factor, simplified, and the MOS it predicts. The one
 * place a score is computed: the server's aggregates, the API and the
 * clients' connection panels all call `streamScore`.
 */

/** What scoring needs of one reported stream (a `report` stream entry). */
export interface ScoredFigures {
  /** Frames expected in the interval, by sequence numbers. */
  expected: number;
  /** Frames that never arrived. */
  lost: number;
  /** Frames that arrived after their playout. */
  late: number;
  /** The jitter buffer's delay, ms. */
  delayMs: number;
  /** The audio output's latency, ms, when known. */
  deviceMs?: number | undefined;
  /** The listener's round-trip time to the server, ms, when known. */
  rttMs?: number | undefined;
}

export interface StreamScore {
  /** Frames the listener could not play from the packet itself, percent of expected. */
  lossPct: number;
  /** Estimated one-way mouth-to-ear delay, ms. */
  delayMs: number;
  /** E-model transmission rating, 0–100. */
  r: number;
  /** Mean opinion score predicted from R, 1–4.5. */
  mos: number;
}

/** A 20 ms frame, and Opus's 6.5 ms look-ahead: delay every stream has. */
export const CODEC_DELAY_MS = 26.5;
/** Opus's equipment impairment at voice bitrates (G.113 gives wideband codecs ≈ 0 on the narrowband scale). */
const IE = 0;
/** Packet-loss robustness of a codec with good concealment. */
const BPL = 20;
/** R with no impairment (G.107 default R0 − Is). */
const R_MAX = 93.2;

/** R from one-way delay (ms) and loss (percent). */
export function rFactor(oneWayMs: number, lossPct: number): number {
  const ta = Math.max(0, oneWayMs);
  const id = 0.024 * ta + (ta > 177.3 ? 0.11 * (ta - 177.3) : 0);
  const ppl = Math.min(100, Math.max(0, lossPct));
  const ieEff = IE + ((95 - IE) * ppl) / (ppl + BPL);
  return Math.min(100, Math.max(0, R_MAX - id - ieEff));
}

/** MOS from R (G.107 Annex B). */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return Math.min(4.5, Math.max(1, 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)));
}

/** Scores one reported stream. FEC and redundancy get no credit: a sender keeps them on. */
export function streamScore(f: ScoredFigures): StreamScore {
  const expected = Math.max(0, f.expected);
  const missing = Math.min(expected, Math.max(0, f.lost) + Math.max(0, f.late));
  const lossPct = expected === 0 ? 0 : (100 * missing) / expected;
  const delayMs = (f.rttMs ?? 0) / 2 + Math.max(0, f.delayMs) + (f.deviceMs ?? 0) + CODEC_DELAY_MS;
  const r = rFactor(delayMs, lossPct);
  return { lossPct, delayMs, r, mos: mosFromR(r) };
}
