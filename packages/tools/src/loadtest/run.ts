/**
 * `runLoadTest`: simulated participants join a server for real, speak on
 * one shared drift-free clock for a fixed time, and the run reports what
 * they measured next to what the server measured (docs/loadtest.md).
 *
 * Phases: check the server (and the admin token) → join (spread over the
 * ramp, at most `joinConcurrency` at a time; the first participant of each
 * channel creates it as a temporary channel) → read the server's metrics →
 * the measured window (speakers send, everyone pings once a second) → drain
 * → read the metrics again → close every socket. Every phase is bounded.
 */
import { lookup } from 'node:dns/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { FRAME_MS, FRAME_SAMPLES, percentiles, SAMPLE_RATE, type Percentiles } from '@parley/protocol';
import { toneInt16, OpusEncoder, FrameClock, toWsUrl } from '@parley/client';
import { loadOpusNode } from '@parley/client/node';
import { resolveOptions, type LoadTestOptions, type ResolvedOptions } from './options.js';
import { Participant, Totals } from './participant.js';
import type {
  LoadReport,
  PercentilesMs,
  ServerFigures,
  ServerTimelinePoint,
  TimelinePoint,
} from './report.js';
import {
  checkHealth,
  counterDelta,
  fetchMetrics,
  histogramDelta,
  login,
  type ServerMetrics,
} from './server-metrics.js';
import { readUdpCounters, udpDelta } from './host.js';

export interface LoadProgress {
  phase: 'joining' | 'measuring' | 'draining' | 'closing';
  clients: number;
  joined: number;
  failed: number;
  /** Seconds into the measured window, and its length. */
  elapsedS: number;
  seconds: number;
  /** Over the last sample period. */
  sentPerSecond: number;
  receivedPerSecond: number;
  /** Loss so far (frames), %. */
  lossPercent: number;
  rttP50Ms: number;
}

export interface LoadTestHooks {
  /** Called as participants join, then once per sample period. */
  onProgress?: (p: LoadProgress) => void;
  /** Stops the run early (joins stop, the window ends); a report of what ran is still produced. */
  signal?: AbortSignal;
}

/** Sub-slots of a 20 ms frame (FRAME_MS): speakers are spread over them so they do not all send at the same instant. */
const SLOTS = 4;
const TICK_MS = FRAME_MS / SLOTS;
/** Every participant sends one media PING per second, spread over the ticks. */
const PING_TICKS = 1000 / TICK_MS;
/** Seconds of tone pre-encoded once and shared by every speaker. */
const TONE_FRAMES = 100;
const DRAIN_QUIET_MS = 300;
const DRAIN_MAX_MS = 3_000;
const LOOP_RESOLUTION_MS = 10;
/** Extra metrics reads at most while the clients' and the server's counts still converge. */
const SETTLE_READS = 5;
/** The join phase lasts at most ramp + 60 s + 20 ms per client; later joins are not started. */
const JOIN_PHASE_BASE_MS = 60_000;
const JOIN_PHASE_PER_CLIENT_MS = 20;

/** Encodes 2 s of a tone once with the wasm encoder; speakers loop over these bytes. */
async function preEncodedFrames(): Promise<Uint8Array[]> {
  const enc = new OpusEncoder(await loadOpusNode(), { complexity: 5 });
  try {
    const pcm = toneInt16(440, (TONE_FRAMES * FRAME_MS) / 1000, SAMPLE_RATE, -12);
    const frames: Uint8Array[] = [];
    for (let k = 0; k < TONE_FRAMES; k++) {
      frames.push(enc.encode(pcm.subarray(k * FRAME_SAMPLES, (k + 1) * FRAME_SAMPLES)));
    }
    return frames;
  } finally {
    enc.destroy();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function pct(p: Percentiles): PercentilesMs {
  return { p50: p.p50, p95: p.p95, p99: p.p99, max: p.max };
}

interface Plan {
  channel: number;
  speaker: boolean;
  creator: boolean;
}

/** Participant i: channel i mod C; the first `speakersPerChannel` of each channel speak; the very first creates it. */
function plan(o: ResolvedOptions, i: number): Plan {
  return {
    channel: i % o.channels,
    speaker: Math.floor(i / o.channels) < o.speakersPerChannel,
    creator: i < o.channels,
  };
}

/** Runs one load test against a running server; resolves with its report. */
export async function runLoadTest(options: LoadTestOptions, hooks: LoadTestHooks = {}): Promise<LoadReport> {
  const o = resolveOptions(options);
  const signal = hooks.signal;
  const startedAt = new Date().toISOString();
  const serverVersion = await checkHealth(o.server);

  // The admin token for the server's figures: given, or by logging in; checked before anyone joins.
  let token = o.token;
  let serverSkipped: string | null = null;
  if (token === undefined && o.adminPassword !== undefined)
    token = await login(o.server, 'admin', o.adminPassword);
  if (token !== undefined) await fetchMetrics(o.server, token);
  else serverSkipped = 'no admin token (--token, $PARLEY_TOKEN or --admin-password)';

  const frames = await preEncodedFrames();
  const serverHost = new URL(o.server).hostname.replace(/^\[|\]$/g, '');
  const udpAddr =
    o.transport === 'udp' ? await lookup(o.udpTarget?.host ?? serverHost) : { address: '', family: 4 };
  const wsUrl = toWsUrl(o.server);
  const runId = randomBytes(3).toString('hex');
  const totals = new Totals();
  const participants: Participant[] = [];
  const joined: Participant[] = [];
  const speakerSet = new Set<Participant>();
  const failures: Record<string, number> = {};
  let failed = 0;

  const progress = (p: Partial<LoadProgress> & Pick<LoadProgress, 'phase'>): void =>
    hooks.onProgress?.({
      clients: o.clients,
      joined: joined.length,
      failed,
      elapsedS: 0,
      seconds: o.seconds,
      sentPerSecond: 0,
      receivedPerSecond: 0,
      lossPercent: 0,
      rttP50Ms: 0,
      ...p,
    });

  try {
    // ── join ──
    const channelIds = Array.from({ length: o.channels }, () => {
      let resolve!: (id: number) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<number>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined);
      return { promise, resolve, reject };
    });
    const joinOne = async (i: number): Promise<void> => {
      const pl = plan(o, i);
      const p = new Participant({
        index: i,
        name: `${o.namePrefix}${i}`,
        wsUrl,
        transport: o.transport,
        udpHost: udpAddr.address,
        udpFamily: udpAddr.family === 6 ? 6 : 4,
        ...(o.udpTarget === undefined ? {} : { udpPort: o.udpTarget.port }),
        totals,
        requestTimeoutMs: 15_000,
        handshakeMs: 5_000,
      });
      participants.push(p);
      const slot = channelIds[pl.channel];
      try {
        await p.connect();
        if (pl.creator) slot?.resolve(await p.createChannel(`${o.namePrefix}${runId}-${pl.channel}`));
        else await p.join(await (slot?.promise ?? Promise.reject(new Error('no channel'))));
        joined.push(p);
        if (pl.speaker) speakerSet.add(p);
      } catch (err) {
        if (pl.creator) slot?.reject(err);
        const code = (err as { code?: unknown }).code;
        const reason = typeof code === 'string' ? code : (err as Error).message;
        failures[reason] = (failures[reason] ?? 0) + 1;
        failed++;
        await p.close();
      }
      progress({ phase: 'joining' });
    };

    const joinStart = performance.now();
    const tasks: Promise<void>[] = [];
    let inFlight = 0;
    const waiters: (() => void)[] = [];
    // Bounded even when the server stops answering: no new join after this.
    const joinDeadline =
      joinStart + o.rampSeconds * 1000 + JOIN_PHASE_BASE_MS + o.clients * JOIN_PHASE_PER_CLIENT_MS;
    for (let i = 0; i < o.clients && signal?.aborted !== true; i++) {
      if (o.rampSeconds > 0) {
        const due = joinStart + (i * o.rampSeconds * 1000) / o.clients;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait, signal);
      }
      while (inFlight >= o.joinConcurrency) await new Promise<void>((r) => waiters.push(r));
      if (performance.now() > joinDeadline) {
        const left = o.clients - i;
        failures.join_phase_timeout = (failures.join_phase_timeout ?? 0) + left;
        failed += left;
        break;
      }
      inFlight++;
      tasks.push(
        joinOne(i).finally(() => {
          inFlight--;
          waiters.shift()?.();
        }),
      );
    }
    await Promise.all(tasks);
    const joinSeconds = (performance.now() - joinStart) / 1000;
    if (joined.length === 0) {
      const top = Object.entries(failures).sort((a, b) => b[1] - a[1])[0];
      throw new Error(`no participant could join${top === undefined ? '' : `: ${top[0]} (${top[1]}×)`}`);
    }

    // ── the measured window ──
    joined.sort((a, b) => a.index - b.index);
    const speakers = joined.filter((p) => speakerSet.has(p));
    speakers.forEach((s, k) => (s.frameOffset = (k * 37) % frames.length));
    for (const s of speakers) totals.senders.set(s.ssrc, s);
    const speakerSlots: Participant[][] = Array.from({ length: SLOTS }, () => []);
    speakers.forEach((s, k) => speakerSlots[k % SLOTS]?.push(s));
    const pingSlots: Participant[][] = Array.from({ length: PING_TICKS }, () => []);
    joined.forEach((p, k) => pingSlots[(k * 7) % PING_TICKS]?.push(p));

    // A metrics read that fails costs the server figures, not the run.
    const metrics = async (): Promise<ServerMetrics | null> => {
      if (token === undefined) return null;
      try {
        return await fetchMetrics(o.server, token);
      } catch (err) {
        serverSkipped = `GET /api/v1/metrics failed: ${(err as Error).message}`;
        return null;
      }
    };
    const before = await metrics();
    const udp0 = await readUdpCounters();
    const base = { ...totals, rtt: null, rttPeriod: null };
    totals.rttPeriod = [];
    const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const timeline: TimelinePoint[] = [];
    const serverPolls: { t: number; m: ServerMetrics }[] = [];
    let polling = false;
    const totalTicks = Math.round((o.seconds * 1000) / TICK_MS);
    const ticksPerSample = Math.max(1, Math.round(o.sampleMs / TICK_MS));
    let windowStart = 0;
    let lastSample = { at: 0, sent: totals.packetsSent, received: totals.packetsReceived };
    let sampleIndex = 0;

    const streamJitters = (): number[] => {
      const out: number[] = [];
      for (const p of joined) for (const st of p.streams.values()) out.push(st.jitterMs);
      return out;
    };
    const sample = (): void => {
      const now = performance.now();
      const dt = (now - lastSample.at) / 1000;
      const point: TimelinePoint = {
        t: (now - windowStart) / 1000,
        sentPerSecond: dt > 0 ? (totals.packetsSent - lastSample.sent) / dt : 0,
        receivedPerSecond: dt > 0 ? (totals.packetsReceived - lastSample.received) / dt : 0,
        rttMs: pct(percentiles(totals.rttPeriod)),
        jitterMs: pct(percentiles(streamJitters())),
      };
      totals.rttPeriod = [];
      timeline.push(point);
      lastSample = { at: now, sent: totals.packetsSent, received: totals.packetsReceived };
      if (token !== undefined && !polling) {
        polling = true;
        fetchMetrics(o.server, token)
          .then((m) => serverPolls.push({ t: (performance.now() - windowStart) / 1000, m }))
          .catch(() => undefined)
          .finally(() => (polling = false));
      }
      const expectedSoFar = expectedFrames(joined, speakers);
      progress({
        phase: 'measuring',
        elapsedS: point.t,
        sentPerSecond: point.sentPerSecond,
        receivedPerSecond: point.receivedPerSecond,
        lossPercent:
          expectedSoFar > 0
            ? Math.max(
                0,
                (100 * (expectedSoFar - (totals.audioReceived - base.audioReceived))) / expectedSoFar,
              )
            : 0,
        rttP50Ms: point.rttMs.p50,
      });
    };

    let aborted = false;
    const clock = await new Promise<FrameClock>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        c.stop();
        signal?.removeEventListener('abort', onAbort);
        resolve(c);
      };
      const onAbort = (): void => {
        aborted = true;
        finish();
      };
      const c = new FrameClock({
        periodMs: TICK_MS,
        maxLagFrames: 4 * SLOTS,
        onTick: (i) => {
          if (i >= totalTicks) return finish();
          const frame = Math.floor(i / SLOTS);
          for (const s of speakerSlots[i % SLOTS] ?? []) {
            const f = frames[(frame + s.frameOffset) % frames.length];
            if (f !== undefined) s.sendAudio(f, frame);
          }
          for (const p of pingSlots[i % PING_TICKS] ?? []) p.sendPing();
          const k = Math.floor((i + 1) / ticksPerSample);
          if (k > sampleIndex) {
            sampleIndex = k;
            sample();
          }
          if (i + 1 >= totalTicks) finish();
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      windowStart = performance.now();
      lastSample.at = windowStart;
      if (signal?.aborted === true) onAbort();
      else c.start();
    });
    const windowEnd = performance.now();
    const windowSeconds = Math.max(1e-3, (windowEnd - windowStart) / 1000);
    const cpu = process.cpuUsage(cpu0);
    loop.disable();

    // CPU over the sending window; then let the last copies arrive before counting.
    const end = await metrics();
    progress({ phase: 'draining', elapsedS: windowSeconds });
    const drainStart = performance.now();
    let seen = totals.packetsReceived;
    let quietSince = performance.now();
    while (performance.now() - drainStart < DRAIN_MAX_MS) {
      await sleep(50);
      if (totals.packetsReceived !== seen) {
        seen = totals.packetsReceived;
        quietSince = performance.now();
      } else if (performance.now() - quietSince >= DRAIN_QUIET_MS) break;
    }
    let after = before === null ? null : await metrics();
    // A stalled relay may still hold packets when the participants' side fell quiet: while the
    // two sides disagree and the counts still move, read again (bounded).
    const sent = totals.packetsSent - base.packetsSent;
    for (let k = 0; k < SETTLE_READS && before !== null && after !== null; k++) {
      const m: ServerMetrics = after;
      const received = totals.packetsReceived;
      const agree =
        m.media.packetsIn - before.media.packetsIn === sent &&
        m.media.packetsOut - before.media.packetsOut === received - base.packetsReceived;
      if (agree) break;
      await sleep(DRAIN_QUIET_MS);
      const again = await metrics();
      if (again === null) break;
      after = again;
      const moved =
        again.media.packetsIn !== m.media.packetsIn ||
        again.media.packetsOut !== m.media.packetsOut ||
        totals.packetsReceived !== received;
      if (!moved) break;
    }
    const udp1 = await readUdpCounters();

    // ── the report ──
    const received = totals.packetsReceived - base.packetsReceived;
    const framesBySpeaker = new Map(speakers.map((s) => [s.ssrc, s.framesSent]));
    let expected = 0;
    let got = 0;
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
      got += g;
      if (e > 0) {
        minRatio = Math.min(minRatio, g / e);
        maxRatio = Math.max(maxRatio, g / e);
      }
    }
    const lost = Math.max(0, expected - got);
    const server =
      before !== null && after !== null ? serverFigures(before, end ?? after, after, windowSeconds) : null;
    const rttSamples = totals.rtt.count;
    const report: LoadReport = {
      version: 1,
      startedAt,
      serverVersion,
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
        joined: joined.length,
        failed,
        failures,
        speakers: speakers.length,
        listeners: joined.length - speakers.length,
        joinSeconds,
        disconnected: totals.disconnects,
        ciphers,
      },
      window: { seconds: windowSeconds, aborted, clockSkippedTicks: clock.skipped },
      packets: {
        sent,
        received,
        sentPerSecond: sent / windowSeconds,
        receivedPerSecond: received / windowSeconds,
        audioSent: totals.audioSent - base.audioSent,
        pingsSent: totals.pingsSent - base.pingsSent,
        audioReceived: totals.audioReceived - base.audioReceived,
        pongsReceived: totals.pongsReceived - base.pongsReceived,
        helloAcksReceived: totals.helloAcksReceived - base.helloAcksReceived,
        badPackets: totals.badPackets - base.badPackets,
        sendErrors: totals.sendErrors - base.sendErrors,
      },
      loss: {
        expected,
        received: got,
        lost,
        percent: expected > 0 ? (100 * lost) / expected : 0,
        duplicates: totals.duplicates - base.duplicates,
        late: totals.late - base.late,
        tooOld: totals.tooOld - base.tooOld,
        authFailed: totals.authFailed - base.authFailed,
        lostInSeqRange,
        perParticipant: { min: Number.isFinite(minRatio) ? minRatio : 0, max: maxRatio },
      },
      jitterMs: { ...pct(percentiles(jitters)), streams: jitters.length },
      rtpJitterMs: pct(percentiles(rtpJitters)),
      latencyMs: {
        p50: totals.latency.quantile(0.5) / 1000,
        p95: totals.latency.quantile(0.95) / 1000,
        p99: totals.latency.quantile(0.99) / 1000,
        max: totals.latency.maxUs / 1000,
        samples: totals.latency.count,
      },
      rttMs: {
        p50: totals.rtt.quantile(0.5) / 1000,
        p95: totals.rtt.quantile(0.95) / 1000,
        p99: totals.rtt.quantile(0.99) / 1000,
        max: totals.rtt.maxUs / 1000,
        samples: rttSamples,
      },
      server,
      serverSkipped: server === null ? (serverSkipped ?? 'GET /api/v1/metrics failed') : null,
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
        cpuPercent: (100 * (cpu.user + cpu.system)) / (windowSeconds * 1e6),
        cpuSystemPercent: (100 * cpu.system) / (windowSeconds * 1e6),
        rssBytes: process.memoryUsage().rss,
        // The monitor's samples are whole timer intervals: take its 10 ms resolution off.
        eventLoopDelayMs: {
          p99: Math.max(0, nsToMs(loop.percentile(99)) - LOOP_RESOLUTION_MS),
          max: Math.max(0, nsToMs(loop.max) - LOOP_RESOLUTION_MS),
        },
      },
      timeline,
      serverTimeline: serverTimeline(before, serverPolls),
      hostUdp: udpDelta(udp0, udp1),
    };
    return report;
  } finally {
    progress({ phase: 'closing' });
    await Promise.all(participants.map((p) => p.close()));
  }
}

function nsToMs(ns: number): number {
  return Number.isFinite(ns) ? ns / 1e6 : 0;
}

/** Frames the participants should have had so far: each speaker's frames × the others in its channel. */
function expectedFrames(joined: Participant[], speakers: Participant[]): number {
  const members = new Map<number, number>();
  for (const p of joined) members.set(p.channelId, (members.get(p.channelId) ?? 0) + 1);
  let n = 0;
  for (const s of speakers) n += s.framesSent * ((members.get(s.channelId) ?? 1) - 1);
  return n;
}

function serverFigures(
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

function serverTimeline(
  before: ServerMetrics | null,
  polls: { t: number; m: ServerMetrics }[],
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
