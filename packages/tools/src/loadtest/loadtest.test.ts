import { afterEach, describe, expect, it, vi } from 'vitest';
import { Direction, FRAME_SAMPLES, OutboundStream, PacketType, sealPacket } from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import { parseLoadtestArgs } from './cli.js';
import { parseSnmpUdp } from './host.js';
import { LoadTestOptionError, resolveOptions } from './options.js';
import { fetchMetrics, histogramDelta, ServerApiError, type HistogramSnapshot } from './server-metrics.js';
import { LogHistogram, RecvStream } from './stats.js';
import { MediaCore } from '@parley/client';

/** A server-style cumulative snapshot from per-bucket counts (bounds 2^(i/4) µs). */
function snapshot(counts: number[]): HistogramSnapshot {
  let cum = 0;
  const buckets: { leUs: number; count: number }[] = [];
  const total = counts.reduce((a, b) => a + b, 0);
  for (let i = 0; i < counts.length && cum < total; i++) {
    cum += counts[i] ?? 0;
    buckets.push({ leUs: Number((2 ** (i / 4)).toPrecision(4)), count: cum });
  }
  return { count: total, sumUs: 0, buckets, p50Us: 0, p95Us: 0, p99Us: 0, maxUs: 0 };
}

describe('histogramDelta (server forwarding time over the window)', () => {
  it('takes percentiles from the bucket deltas, not from the cumulative histogram', () => {
    // Before: 1,000 fast packets (bucket 8 = 4 µs). The window: 100 packets, 98 at 16 µs and 2 at 64 µs.
    const beforeCounts = Array<number>(9).fill(0);
    beforeCounts[8] = 1000;
    const afterCounts = Array<number>(25).fill(0);
    afterCounts[8] = 1000;
    afterCounts[16] = 98;
    afterCounts[24] = 2;
    const d = histogramDelta(snapshot(beforeCounts), snapshot(afterCounts));
    expect(d.count).toBe(100);
    expect(d.p50Us).toBe(16);
    expect(d.p95Us).toBe(16);
    expect(d.p99Us).toBe(64);
    expect(d.maxUs).toBe(64);
    expect(d.buckets).toEqual([
      { leUs: 16, count: 98 },
      { leUs: 64, count: 2 },
    ]);
  });

  it('handles an empty window and a first snapshot with no observations', () => {
    const s = snapshot([0, 5, 5]);
    expect(histogramDelta(s, s)).toMatchObject({ count: 0, p50Us: 0, p99Us: 0, buckets: [] });
    const d = histogramDelta(snapshot([]), s);
    expect(d.count).toBe(10);
    expect(d.p50Us).toBeCloseTo(2 ** 0.25, 3);
  });
});

describe('fetchMetrics', () => {
  afterEach(() => vi.unstubAllGlobals());
  const answer = (body: string, status = 200): void => {
    vi.stubGlobal('fetch', () => Promise.resolve(new Response(body, { status })));
  };
  const metrics = {
    uptimeS: 3,
    sessions: 0,
    process: {
      cpuUserUs: 1,
      cpuSystemUs: 1,
      rssBytes: 1,
      heapUsedBytes: 1,
      eventLoopDelayMs: { p50: 0, p99: 0, max: 0 },
    },
    media: {
      ...{ packetsIn: 0, bytesIn: 0, audioIn: 0, packetsOut: 0, bytesOut: 0, dropped: 0 },
      drops: {},
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

  it('resolves with a body that matches the metrics schema', async () => {
    answer(JSON.stringify(metrics));
    await expect(fetchMetrics('http://127.0.0.1:1', 't')).resolves.toEqual(metrics);
  });

  it('refuses a body that does not match it, or is not JSON, naming the mismatch', async () => {
    answer(JSON.stringify({ ...metrics, media: { ...metrics.media, packetsIn: '12' } }));
    const err = await fetchMetrics('http://127.0.0.1:1', 't').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerApiError);
    expect((err as Error).message).toMatch(/does not match the metrics schema: \/media\/packetsIn: /);
    answer('<html>proxy error</html>');
    await expect(fetchMetrics('http://127.0.0.1:1', 't')).rejects.toThrow(/not JSON/);
  });
});

describe('LogHistogram', () => {
  it('bounds each quantile from above within one bucket (≈ 2 %)', () => {
    const h = new LogHistogram();
    for (let us = 1; us <= 10_000; us++) h.record(us);
    for (const q of [0.5, 0.95, 0.99]) {
      const v = h.quantile(q);
      expect(v).toBeGreaterThanOrEqual(q * 10_000);
      expect(v).toBeLessThanOrEqual(q * 10_000 * 1.025);
    }
    expect(h.quantile(1)).toBe(10_000);
  });
});

describe('RecvStream', () => {
  const key = new Uint8Array(32).fill(9);
  const aead = createNodeAead(key, 'chacha20-poly1305');
  const out = new OutboundStream(65530); // wraps during the test
  const packets = Array.from({ length: 20 }, (_, i) => {
    const { seq16, extSeq } = out.next();
    return {
      extSeq,
      bytes: sealPacket(
        aead,
        Direction.ServerToClient,
        {
          type: PacketType.Audio,
          flags: 0,
          seq: seq16,
          timestamp: (0xfffffc00 + i * FRAME_SAMPLES) >>> 0,
          ssrc: 7,
        },
        extSeq,
        new Uint8Array(40).fill(i),
      ),
    };
  });

  /** The participant's path: the SDK's MediaCore opens, the RecvStream counts (one core per stream). */
  const cores = new WeakMap<RecvStream, MediaCore>();
  function feed(
    st: RecvStream,
    order: number[],
    arrival: (k: number) => number,
    sent: (i: number) => number,
  ): void {
    let core = cores.get(st);
    if (core === undefined) {
      core = new MediaCore();
      core.setKey(aead, 1);
      cores.set(st, core);
    }
    order.forEach((i, k) => {
      const p = packets[i];
      if (p === undefined) return;
      const r = core.receive(p.bytes);
      if (r.kind !== 'audio') {
        if (r.reason === 'replayed') st.duplicates++;
        return;
      }
      st.accept(r.extSeq, r.header.timestamp, arrival(k), sent(i), r.late);
    });
  }

  it('zero jitter for packets paced exactly; counts across the 16-bit wrap', () => {
    const st = new RecvStream();
    feed(
      st,
      packets.map((_, i) => i),
      (k) => 1000 + k * 20,
      (i) => 900 + i * 20,
    );
    expect(st.received).toBe(20);
    expect(st.jitterMs).toBe(0);
    expect(st.rtpJitterMs).toBe(0);
    expect(st.lostInRange).toBe(0);
    expect(st.lastSeq - st.firstSeq).toBe(19);
  });

  it('counts gaps, late and duplicate packets; jitter grows towards |D|', () => {
    const st = new RecvStream();
    // 3 lost (5, 6, 7), 9 arrives after 10, 12 twice; every other arrival 4 ms late.
    const order = [0, 1, 2, 3, 4, 8, 10, 9, 11, 12, 12, 13];
    feed(
      st,
      order,
      (k) => 1000 + k * 20 + (k % 2) * 4,
      (i) => 900 + i * 20,
    );
    expect(st.received).toBe(11);
    expect(st.duplicates).toBe(1);
    expect(st.late).toBe(1);
    expect(st.lostInRange).toBe(3);
    expect(st.jitterMs).toBeGreaterThan(0);
  });
});

describe('options', () => {
  it('defaults, environment token and admin password, --udp-via', () => {
    const p = parseLoadtestArgs(['--clients', '50', '--udp-via', '127.0.0.1:9000', '--json'], {
      PARLEY_TOKEN: 'tok',
      PARLEY_ADMIN_PASSWORD: 'pw',
    });
    expect(p.json).toBe(true);
    expect(p.options).toMatchObject({
      clients: 50,
      channels: 10,
      speakersPerChannel: 1,
      seconds: 10,
      transport: 'udp',
      rampSeconds: 0,
      udpTarget: { host: '127.0.0.1', port: 9000 },
      token: 'tok',
    });
    expect(p.options.adminPassword).toBeUndefined();
    expect(parseLoadtestArgs([], { PARLEY_ADMIN_PASSWORD: 'pw' }).options.adminPassword).toBe('pw');
    expect(parseLoadtestArgs(['--udp-via', '[::1]:7']).options.udpTarget).toEqual({ host: '::1', port: 7 });
  });

  it('refuses bad and absurd values', () => {
    for (const argv of [['--clients', 'x'], ['--udp-via', '1.2.3.4'], ['--transport', 'quic'], ['--nope']])
      expect(() => parseLoadtestArgs(argv), argv.join(' ')).toThrow(LoadTestOptionError);
    const ok = { server: 'http://127.0.0.1:1', clients: 10, channels: 2, speakersPerChannel: 1, seconds: 5 };
    expect(resolveOptions(ok).transport).toBe('udp');
    for (const bad of [
      { clients: 0 },
      { clients: 1.5 },
      { clients: 20_000 },
      { channels: 11 },
      { speakersPerChannel: 6 },
      { seconds: 0 },
      { seconds: 7200 },
      { rampSeconds: -1 },
      { server: 'ftp://x' },
      { transport: 'ws' as const, udpTarget: { host: 'h', port: 1 } },
    ])
      expect(() => resolveOptions({ ...ok, ...bad }), JSON.stringify(bad)).toThrow(LoadTestOptionError);
  });
});

it('parses the UDP counters of /proc/net/snmp', () => {
  const text =
    'Ip: Forwarding DefaultTTL\nIp: 1 64\n' +
    'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n' +
    'Udp: 5476104 11232 11049 5508110 11049 3 0 0 0\n';
  expect(parseSnmpUdp(text)).toEqual({
    inDatagrams: 5476104,
    inErrors: 11049,
    rcvbufErrors: 11049,
    sndbufErrors: 3,
  });
  expect(parseSnmpUdp('nothing')).toBeNull();
});
