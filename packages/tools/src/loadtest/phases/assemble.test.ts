import { describe, expect, it } from 'vitest';
import type { ServerMetrics } from '../server-metrics.js';
import { resolveOptions } from '../options.js';
import { LogHistogram } from '../stats.js';
import {
  assembleReport,
  expectedFrames,
  lossFigures,
  type ListenerView,
  type ReportInput,
  type SpeakerView,
  type StreamView,
} from './assemble.js';
import { serverTimeline } from './server-window.js';
import type { Counters } from './state.js';

/**
 * The report from hand-made inputs: two channels, three speakers, two
 * listeners, counters, three server snapshots. Every figure below is
 * worked out by hand from these numbers.
 */

const stream = (received: number, lostInRange = 0, jitterMs = 1, rtpJitterMs = 2): StreamView => ({
  received,
  lostInRange,
  jitterMs,
  rtpJitterMs,
});

function speaker(
  ssrc: number,
  channelId: number,
  framesSent: number,
  streams: [number, StreamView][],
): SpeakerView {
  return { ssrc, channelId, framesSent, cipher: 'chacha20-poly1305', streams: new Map(streams) };
}

// Channel 1: speakers A (100 frames) and B (50), listener C. Channel 2: speaker D (100), listener E.
const A = speaker(11, 1, 100, [[12, stream(50, 0, 1, 2)]]);
const B = speaker(12, 1, 50, [[11, stream(98, 2, 3, 4)]]);
const D = speaker(21, 2, 100, []);
const C: ListenerView = {
  channelId: 1,
  cipher: 'chacha20-poly1305',
  streams: new Map([
    [11, stream(100, 0, 5, 6)],
    [12, stream(49, 1, 7, 8)],
  ]),
};
// E also heard an ssrc that is no speaker of this run: left out of jitter and sequence-range loss.
const E: ListenerView = {
  channelId: 2,
  cipher: null,
  streams: new Map([
    [21, stream(90, 10, 9, 10)],
    [99, stream(5, 40, 500, 500)],
  ]),
};
const joined = [A, B, C, D, E];
const speakers = [A, B, D];

function counters(n: number): Counters {
  return {
    packetsSent: n,
    audioSent: n,
    pingsSent: n,
    packetsReceived: n,
    audioReceived: n,
    pongsReceived: n,
    helloAcksReceived: n,
    duplicates: n,
    late: n,
    tooOld: n,
    authFailed: n,
    badPackets: n,
    sendErrors: n,
    disconnects: n,
    guestRetries: n,
  };
}

function metrics(uptimeS: number, cpuUs: number, packetsIn: number, packetsOut: number): ServerMetrics {
  return {
    uptimeS,
    sessions: 5,
    process: {
      cpuUserUs: cpuUs,
      cpuSystemUs: cpuUs / 4,
      rssBytes: 50e6 + uptimeS,
      heapUsedBytes: 20e6,
      eventLoopDelayMs: { p50: 0, p99: uptimeS / 100, max: 1 },
    },
    media: {
      packetsIn,
      bytesIn: packetsIn * 100,
      audioIn: packetsIn - 10,
      packetsOut,
      bytesOut: packetsOut * 100,
      dropped: uptimeS > 100 ? 3 : 1,
      drops: uptimeS > 100 ? { rate_limited: 2, unknown_ssrc: 1 } : { unknown_ssrc: 1 },
      sendFailures: {},
      validation: {},
      forwardUs: { count: 0, sumUs: 0, buckets: [], p50Us: 0, p95Us: 0, p99Us: 0, maxUs: 0 },
    },
    control: {
      presenceBatches: 0,
      presenceCopies: 0,
      tooSlow: 0,
      guestsRefusedServer: 0,
      guestsRefusedAddress: 0,
    },
  };
}

function input(over: Partial<ReportInput> = {}): ReportInput {
  const latency = new LogHistogram();
  for (const us of [1000, 2000, 3000]) latency.record(us);
  const rtt = new LogHistogram();
  return {
    options: resolveOptions({
      server: 'http://127.0.0.1:1',
      clients: 6,
      channels: 2,
      speakersPerChannel: 1,
      seconds: 2,
    }),
    startedAt: '2025-01-01T00:00:00.000Z',
    serverVersion: '0.1.0',
    joined,
    speakers,
    failed: 1,
    failures: { PARLEY_ERR_TIMEOUT: 1 },
    joinSeconds: 0.5,
    counters: {
      base: counters(10),
      end: { ...counters(10), packetsSent: 510, packetsReceived: 410, disconnects: 2, guestRetries: 3 },
    },
    latencyUs: latency,
    rttUs: rtt,
    window: { seconds: 2, aborted: false, clockSkippedTicks: 0, timeline: [] },
    server: {
      before: metrics(100, 1_000_000, 1000, 2000),
      end: metrics(102, 1_400_000, 1499, 2405),
      after: metrics(103, 1_500_000, 1500, 2408),
      polls: [],
      skipped: null,
    },
    hostUdp: { before: null, after: null },
    generator: {
      cpu: { user: 300_000, system: 100_000 },
      loopDelayNs: { p99: 12e6, max: 25e6 },
      loopResolutionMs: 10,
      rssBytes: 123,
    },
    ...over,
  };
}

describe('report assembly (pure)', () => {
  it('expected frames: each speaker’s frames × the other members of its channel', () => {
    expect(expectedFrames(joined, speakers)).toBe(100 * 2 + 50 * 2 + 100 * 1);
  });

  it('loss per listener: only the other speakers of its channel, only this run’s streams', () => {
    const l = lossFigures(joined, speakers);
    // A expects B's 50, B expects A's 100, C both (150), D nobody, E D's 100.
    expect(l.expected).toBe(400);
    expect(l.received).toBe(50 + 98 + 149 + 90);
    expect(l.lostInSeqRange).toBe(0 + 2 + 0 + 1 + 10);
    expect(l.perParticipant).toEqual({ min: 0.9, max: 1 });
    expect(l.jitters.sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9]);
    expect(l.rtpJitters.sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10]);
    expect(l.ciphers).toEqual({ 'chacha20-poly1305': 4, unknown: 1 });
    expect(lossFigures([C], [])).toMatchObject({ expected: 0, perParticipant: { min: 0, max: 0 } });
  });

  it('packets, loss, generator and the cross-check against the server', () => {
    const r = assembleReport(input());
    expect(r.options).toEqual({
      server: 'http://127.0.0.1:1/',
      clients: 6,
      channels: 2,
      speakersPerChannel: 1,
      seconds: 2,
      transport: 'udp',
      rampSeconds: 0,
      udpVia: null,
    });
    expect(r.participants).toEqual({
      joined: 5,
      failed: 1,
      failures: { PARLEY_ERR_TIMEOUT: 1 },
      speakers: 3,
      listeners: 2,
      joinSeconds: 0.5,
      disconnected: 2,
      guestRetries: 3,
      ciphers: { 'chacha20-poly1305': 4, unknown: 1 },
    });
    expect(r.packets).toMatchObject({ sent: 500, received: 400, sentPerSecond: 250, receivedPerSecond: 200 });
    expect(r.packets.audioSent).toBe(0);
    expect(r.loss).toMatchObject({
      expected: 400,
      received: 387,
      lost: 13,
      percent: 3.25,
      lostInSeqRange: 13,
    });
    expect(r.jitterMs).toEqual({ p50: 5, p95: 9, p99: 9, max: 9, streams: 5 });
    expect(r.latencyMs.samples).toBe(3);
    expect(r.latencyMs.max).toBe(3);
    expect(r.rttMs).toEqual({ p50: 0, p95: 0, p99: 0, max: 0, samples: 0 });
    // Packets from before → after (the drain included), CPU and memory from before → end.
    expect(r.server).toMatchObject({
      packetsIn: 500,
      packetsInPerSecond: 250,
      audioIn: 500,
      packetsOut: 408,
      dropped: 2,
      drops: { rate_limited: 2 },
      cpuUserUs: 400_000,
      cpuSystemUs: 100_000,
      cpuPercent: 25,
      rssBytes: 50e6 + 102,
      eventLoopDelayMs: { p50: 0, p99: 1.03, max: 1 },
      sessions: 5,
    });
    expect(r.crossCheck).toEqual({
      clientSent: 500,
      serverIn: 500,
      inDifference: 0,
      clientReceived: 400,
      serverOut: 408,
      outDifference: 8,
    });
    expect(r.serverSkipped).toBeNull();
    expect(r.generator).toEqual({
      cpuPercent: 20,
      cpuSystemPercent: 5,
      rssBytes: 123,
      eventLoopDelayMs: { p99: 2, max: 15 },
    });
    expect(r.hostUdp).toBeNull();
  });

  it('without the server’s snapshots: no server figures, no cross-check, and the reason', () => {
    const none = { before: null, end: null, after: null, polls: [], skipped: 'no admin token' };
    const r = assembleReport(input({ server: none }));
    expect(r.server).toBeNull();
    expect(r.crossCheck).toBeNull();
    expect(r.serverSkipped).toBe('no admin token');
    expect(r.serverTimeline).toEqual([]);
    const failed = assembleReport(input({ server: { ...none, before: metrics(1, 0, 0, 0), skipped: null } }));
    expect(failed.serverSkipped).toBe('GET /api/v1/metrics failed');
  });

  it('without an end-of-window read, CPU is taken up to the last read', () => {
    const base = input();
    const r = assembleReport(input({ server: { ...base.server, end: null } }));
    expect(r.server?.cpuUserUs).toBe(500_000);
    expect(r.server?.rssBytes).toBe(50e6 + 103);
  });

  it('host UDP counters as differences', () => {
    const before = { inDatagrams: 10, inErrors: 1, rcvbufErrors: 1, sndbufErrors: 0 };
    const after = { inDatagrams: 110, inErrors: 3, rcvbufErrors: 2, sndbufErrors: 0 };
    expect(assembleReport(input({ hostUdp: { before, after } })).hostUdp).toEqual({
      inDatagrams: 100,
      inErrors: 2,
      rcvbufErrors: 1,
      sndbufErrors: 0,
    });
  });

  it('server timeline: rates between consecutive polls, polls with no uptime between them skipped', () => {
    const before = metrics(100, 1_000_000, 1000, 2000);
    const t = serverTimeline(before, [
      { t: 1, m: metrics(101, 1_200_000, 1250, 2200) },
      { t: 1.1, m: metrics(101, 1_300_000, 1300, 2300) },
      { t: 2, m: metrics(102, 1_400_000, 1500, 2400) },
    ]);
    expect(t).toEqual([
      { t: 1, packetsInPerSecond: 250, packetsOutPerSecond: 200, cpuPercent: 25, rssBytes: 50e6 + 101 },
      { t: 2, packetsInPerSecond: 250, packetsOutPerSecond: 200, cpuPercent: 25, rssBytes: 50e6 + 102 },
    ]);
  });
});
