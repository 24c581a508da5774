/**
 * The measured window's timeline: once per sample period, packets/s both
 * ways, the RTT of the pings answered in the period and every stream's
 * current jitter; a background read of the server's metrics for its own
 * timeline; and a progress report with the loss so far.
 */
import { percentiles } from '@parley/protocol';
import type { Participant } from '../participant.js';
import type { TimelinePoint } from '../report.js';
import { expectedFrames, pct } from './assemble.js';
import type { ServerPoll } from './server-window.js';
import type { Counters, RunState } from './state.js';

export class Sampler {
  readonly timeline: TimelinePoint[] = [];
  /** The server's metrics read during the window (as they came back). */
  readonly serverPolls: ServerPoll[] = [];
  private windowStart = 0;
  private last: { at: number; sent: number; received: number };

  constructor(
    private readonly state: RunState,
    private readonly speakers: readonly Participant[],
    private readonly base: Counters,
  ) {
    this.last = { at: 0, sent: state.totals.packetsSent, received: state.totals.packetsReceived };
  }

  /** The window opens now (`performance.now()` time): the first period starts here. */
  start(at: number): void {
    this.windowStart = at;
    this.last.at = at;
  }

  get startedAt(): number {
    return this.windowStart;
  }

  /** Ends a sample period: one timeline point, one server poll (unless one is in flight), one progress report. */
  sample(): void {
    const { totals, roster } = this.state;
    const now = performance.now();
    const dt = (now - this.last.at) / 1000;
    const point: TimelinePoint = {
      t: (now - this.windowStart) / 1000,
      sentPerSecond: dt > 0 ? (totals.packetsSent - this.last.sent) / dt : 0,
      receivedPerSecond: dt > 0 ? (totals.packetsReceived - this.last.received) / dt : 0,
      rttMs: pct(percentiles(totals.rttPeriod)),
      jitterMs: pct(percentiles(this.streamJitters())),
    };
    totals.rttPeriod = [];
    this.timeline.push(point);
    this.last = { at: now, sent: totals.packetsSent, received: totals.packetsReceived };
    this.state.metrics.poll((m) =>
      this.serverPolls.push({ t: (performance.now() - this.windowStart) / 1000, m }),
    );
    const expectedSoFar = expectedFrames(roster.joined, this.speakers);
    this.state.progress({
      phase: 'measuring',
      elapsedS: point.t,
      sentPerSecond: point.sentPerSecond,
      receivedPerSecond: point.receivedPerSecond,
      lossPercent:
        expectedSoFar > 0
          ? Math.max(
              0,
              (100 * (expectedSoFar - (totals.audioReceived - this.base.audioReceived))) / expectedSoFar,
            )
          : 0,
      rttP50Ms: point.rttMs.p50,
    });
  }

  private streamJitters(): number[] {
    const out: number[] = [];
    for (const p of this.state.roster.joined) for (const st of p.streams.values()) out.push(st.jitterMs);
    return out;
  }
}
