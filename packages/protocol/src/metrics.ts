/**
 * The body of the admin-only `GET /api/v1/metrics` (the server's
 * packages/server/src/http/system.ts), shared by the server that produces
 * it and the load generator that reads it. New fields may be added; none
 * are removed or renamed without a new API version.
 */
import type { HistogramSnapshot } from './histogram.js';

/** The media plane's counters since the server started. */
export interface MediaMetrics<Drop extends string = string, Failure extends string = string> {
  packetsIn: number;
  bytesIn: number;
  audioIn: number;
  packetsOut: number;
  bytesOut: number;
  dropped: number;
  /** Packets dropped, by reason (docs/errors.md). */
  drops: Record<Drop, number>;
  /** Copies that could not be sent, by cause. */
  sendFailures: Record<Failure, number>;
  /** Time from a packet's arrival to its last copy sent, µs. */
  forwardUs: HistogramSnapshot;
}

/** How late the server's 10 ms sampling timer fired (0 when idle), over its last complete 10 s window, ms. */
export interface LoopDelayFigures {
  p50: number;
  p99: number;
  max: number;
}

export interface ServerMetrics {
  uptimeS: number;
  sessions: number;
  process: {
    /** Cumulative since start. */
    cpuUserUs: number;
    cpuSystemUs: number;
    rssBytes: number;
    heapUsedBytes: number;
    eventLoopDelayMs: LoopDelayFigures;
  };
  media: MediaMetrics;
}
