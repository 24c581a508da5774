/** The mouth-to-ear table: trace stages and click latencies side by side. Pure. */
import type { ClickLatency } from './clicks.js';
import { summarize, type StageFigures, type Summary } from './frames.js';

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
