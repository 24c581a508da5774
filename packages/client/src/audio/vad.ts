/**
 * Voice activity and speaking detection from the energy of 20 ms frames.
 * Pure: frame levels in (dBFS), decisions out; the caller owns the clock
 * (one `update` per frame).
 *
 * - `VoiceActivityDetector` gates *sending*: it opens after `attackMs` of
 *   frames above the threshold and stays open for `hangoverMs` of frames
 *   below it, so word endings and short pauses are not cut.
 * - `SpeakingDetector` drives the *indicators* ("who speaks"): the same
 *   idea with a short hangover (default 80 ms), so the indicator clears
 *   within about 150 ms after the audio stops.
 */
import { FRAME_SAMPLES, SAMPLES_PER_MS } from '@parley/protocol';

/** Default voice-activation threshold (dBFS of a frame's RMS). */
export const DEFAULT_VAD_THRESHOLD_DB = -45;
/** Below this a frame counts as silence for the speaking indicators (dBFS RMS). */
export const DEFAULT_SPEAKING_THRESHOLD_DB = -50;

export interface LevelGateOptions {
  /** Threshold in dBFS (frame RMS). */
  thresholdDb?: number;
  /** Time above the threshold before the gate opens (ms, rounded up to frames; default one frame). */
  attackMs?: number;
  /** Time below the threshold before the gate closes (ms, rounded up to frames). */
  hangoverMs?: number;
  /** Frame length in ms (default 20). */
  frameMs?: number;
}

/** An energy gate with attack and hangover, counted in frames. */
class LevelGate {
  private threshold: number;
  private readonly attackFrames: number;
  private readonly hangoverFrames: number;
  private above = 0;
  private below = 0;
  private open = false;

  constructor(opts: LevelGateOptions, defaults: { thresholdDb: number; hangoverMs: number }) {
    const frameMs = opts.frameMs ?? FRAME_SAMPLES / SAMPLES_PER_MS;
    this.threshold = opts.thresholdDb ?? defaults.thresholdDb;
    this.attackFrames = Math.max(1, Math.ceil((opts.attackMs ?? frameMs) / frameMs));
    this.hangoverFrames = Math.max(0, Math.ceil((opts.hangoverMs ?? defaults.hangoverMs) / frameMs));
  }

  get thresholdDb(): number {
    return this.threshold;
  }

  set thresholdDb(db: number) {
    this.threshold = db;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** One frame's level; returns whether the gate is open after it. */
  update(dbfs: number): boolean {
    if (dbfs >= this.threshold) {
      this.above++;
      this.below = 0;
      if (!this.open && this.above >= this.attackFrames) this.open = true;
    } else {
      this.above = 0;
      if (this.open && ++this.below > this.hangoverFrames) {
        this.open = false;
        this.below = 0;
      }
    }
    return this.open;
  }

  reset(): void {
    this.above = 0;
    this.below = 0;
    this.open = false;
  }
}

/** Voice activation for sending: threshold DEFAULT_VAD_THRESHOLD_DB, hangover 300 ms. */
export class VoiceActivityDetector extends LevelGate {
  constructor(opts: LevelGateOptions = {}) {
    super(opts, { thresholdDb: DEFAULT_VAD_THRESHOLD_DB, hangoverMs: 300 });
  }
}

/** "Is this person speaking" for indicators: threshold −50 dBFS, hangover 80 ms. */
export class SpeakingDetector extends LevelGate {
  constructor(opts: LevelGateOptions = {}) {
    super(opts, { thresholdDb: DEFAULT_SPEAKING_THRESHOLD_DB, hangoverMs: 80 });
  }
}
