/**
 * The server's figures over the window, from its metrics read before, at
 * the end of the sending and after the drain (pure: differences of
 * GET /api/v1/metrics snapshots), and its timeline from the polls made
 * during the window.
 */
import type { ServerFigures, ServerTimelinePoint } from '../report.js';
import { counterDelta, histogramDelta, type ServerMetrics } from '../server-metrics.js';

/** One metrics read during the window, `t` seconds after it opened. */
export interface ServerPoll {
  t: number;
  m: ServerMetrics;
}

/**
 * Packets, bytes and drops from `before` → `after` (so that the last copies
 * count); CPU from `before` → `end` (the sending, without the drain); memory
 * at `end`; the event-loop delay and sessions as `after` reports them.
 */
export function serverFigures(
  before: ServerMetrics,
  end: ServerMetrics,
  after: ServerMetrics,
  windowSeconds: number,
): ServerFigures {
  const b = before.media;
  const a = after.media;
  const wallUs = Math.max(1, (end.uptimeS - before.uptimeS) * 1e6);
  const user = end.process.cpuUserUs - before.process.cpuUserUs;
  const system = end.process.cpuSystemUs - before.process.cpuSystemUs;
  return {
    packetsIn: a.packetsIn - b.packetsIn,
    packetsInPerSecond: (a.packetsIn - b.packetsIn) / windowSeconds,
    audioIn: a.audioIn - b.audioIn,
    packetsOut: a.packetsOut - b.packetsOut,
    packetsOutPerSecond: (a.packetsOut - b.packetsOut) / windowSeconds,
    bytesInPerSecond: (a.bytesIn - b.bytesIn) / windowSeconds,
    bytesOutPerSecond: (a.bytesOut - b.bytesOut) / windowSeconds,
    dropped: a.dropped - b.dropped,
    drops: counterDelta(b.drops, a.drops),
    sendFailures: counterDelta(b.sendFailures, a.sendFailures),
    forwardUs: histogramDelta(b.forwardUs, a.forwardUs),
    cpuPercent: (100 * (user + system)) / wallUs,
    cpuUserUs: user,
    cpuSystemUs: system,
    rssBytes: end.process.rssBytes,
    heapUsedBytes: end.process.heapUsedBytes,
    eventLoopDelayMs: after.process.eventLoopDelayMs,
    sessions: after.sessions,
  };
}

/** Rates between consecutive polls (the first against `before`); polls with no uptime between them are skipped. */
export function serverTimeline(
  before: ServerMetrics | null,
  polls: readonly ServerPoll[],
): ServerTimelinePoint[] {
  if (before === null) return [];
  const out: ServerTimelinePoint[] = [];
  let prev = before;
  for (const { t, m } of polls) {
    const dt = m.uptimeS - prev.uptimeS;
    if (dt <= 0) continue;
    const cpuUs =
      m.process.cpuUserUs + m.process.cpuSystemUs - prev.process.cpuUserUs - prev.process.cpuSystemUs;
    out.push({
      t,
      packetsInPerSecond: (m.media.packetsIn - prev.media.packetsIn) / dt,
      packetsOutPerSecond: (m.media.packetsOut - prev.media.packetsOut) / dt,
      cpuPercent: (100 * cpuUs) / (dt * 1e6),
      rssBytes: m.process.rssBytes,
    });
    prev = m;
  }
  return out;
}
