/**
 * Mouth-to-ear latency from the audio itself: a click train as the source,
 * each click's onset in the source against its onset in the recording, and
 * the codec's own delay. Pure.
 */
import { FRAME_SAMPLES, SAMPLE_RATE } from '@parley/protocol';
import { summarize, type FrameTimeline } from './frames.js';

export interface ClickTrainOptions {
  sampleRate?: number;
  seconds?: number;
  /** First click (ms). */
  firstMs?: number;
  intervalMs?: number;
  burstMs?: number;
  freq?: number;
  /** Peak, 0..1 of full scale. */
  amplitude?: number;
  /** Click k starts (k mod 4) · this later, so onsets fall at different places in their frame. */
  staggerMs?: number;
}

/**
 * Short tone bursts (default 10 ms of 1 kHz at −6 dBFS every 500 ms, from
 * 250 ms) in silence: each starts at zero phase (no step) and fades out
 * over 1 ms. Returns the samples and the exact onset of each click.
 */
export function clickTrain(opts: ClickTrainOptions = {}): { samples: Int16Array; onsets: number[] } {
  const rate = opts.sampleRate ?? SAMPLE_RATE;
  const total = Math.round((opts.seconds ?? 10) * rate);
  const interval = ((opts.intervalMs ?? 500) * rate) / 1000;
  const burst = Math.round(((opts.burstMs ?? 10) * rate) / 1000);
  const fade = Math.round(rate / 1000);
  const freq = opts.freq ?? 1000;
  const amp = 32767 * (opts.amplitude ?? 0.5);
  const stagger = ((opts.staggerMs ?? 5) * rate) / 1000;
  const samples = new Int16Array(total);
  const onsets: number[] = [];
  for (let k = 0; ; k++) {
    const start = Math.round(((opts.firstMs ?? 250) * rate) / 1000 + k * interval + (k % 4) * stagger);
    if (start + burst > total) break;
    onsets.push(start);
    for (let i = 0; i < burst; i++) {
      const env = i >= burst - fade ? 0.5 - 0.5 * Math.cos((Math.PI * (burst - i)) / fade) : 1;
      samples[start + i] = Math.round(amp * env * Math.sin((2 * Math.PI * freq * i) / rate));
    }
  }
  return { samples, onsets };
}

export interface OnsetOptions {
  sampleRate?: number;
  /** A click is something above this fraction of full scale (default 0.1, −20 dBFS). */
  threshold?: number;
  /** The onset is where the signal first reaches this fraction of the click's peak (default 0.5). */
  relative?: number;
  /** No second onset within this (default 150 ms). */
  refractoryMs?: number;
}

/**
 * Onsets of clicks: the first sample reaching half (`relative`) of the
 * click's own peak. Half the peak, not the first sample above a floor, so
 * that a codec's pre-echo or level change does not move the onset.
 */
export function findOnsets(samples: Int16Array, opts: OnsetOptions = {}): number[] {
  const rate = opts.sampleRate ?? SAMPLE_RATE;
  const floor = (opts.threshold ?? 0.1) * 32768;
  const relative = opts.relative ?? 0.5;
  const refractory = Math.round(((opts.refractoryMs ?? 150) * rate) / 1000);
  const before = Math.round((5 * rate) / 1000);
  const after = Math.round((20 * rate) / 1000);
  const onsets: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]!) < floor) continue;
    const from = Math.max(0, i - before);
    const to = Math.min(samples.length, i + after);
    let peak = 0;
    for (let j = from; j < to; j++) peak = Math.max(peak, Math.abs(samples[j]!));
    let onset = i;
    for (let j = from; j < to; j++) {
      if (Math.abs(samples[j]!) >= relative * peak) {
        onset = j;
        break;
      }
    }
    onsets.push(onset);
    i = onset + refractory;
  }
  return onsets;
}

/** Anything that decodes one packet into one frame of PCM. */
export interface FrameDecoder {
  decode(packet: Uint8Array): Int16Array;
}

/**
 * The codec's own delay as the onset detector sees it: the click train
 * encoded and decoded frame by frame, no network, onsets compared (ms).
 * For Opus at 48 kHz this is its 6.5 ms look-ahead (312 samples).
 */
export function codecDelayMs(
  encoder: { encode(pcm: Int16Array): Uint8Array },
  decoder: FrameDecoder,
  train: { samples: Int16Array; onsets: number[] },
  opts: { frameSamples?: number; sampleRate?: number } = {},
): number {
  const n = opts.frameSamples ?? FRAME_SAMPLES;
  const rate = opts.sampleRate ?? SAMPLE_RATE;
  const out = new Int16Array(train.samples.length);
  for (let p = 0; p + n <= train.samples.length; p += n)
    out.set(decoder.decode(encoder.encode(train.samples.subarray(p, p + n))).subarray(0, n), p);
  const found = findOnsets(out, { sampleRate: rate });
  const shifts: number[] = [];
  for (const s of train.onsets) {
    const r = found.find((x) => x >= s && x - s < rate / 20);
    if (r !== undefined) shifts.push(((r - s) * 1000) / rate);
  }
  return summarize(shifts).p50;
}

export interface ClickLatency {
  /** Onset in the source and in the recording (samples). */
  sourcePos: number;
  recordedPos: number;
  /**
   * Mouth-to-ear from the audio (ms): the recorded onset's time (its output
   * frame's `played` + offset) minus the source onset's time. A microphone
   * delivers a frame when its last sample is in, so a source sample's time
   * is its frame's `capture` minus the rest of that frame.
   */
  audioMs: number;
  /** The frame that carried the click: capture → played of its (ssrc, seq). */
  ssrc: number;
  seq16: number;
  chainMs: number | undefined;
}

/**
 * Pairs each source click with the first recorded click heard after it
 * (within `maxMs`) and measures mouth-to-ear from the audio. The capture
 * and played events give the time of each sample: capture events hold
 * `pos` in the source, played events in the recording.
 */
export function clickLatencies(args: {
  sourceOnsets: readonly number[];
  recordedOnsets: readonly number[];
  frames: readonly FrameTimeline[];
  frameSamples?: number;
  sampleRate?: number;
  maxMs?: number;
}): ClickLatency[] {
  const n = args.frameSamples ?? FRAME_SAMPLES;
  const msPerSample = 1000 / (args.sampleRate ?? SAMPLE_RATE);
  const maxMs = args.maxMs ?? 400;
  const captured = new Map<number, FrameTimeline>();
  // A frame may start anywhere in the output (docs/playout.md): (pos, t) of each first sample, by position.
  const played: [number, number][] = [];
  for (const f of args.frames) {
    if (f.capturePos !== undefined && f.t.capture !== undefined) captured.set(f.capturePos, f);
    if (f.playedPos !== undefined && f.t.played !== undefined) played.push([f.playedPos, f.t.played]);
  }
  played.sort((a, b) => a[0] - b[0]);
  const out: ClickLatency[] = [];
  for (const s of args.sourceOnsets) {
    const framePos = Math.floor(s / n) * n;
    const frame = captured.get(framePos);
    if (frame === undefined) continue;
    const mouth = frame.t.capture! - (n - (s - framePos)) * msPerSample;
    for (const r of args.recordedOnsets) {
      const at = nearestPlayed(played, r, n);
      if (at === undefined) continue;
      const ear = at[1] + (r - at[0]) * msPerSample;
      const audioMs = ear - mouth;
      if (audioMs <= 0 || audioMs > maxMs) continue;
      const chain =
        frame.t.played !== undefined && frame.t.capture !== undefined
          ? frame.t.played - frame.t.capture
          : undefined;
      out.push({
        sourcePos: s,
        recordedPos: r,
        audioMs,
        ssrc: frame.ssrc,
        seq16: frame.seq16,
        chainMs: chain,
      });
      break;
    }
  }
  return out;
}

/**
 * The played event that times a recorded sample: the last frame start at
 * or before it, within a frame (else the first after it, within a frame).
 */
function nearestPlayed(
  played: readonly [number, number][],
  pos: number,
  frameSamples: number,
): [number, number] | undefined {
  let lo = 0;
  let hi = played.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (played[mid]![0] <= pos) lo = mid + 1;
    else hi = mid;
  }
  const before = played[lo - 1];
  if (before !== undefined && pos - before[0] < frameSamples) return before;
  const after = played[lo];
  if (after !== undefined && after[0] - pos < frameSamples) return after;
  return undefined;
}

// ── the table ──
