/**
 * Mouth-to-ear latency: a per-frame trace and its analysis. Pure and
 * isomorphic (Node and browsers); nothing here does I/O.
 *
 * A traced participant records one event per stage of each 20 ms frame:
 *
 *   sender:   capture → encoded → sent
 *   receiver: arrived → popped → decoded → played
 *
 * each as `{ ev, ssrc, seq, t, pos? }`, `t` in wall-clock milliseconds with
 * sub-millisecond precision (`performance.timeOrigin + performance.now()`),
 * comparable between processes on one machine. Frames are matched across
 * the two traces by (ssrc, seq), and the differences are the stages. The
 * format (JSON lines) is defined in docs/benchmarks.md "Mouth-to-ear
 * latency" so that the browser app can emit the same events.
 *
 * The click-train helpers measure the same delay from the audio itself: a
 * click's onset in the source against its onset in the recording.
 */
import { FRAME_SAMPLES, quantile, SAMPLE_RATE } from '@parley/protocol';

/** Nearest-rank quantile of sorted values (q in 0..1), NaN when empty: the protocol package's one definition. */
export { quantile };

export const TRACE_EVENTS = ['capture', 'encoded', 'sent', 'arrived', 'popped', 'decoded', 'played'] as const;
export type TraceEventName = (typeof TRACE_EVENTS)[number];

/** Version of the trace format (the `v` of the `meta` line). */
export const TRACE_FORMAT_VERSION = 1;

export interface TraceEvent {
  ev: TraceEventName;
  /** The speaker's ssrc (session id). */
  ssrc: number;
  /** Extended sequence number of the frame's packet, as this side extended it. */
  seq: number;
  /** Wall-clock milliseconds, sub-ms precision, comparable between processes on one machine. */
  t: number;
  /** `capture`: the frame's first sample in the source; `played`: in the output. In samples. */
  pos?: number;
}

/**
 * The hook the sender and the receiver call when tracing. Absent = no cost
 * beyond one `undefined` check per frame.
 */
export interface FrameTracer {
  /** The trace clock (wall-clock ms). */
  now(): number;
  /** Records one event, at `t` (default: now). */
  mark(ev: TraceEventName, ssrc: number, seq: number, t?: number, pos?: number): void;
}

/** `performance.timeOrigin + performance.now()`: wall-clock ms, monotonic within a process. */
export function traceClock(): number {
  return performance.timeOrigin + performance.now();
}

/** A trace file is a benchmark tool's output: it stops growing here. */
export const DEFAULT_MAX_TRACE_EVENTS = 100_000;

const FIELDS = 5; // ev index, ssrc, seq, t, pos (NaN = none)

/**
 * Records events into a preallocated buffer (no allocation per event, no
 * I/O while the audio runs); serialize with `toJsonLines()` at the end.
 * Events past `maxEvents` are counted in `dropped` and not kept.
 */
export class TraceRecorder implements FrameTracer {
  /** Events not kept because the buffer was full. */
  dropped = 0;
  private buf: Float64Array;
  private readonly max: number;
  private readonly clock: () => number;
  private n = 0;

  constructor(opts: { maxEvents?: number; now?: () => number } = {}) {
    this.max = opts.maxEvents ?? DEFAULT_MAX_TRACE_EVENTS;
    this.clock = opts.now ?? traceClock;
    // Grown on demand up to `max`, so a short trace does not hold 4 MB.
    this.buf = new Float64Array(Math.min(this.max, 4096) * FIELDS);
  }

  now(): number {
    return this.clock();
  }

  mark(ev: TraceEventName, ssrc: number, seq: number, t = this.clock(), pos = NaN): void {
    if (this.n >= this.max) {
      this.dropped++;
      return;
    }
    if ((this.n + 1) * FIELDS > this.buf.length) {
      const bigger = new Float64Array(Math.min(this.max, this.n * 2) * FIELDS);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    const o = this.n * FIELDS;
    this.buf[o] = TRACE_EVENTS.indexOf(ev);
    this.buf[o + 1] = ssrc;
    this.buf[o + 2] = seq;
    this.buf[o + 3] = t;
    this.buf[o + 4] = pos;
    this.n++;
  }

  /** Events kept. */
  get size(): number {
    return this.n;
  }

  events(): TraceEvent[] {
    const out: TraceEvent[] = [];
    for (let i = 0; i < this.n; i++) {
      const o = i * FIELDS;
      const e: TraceEvent = {
        ev: TRACE_EVENTS[this.buf[o]!]!,
        ssrc: this.buf[o + 1]!,
        seq: this.buf[o + 2]!,
        t: this.buf[o + 3]!,
      };
      const pos = this.buf[o + 4]!;
      if (!Number.isNaN(pos)) e.pos = pos;
      out.push(e);
    }
    return out;
  }

  /**
   * The trace file: a `meta` line (format version, clock, `dropped`, and
   * whatever `meta` adds), then one event per line, `t` rounded to µs.
   */
  toJsonLines(meta: Record<string, unknown> = {}): string {
    const head = {
      ev: 'meta',
      v: TRACE_FORMAT_VERSION,
      clock: 'performance.timeOrigin+performance.now() ms',
      events: this.n,
      dropped: this.dropped,
      ...meta,
    };
    const lines = [JSON.stringify(head)];
    for (const e of this.events()) lines.push(JSON.stringify({ ...e, t: Math.round(e.t * 1000) / 1000 }));
    return lines.join('\n') + '\n';
  }
}

/**
 * Reads a trace file: the events, and the `meta` lines. Lines with another
 * `ev` (a later version's events) are skipped; a line that is not a JSON
 * object with numeric `ssrc`, `seq` and `t` is an error naming its line.
 */
export function parseTrace(text: string): { events: TraceEvent[]; meta: Record<string, unknown>[] } {
  const events: TraceEvent[] = [];
  const meta: Record<string, unknown>[] = [];
  const known = new Set<string>(TRACE_EVENTS);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      throw new Error(`trace line ${i + 1}: not JSON`);
    }
    if (typeof o !== 'object' || o === null) throw new Error(`trace line ${i + 1}: not an object`);
    const r = o as Record<string, unknown>;
    if (r.ev === 'meta') {
      meta.push(r);
      continue;
    }
    if (typeof r.ev !== 'string' || !known.has(r.ev)) continue;
    const { ssrc, seq, t, pos } = r;
    if (typeof ssrc !== 'number' || typeof seq !== 'number' || typeof t !== 'number' || !Number.isFinite(t))
      throw new Error(`trace line ${i + 1}: ssrc, seq and t must be numbers`);
    const e: TraceEvent = { ev: r.ev as TraceEventName, ssrc, seq, t };
    if (typeof pos === 'number') e.pos = pos;
    events.push(e);
  }
  return { events, meta };
}

// ── matching and stages ──

/** One frame's events, first occurrence of each. */
export interface FrameTimeline {
  ssrc: number;
  /** The low 16 bits of the sequence number (what both sides agree on). */
  seq16: number;
  t: Partial<Record<TraceEventName, number>>;
  capturePos?: number;
  playedPos?: number;
}

/**
 * Groups events by (ssrc, seq mod 2^16). Matching on the wire's 16 bits,
 * not the extended number: a listener that joined after the speaker's
 * counter wrapped extends it differently. A trace holds fewer than 65,536
 * frames of any stream (the event cap), so the key is unique within it.
 */
export function matchFrames(events: Iterable<TraceEvent>): FrameTimeline[] {
  const byKey = new Map<number, FrameTimeline>();
  for (const e of events) {
    const seq16 = e.seq & 0xffff;
    const key = e.ssrc * 65536 + seq16;
    let f = byKey.get(key);
    if (f === undefined) {
      f = { ssrc: e.ssrc, seq16, t: {} };
      byKey.set(key, f);
    }
    if (f.t[e.ev] !== undefined) continue;
    f.t[e.ev] = e.t;
    if (e.ev === 'capture' && e.pos !== undefined) f.capturePos = e.pos;
    if (e.ev === 'played' && e.pos !== undefined) f.playedPos = e.pos;
  }
  return [...byKey.values()];
}

export interface StageSpec {
  name: string;
  from: TraceEventName;
  to: TraceEventName;
}

/** The stages between consecutive events, in order. */
export const TRACE_STAGES: readonly StageSpec[] = [
  { name: 'encode', from: 'capture', to: 'encoded' },
  { name: 'seal', from: 'encoded', to: 'sent' },
  { name: 'network + server', from: 'sent', to: 'arrived' },
  { name: 'jitter buffer', from: 'arrived', to: 'popped' },
  { name: 'decode', from: 'popped', to: 'decoded' },
  { name: 'playout', from: 'decoded', to: 'played' },
];

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length === 0 ? NaN : s.reduce((a, b) => a + b, 0) / s.length;
  return {
    n: s.length,
    mean,
    p50: quantile(s, 0.5),
    p95: quantile(s, 0.95),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
  };
}

export interface StageFigures {
  /** Frames seen in any event. */
  frames: number;
  /** Frames with all seven events (the ones measured). */
  complete: number;
  /** Complete frames where some stage is negative (clocks disagree, or a bug): left out. */
  disordered: number;
  stages: (StageSpec & Summary & { values: number[] })[];
  /** capture → played per frame. */
  total: Summary;
}

/** Per-stage durations over the frames that have every event and are in order. */
export function stageFigures(frames: readonly FrameTimeline[]): StageFigures {
  const per = TRACE_STAGES.map(() => [] as number[]);
  const totals: number[] = [];
  let complete = 0;
  let disordered = 0;
  for (const f of frames) {
    if (!TRACE_EVENTS.every((ev) => f.t[ev] !== undefined)) continue;
    complete++;
    const d = TRACE_STAGES.map((s) => f.t[s.to]! - f.t[s.from]!);
    if (d.some((x) => x < 0)) {
      disordered++;
      continue;
    }
    d.forEach((x, i) => per[i]!.push(x));
    totals.push(f.t.played! - f.t.capture!);
  }
  return {
    frames: frames.length,
    complete,
    disordered,
    stages: TRACE_STAGES.map((s, i) => ({ ...s, ...summarize(per[i]!), values: per[i]! })),
    total: summarize(totals),
  };
}

// ── clicks: the delay measured from the audio ──

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
  const played = new Map<number, number>();
  for (const f of args.frames) {
    if (f.capturePos !== undefined && f.t.capture !== undefined) captured.set(f.capturePos, f);
    if (f.playedPos !== undefined && f.t.played !== undefined && !played.has(f.playedPos))
      played.set(f.playedPos, f.t.played);
  }
  const out: ClickLatency[] = [];
  for (const s of args.sourceOnsets) {
    const framePos = Math.floor(s / n) * n;
    const frame = captured.get(framePos);
    if (frame === undefined) continue;
    const mouth = frame.t.capture! - (n - (s - framePos)) * msPerSample;
    for (const r of args.recordedOnsets) {
      const outPos = Math.floor(r / n) * n;
      const tOut = played.get(outPos);
      if (tOut === undefined) continue;
      const ear = tOut + (r - outPos) * msPerSample;
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

// ── the table ──

export interface LatencyRow {
  stage: string;
  how: string;
  p50: number;
  p95: number;
  mean: number;
  /** Of the sum of the stages' means, 0..1. */
  share: number;
}

export interface LatencyReport {
  rows: LatencyRow[];
  /** Sum of the stages' means (ms). */
  sumOfStages: number;
  /** Mouth-to-ear from the audio, over the clicks. */
  audio: Summary;
  /** Per click: audio − (its frame's chain + framing + codec delay), ms. */
  residual: Summary;
  frames: number;
  complete: number;
  disordered: number;
}

export interface ServerTime {
  /** From the relay's forwarding-time histogram (GET /api/v1/metrics), ms. */
  mean: number;
  p50: number;
  p95: number;
}

/**
 * The mouth-to-ear table: fixed framing (one frame fills before it is
 * encoded), the traced stages (network and server split when the server's
 * forwarding time is given: its mean is taken off each frame's
 * sent → arrived), the codec's look-ahead, and the audio's own figure.
 * Shares are of the sum of means (means add up; quantiles do not).
 */
export function latencyReport(args: {
  figures: StageFigures;
  clicks: readonly ClickLatency[];
  frameMs: number;
  codecDelayMs: number;
  server?: ServerTime;
}): LatencyReport {
  const { figures, frameMs, codecDelayMs: codec, server } = args;
  const rows: Omit<LatencyRow, 'share'>[] = [
    {
      stage: 'framing',
      how: 'fixed: a frame fills before it is encoded',
      p50: frameMs,
      p95: frameMs,
      mean: frameMs,
    },
  ];
  for (const s of figures.stages) {
    const how = `${s.from} → ${s.to}`;
    if (s.from === 'sent' && server !== undefined) {
      const net = summarize(s.values.map((x) => x - server.mean));
      rows.push({
        stage: 'network',
        how: `${how}, minus the server's mean`,
        p50: net.p50,
        p95: net.p95,
        mean: net.mean,
      });
      rows.push({ stage: 'server', how: 'relay forwarding time, GET /api/v1/metrics', ...server });
    } else rows.push({ stage: s.name, how, p50: s.p50, p95: s.p95, mean: s.mean });
  }
  rows.push({
    stage: 'codec delay',
    how: 'Opus look-ahead, measured offline',
    p50: codec,
    p95: codec,
    mean: codec,
  });
  const sum = rows.reduce((a, r) => a + r.mean, 0);
  const residuals = args.clicks
    .filter((c) => c.chainMs !== undefined)
    .map((c) => c.audioMs - (c.chainMs! + frameMs + codec));
  return {
    rows: rows.map((r) => ({ ...r, share: r.mean / sum })),
    sumOfStages: sum,
    audio: summarize(args.clicks.map((c) => c.audioMs)),
    residual: summarize(residuals),
    frames: figures.frames,
    complete: figures.complete,
    disordered: figures.disordered,
  };
}
