/**
 * Mouth-to-ear latency from traces (tooling, not SDK): reads the JSON-lines
 * traces that `@parley/client`'s TraceRecorder writes, matches the two
 * sides' frames by (ssrc, seq) and gives each stage. Format:
 * docs/benchmarks.md "Mouth-to-ear latency". Pure; `bench/latency.ts`
 * drives it, with clicks.ts (the same delay from the audio) and report.ts.
 */
import { quantile } from '@parley/protocol';
import { TRACE_EVENTS, type TraceEvent, type TraceEventName } from '@parley/client';

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
