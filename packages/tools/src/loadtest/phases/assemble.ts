/**
 * Phase 5, the report: assembled from what the other phases measured —
 * counters before and after, the participants' streams, the window, the
 * server's snapshots — with no I/O and no clock, so hand-made inputs test
 * it. `expectedFrames` and `lossFigures` read participants through the
 * small views below (a `Participant` is one).
 */
import { percentiles, type Percentiles } from '@parley/protocol';
import { udpDelta, type UdpCounters } from '../host.js';
import type { ResolvedOptions } from '../options.js';
import type { LoadReport, PercentilesMs, TimelinePoint } from '../report.js';
import type { ServerMetrics } from '../server-metrics.js';
import { serverFigures, serverTimeline, type ServerPoll } from './server-window.js';
import type { Counters } from './state.js';

/** One (listener, speaker) stream as the report reads it (a `RecvStream` is one). */
export interface StreamView {
  readonly received: number;
  readonly lostInRange: number;
  readonly jitterMs: number;
  readonly rtpJitterMs: number;
}

/** A joined participant as the report reads it: its channel, cipher and the streams it heard, by ssrc. */
export interface ListenerView {
  readonly channelId: number;
  readonly cipher: string | null;
  readonly streams: ReadonlyMap<number, StreamView>;
}

/** A speaker: also a listener (it hears the other speakers of its channel). */
export interface SpeakerView extends ListenerView {
  readonly ssrc: number;
  /** Audio frames sent in the window. */
  readonly framesSent: number;
}

/** A histogram of µs values (`LogHistogram`). */
export interface HistogramView {
  readonly count: number;
  readonly maxUs: number;
  quantile(q: number): number;
}

/** Everything the report is made of. */
export interface ReportInput {
  readonly options: ResolvedOptions;
  readonly startedAt: string;
  readonly serverVersion: string;
  /** Speakers are among `joined` (the same objects). */
  readonly joined: readonly ListenerView[];
  readonly speakers: readonly SpeakerView[];
  readonly failed: number;
  readonly failures: Record<string, number>;
  readonly joinSeconds: number;
  /** The participants' counters at the baseline and at the end (after the drain). */
  readonly counters: { readonly base: Counters; readonly end: Counters };
  readonly latencyUs: HistogramView;
  readonly rttUs: HistogramView;
  readonly window: {
    readonly seconds: number;
    readonly aborted: boolean;
    readonly clockSkippedTicks: number;
    readonly timeline: TimelinePoint[];
  };
  /** The server's metrics: before the window, at its end, after the drain; the polls in between. */
  readonly server: {
    readonly before: ServerMetrics | null;
    readonly end: ServerMetrics | null;
    readonly after: ServerMetrics | null;
    readonly polls: readonly ServerPoll[];
    /** Why there may be no figures (MetricsReader.skippedReason). */
    readonly skipped: string | null;
  };
  readonly hostUdp: { readonly before: UdpCounters | null; readonly after: UdpCounters | null };
  /** The load generator over the window; the event-loop delay in ns as the monitor gives it. */
  readonly generator: {
    readonly cpu: NodeJS.CpuUsage;
    readonly loopDelayNs: { readonly p99: number; readonly max: number };
    readonly loopResolutionMs: number;
    readonly rssBytes: number;
  };
}

export function pct(p: Percentiles): PercentilesMs {
  return { p50: p.p50, p95: p.p95, p99: p.p99, max: p.max };
}

function nsToMs(ns: number): number {
  return Number.isFinite(ns) ? ns / 1e6 : 0;
}

/** Frames the participants should have had so far: each speaker's frames × the others in its channel. */
export function expectedFrames(joined: readonly ListenerView[], speakers: readonly SpeakerView[]): number {
  const members = new Map<number, number>();
  for (const p of joined) members.set(p.channelId, (members.get(p.channelId) ?? 0) + 1);
  let n = 0;
  for (const s of speakers) n += s.framesSent * ((members.get(s.channelId) ?? 1) - 1);
  return n;
}

/** Loss, per-stream jitter and ciphers over the joined participants. */
export function lossFigures(
  joined: readonly ListenerView[],
  speakers: readonly SpeakerView[],
): {
  /** Σ over listeners of the frames the other speakers of their channel sent, and of those received. */
  expected: number;
  received: number;
  lostInSeqRange: number;
  /** Received ÷ expected, the worst and the best listener (0 / 0 when nobody expected anything). */
  perParticipant: { min: number; max: number };
  /** Each (listener, speaker-of-this-run) stream's jitter. */
  jitters: number[];
  rtpJitters: number[];
  ciphers: Record<string, number>;
} {
  const framesBySpeaker = new Map(speakers.map((s) => [s.ssrc, s.framesSent]));
  let expected = 0;
  let received = 0;
  let lostInSeqRange = 0;
  let minRatio = Infinity;
  let maxRatio = 0;
  const jitters: number[] = [];
  const rtpJitters: number[] = [];
  const ciphers: Record<string, number> = {};
  for (const p of joined) {
    const cipher = p.cipher ?? 'unknown';
    ciphers[cipher] = (ciphers[cipher] ?? 0) + 1;
    let e = 0;
    let g = 0;
    for (const s of speakers) {
      if (s === p || s.channelId !== p.channelId) continue;
      e += s.framesSent;
      const st = p.streams.get(s.ssrc);
      if (st !== undefined) g += st.received;
    }
    for (const [ssrc, st] of p.streams) {
      if (!framesBySpeaker.has(ssrc)) continue;
      lostInSeqRange += st.lostInRange;
      jitters.push(st.jitterMs);
      rtpJitters.push(st.rtpJitterMs);
    }
    expected += e;
    received += g;
    if (e > 0) {
      minRatio = Math.min(minRatio, g / e);
      maxRatio = Math.max(maxRatio, g / e);
    }
  }
  const perParticipant = { min: Number.isFinite(minRatio) ? minRatio : 0, max: maxRatio };
  return { expected, received, lostInSeqRange, perParticipant, jitters, rtpJitters, ciphers };
}

function histogramMs(h: HistogramView): PercentilesMs & { samples: number } {
  return {
    p50: h.quantile(0.5) / 1000,
    p95: h.quantile(0.95) / 1000,
    p99: h.quantile(0.99) / 1000,
    max: h.maxUs / 1000,
    samples: h.count,
  };
}

/** The report (`--json` prints it as it is). */
export function assembleReport(r: ReportInput): LoadReport {
  const o = r.options;
  const { base, end } = r.counters;
  const delta = (k: keyof Counters): number => end[k] - base[k];
  const windowSeconds = r.window.seconds;
  const sent = delta('packetsSent');
  const received = delta('packetsReceived');
  const loss = lossFigures(r.joined, r.speakers);
  const lost = Math.max(0, loss.expected - loss.received);
  const { before, after } = r.server;
  const server =
    before !== null && after !== null
      ? serverFigures(before, r.server.end ?? after, after, windowSeconds)
      : null;
  const g = r.generator;
  return {
    version: 1,
    startedAt: r.startedAt,
    serverVersion: r.serverVersion,
    options: {
      server: o.server,
      clients: o.clients,
      channels: o.channels,
      speakersPerChannel: o.speakersPerChannel,
      seconds: o.seconds,
      transport: o.transport,
      rampSeconds: o.rampSeconds,
      udpVia: o.udpTarget === undefined ? null : `${o.udpTarget.host}:${o.udpTarget.port}`,
    },
    participants: {
      joined: r.joined.length,
      failed: r.failed,
      failures: r.failures,
      speakers: r.speakers.length,
      listeners: r.joined.length - r.speakers.length,
      joinSeconds: r.joinSeconds,
      disconnected: end.disconnects,
      guestRetries: end.guestRetries,
      ciphers: loss.ciphers,
    },
    window: {
      seconds: windowSeconds,
      aborted: r.window.aborted,
      clockSkippedTicks: r.window.clockSkippedTicks,
    },
    packets: {
      sent,
      received,
      sentPerSecond: sent / windowSeconds,
      receivedPerSecond: received / windowSeconds,
      audioSent: delta('audioSent'),
      pingsSent: delta('pingsSent'),
      audioReceived: delta('audioReceived'),
      pongsReceived: delta('pongsReceived'),
      helloAcksReceived: delta('helloAcksReceived'),
      badPackets: delta('badPackets'),
      sendErrors: delta('sendErrors'),
    },
    loss: {
      expected: loss.expected,
      received: loss.received,
      lost,
      percent: loss.expected > 0 ? (100 * lost) / loss.expected : 0,
      duplicates: delta('duplicates'),
      late: delta('late'),
      tooOld: delta('tooOld'),
      authFailed: delta('authFailed'),
      lostInSeqRange: loss.lostInSeqRange,
      perParticipant: loss.perParticipant,
    },
    jitterMs: { ...pct(percentiles(loss.jitters)), streams: loss.jitters.length },
    rtpJitterMs: pct(percentiles(loss.rtpJitters)),
    latencyMs: histogramMs(r.latencyUs),
    rttMs: histogramMs(r.rttUs),
    server,
    serverSkipped: server === null ? (r.server.skipped ?? 'GET /api/v1/metrics failed') : null,
    crossCheck:
      server === null
        ? null
        : {
            clientSent: sent,
            serverIn: server.packetsIn,
            inDifference: sent - server.packetsIn,
            clientReceived: received,
            serverOut: server.packetsOut,
            outDifference: server.packetsOut - received,
          },
    generator: {
      cpuPercent: (100 * (g.cpu.user + g.cpu.system)) / (windowSeconds * 1e6),
      cpuSystemPercent: (100 * g.cpu.system) / (windowSeconds * 1e6),
      rssBytes: g.rssBytes,
      // The monitor's samples are whole timer intervals: take its resolution off.
      eventLoopDelayMs: {
        p99: Math.max(0, nsToMs(g.loopDelayNs.p99) - g.loopResolutionMs),
        max: Math.max(0, nsToMs(g.loopDelayNs.max) - g.loopResolutionMs),
      },
    },
    timeline: r.window.timeline,
    serverTimeline: serverTimeline(before, r.server.polls),
    hostUdp: udpDelta(r.hostUdp.before, r.hostUdp.after),
  };
}
