/** What a load test reports (`runLoadTest` resolves with it; `--json` prints it) and its table form. */
import type { LoopDelayFigures } from '@parley/protocol';
import type { HistogramDelta } from './server-metrics.js';

export interface PercentilesMs {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The server's figures over the measured window (deltas of GET /api/v1/metrics). */
export interface ServerFigures {
  /** Media packets the relay received (audio, PING, HELLO), and their rate over the window. */
  packetsIn: number;
  packetsInPerSecond: number;
  /** Audio packets accepted for routing. */
  audioIn: number;
  /** Copies sent to listeners (audio, PONG, HELLO_ACK). */
  packetsOut: number;
  packetsOutPerSecond: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
  /** Packets dropped, and by reason (only the reasons that occurred). */
  dropped: number;
  drops: Record<string, number>;
  /** Copies that could not be handed over (WebSocket back-pressure, UDP send errors). */
  sendFailures: Record<string, number>;
  /** Time from a packet's arrival in the relay to its last copy handed to the kernel, from the histogram's bucket deltas. */
  forwardUs: HistogramDelta;
  /** CPU time of the server process over the window, in % of one core (user + system). */
  cpuPercent: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  /** At the end of the window. */
  rssBytes: number;
  heapUsedBytes: number;
  /**
   * The server's event-loop delay as GET /api/v1/metrics reports it: how late its 10 ms
   * sampling timer fired (0 when idle), over the server's last complete 10 s window.
   */
  eventLoopDelayMs: LoopDelayFigures;
  /** Media sessions on the server at the end (others than ours too). */
  sessions: number;
}

/** Clients' counts against the server's over the same window. */
export interface CrossCheck {
  /** Media packets the participants sent (audio + PING). */
  clientSent: number;
  /** The server's packetsIn delta. */
  serverIn: number;
  /** clientSent − serverIn: lost on the way in (an impairment proxy, a full socket buffer). */
  inDifference: number;
  /** Media packets that reached the participants (every kind, before any check). */
  clientReceived: number;
  /** The server's packetsOut delta. */
  serverOut: number;
  /** serverOut − clientReceived: lost on the way out. */
  outDifference: number;
}

export interface TimelinePoint {
  /** Seconds since the measured window started (end of the sample period). */
  t: number;
  sentPerSecond: number;
  receivedPerSecond: number;
  /** RTT of the pings answered in this period. */
  rttMs: PercentilesMs;
  /** Current RFC 3550 jitter of every stream. */
  jitterMs: PercentilesMs;
}

export interface ServerTimelinePoint {
  t: number;
  packetsInPerSecond: number;
  packetsOutPerSecond: number;
  cpuPercent: number;
  rssBytes: number;
}

export interface LoadReport {
  version: 1;
  startedAt: string;
  serverVersion: string;
  options: {
    server: string;
    clients: number;
    channels: number;
    speakersPerChannel: number;
    seconds: number;
    transport: 'udp' | 'ws';
    rampSeconds: number;
    /** Where UDP media was sent when not to the server (HOST:PORT), else null. */
    udpVia: string | null;
  };
  participants: {
    joined: number;
    failed: number;
    /** Failed joins by error code. */
    failures: Record<string, number>;
    speakers: number;
    /** Joined participants that did not speak. */
    listeners: number;
    /** From the first connection to the last join. */
    joinSeconds: number;
    /** WebSockets the server closed during the run. */
    disconnected: number;
    /** Hellos refused with PARLEY_ERR_TOO_MANY_GUESTS and tried again (guest admission limits). */
    guestRetries: number;
    /** The cipher the server picked, by count. */
    ciphers: Record<string, number>;
  };
  /** Length of the measured window (sending), and whether it was cut short. */
  window: { seconds: number; aborted: boolean; clockSkippedTicks: number };
  packets: {
    sent: number;
    received: number;
    sentPerSecond: number;
    receivedPerSecond: number;
    audioSent: number;
    pingsSent: number;
    audioReceived: number;
    pongsReceived: number;
    helloAcksReceived: number;
    badPackets: number;
    /** Sends the operating system refused. */
    sendErrors: number;
  };
  loss: {
    /** Σ over listeners of the frames sent in the window by the other speakers of their channel. */
    expected: number;
    /** Unique frames that arrived and authenticated. */
    received: number;
    lost: number;
    percent: number;
    duplicates: number;
    /** Arrived after a later packet of the same stream (counted as received). */
    late: number;
    /** Too late for the 1024-packet window (counted as lost). */
    tooOld: number;
    authFailed: number;
    /** Missing between each stream's first and last sequence number (the RTP-style estimate). */
    lostInSeqRange: number;
    /** Received ÷ expected per listening participant: the worst and the best one. */
    perParticipant: { min: number; max: number };
  };
  /**
   * RFC 3550 interarrival jitter of each (listener, speaker) stream at the end, with the
   * packets' real send times (the generator's clock): what the network and the relay add.
   */
  jitterMs: PercentilesMs & { streams: number };
  /** The same with the RTP timestamps, as a real listener computes it: includes the generator's pacing error. */
  rtpJitterMs: PercentilesMs;
  /** One-way time from a speaker's send to a listener's receipt (same clock), every audio packet. */
  latencyMs: PercentilesMs & { samples: number };
  /** Media PING → PONG, one per participant per second. */
  rttMs: PercentilesMs & { samples: number };
  server: ServerFigures | null;
  /** Why there are no server figures (no admin token), else null. */
  serverSkipped: string | null;
  crossCheck: CrossCheck | null;
  /**
   * The load generator's own process over the window: if it is saturated, the figures measure
   * it, not the server. Event-loop delay: how late a 10 ms timer fired (the interval taken off).
   */
  generator: {
    /** User + system, % of one core; `cpuSystemPercent` is the kernel's part (socket calls). */
    cpuPercent: number;
    cpuSystemPercent: number;
    rssBytes: number;
    eventLoopDelayMs: { p99: number; max: number };
  };
  timeline: TimelinePoint[];
  serverTimeline: ServerTimelinePoint[];
  /**
   * This host's UDP counters over the window and the drain (Linux, system-wide):
   * `rcvbufErrors` = datagrams dropped because a receive buffer was full — on a
   * loopback run, the server's socket or a participant's. Null elsewhere.
   */
  hostUdp: { inDatagrams: number; inErrors: number; rcvbufErrors: number; sndbufErrors: number } | null;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fix = (n: number, d: number): string => n.toFixed(d);
const ms = (p: PercentilesMs): string => `${fix(p.p50, 2)} / ${fix(p.p95, 2)} / ${fix(p.p99, 2)} ms`;
const mb = (bytes: number): string => `${fix(bytes / (1024 * 1024), 1)} MB`;
const reasons = (r: Record<string, number>): string =>
  Object.keys(r).length === 0
    ? 'none'
    : Object.entries(r)
        .map(([k, v]) => `${k} ${int(v)}`)
        .join(', ');

/** The report as an aligned two-column table (the CLI's default output). */
export function formatTable(r: LoadReport): string {
  const o = r.options;
  const p = r.participants;
  const rows: [string, string][] = [
    ['server', `${o.server} (version ${r.serverVersion || '?'})`],
    [
      'clients / channels / speakers',
      `${int(p.joined)} joined of ${int(o.clients)} / ${int(o.channels)} / ${int(p.speakers)} (${o.speakersPerChannel} per channel)`,
    ],
    [
      'measured',
      `${fix(r.window.seconds, 1)} s over ${o.transport}${o.udpVia === null ? '' : ` via ${o.udpVia}`}${r.window.aborted ? ' (interrupted)' : ''}; joins took ${fix(p.joinSeconds, 1)} s (ramp ${o.rampSeconds} s)`,
    ],
  ];
  if (p.failed > 0) rows.push(['failed joins', `${int(p.failed)}: ${reasons(p.failures)}`]);
  if (p.disconnected > 0) rows.push(['disconnected during the run', int(p.disconnected)]);
  if (p.guestRetries > 0) rows.push(['hellos tried again (too many new guests)', int(p.guestRetries)]);
  const c = r.crossCheck;
  rows.push(['packets sent (clients)', `${int(r.packets.sent)}  (${int(r.packets.sentPerSecond)}/s)`]);
  if (r.server !== null && c !== null)
    rows.push([
      'packets in (server)',
      `${int(r.server.packetsIn)}  (${int(r.server.packetsInPerSecond)}/s)  clients − server = ${int(c.inDifference)}`,
    ]);
  if (r.server !== null && c !== null)
    rows.push([
      'packets out (server)',
      `${int(r.server.packetsOut)}  (${int(r.server.packetsOutPerSecond)}/s)  server − clients = ${int(c.outDifference)}`,
    ]);
  rows.push([
    'packets received (clients)',
    `${int(r.packets.received)}  (${int(r.packets.receivedPerSecond)}/s)`,
  ]);
  rows.push([
    'loss',
    `${fix(r.loss.percent, 3)} %  (${int(r.loss.lost)} of ${int(r.loss.expected)} frames; ${int(r.loss.duplicates)} duplicates, ${int(r.loss.late)} late)`,
  ]);
  rows.push(['jitter p50 / p95 / p99', `${ms(r.jitterMs)}  (${int(r.jitterMs.streams)} streams)`]);
  rows.push(['RTT p50 / p95 / p99', `${ms(r.rttMs)}  (${int(r.rttMs.samples)} pings)`]);
  rows.push(['one-way latency p50 / p95 / p99', `${ms(r.latencyMs)}  (${int(r.latencyMs.samples)} packets)`]);
  if (r.server !== null) {
    const f = r.server.forwardUs;
    rows.push([
      'server forwarding p50 / p95 / p99',
      `${fix(f.p50Us, 1)} / ${fix(f.p95Us, 1)} / ${fix(f.p99Us, 1)} µs  (${int(f.count)} packets, mean ${fix(f.meanUs, 1)} µs)`,
    ]);
    rows.push(['server CPU', `${fix(r.server.cpuPercent, 1)} % of one core`]);
    rows.push(['server RSS', `${mb(r.server.rssBytes)}  (heap ${mb(r.server.heapUsedBytes)})`]);
    rows.push([
      'server event-loop delay',
      `p99 ${fix(r.server.eventLoopDelayMs.p99, 1)} ms, max ${fix(r.server.eventLoopDelayMs.max, 1)} ms (the server's last 10 s window)`,
    ]);
    rows.push(['server drops', reasons(r.server.drops)]);
    if (Object.keys(r.server.sendFailures).length > 0)
      rows.push(['server send failures', reasons(r.server.sendFailures)]);
  } else {
    rows.push(['server figures', `skipped: ${r.serverSkipped ?? 'unavailable'}`]);
  }
  if (r.hostUdp !== null && (r.hostUdp.rcvbufErrors > 0 || r.hostUdp.sndbufErrors > 0))
    rows.push([
      'host UDP buffer overflows',
      `${int(r.hostUdp.rcvbufErrors)} received datagrams dropped, ${int(r.hostUdp.sndbufErrors)} sends (whole machine)`,
    ]);
  if (r.packets.sendErrors > 0) rows.push(['send errors (clients)', int(r.packets.sendErrors)]);
  rows.push([
    'load generator',
    `CPU ${fix(r.generator.cpuPercent, 1)} % of one core (kernel ${fix(r.generator.cpuSystemPercent, 1)} %), RSS ${mb(r.generator.rssBytes)}, event-loop delay p99 ${fix(r.generator.eventLoopDelayMs.p99, 1)} ms${r.window.clockSkippedTicks > 0 ? `, clock fell behind: ${int(r.window.clockSkippedTicks)} ticks of 5 ms skipped` : ''}`,
  ]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const title = `Parley load test — ${int(o.clients)} clients, ${int(o.channels)} channels, ${o.speakersPerChannel} speaker(s) each, ${o.seconds} s, ${o.transport}`;
  return `${title}\n\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}
