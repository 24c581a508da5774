import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './histogram.js';
import { checkServerMetrics, type MediaMetrics, type ServerMetrics } from './metrics.js';

function body(): ServerMetrics {
  const h = new LatencyHistogram();
  for (const us of [12, 15, 40, 900]) h.record(us);
  const media: MediaMetrics<'replayed' | 'muted', 'udp_send_error'> = {
    packetsIn: 10,
    bytesIn: 1200,
    audioIn: 8,
    packetsOut: 16,
    bytesOut: 1900,
    dropped: 2,
    drops: { replayed: 1, muted: 1 },
    sendFailures: { udp_send_error: 0 },
    validation: { challenges: 1, validated: 1 },
    forwardUs: h.snapshot(),
  };
  return {
    uptimeS: 12.5,
    sessions: 3,
    process: {
      cpuUserUs: 250_000,
      cpuSystemUs: 40_000,
      rssBytes: 80e6,
      heapUsedBytes: 20e6,
      eventLoopDelayMs: { p50: 0.1, p99: 1.2, max: 3 },
    },
    media,
    control: {
      presenceBatches: 4,
      presenceCopies: 9,
      tooSlow: 0,
      guestsRefusedServer: 0,
      guestsRefusedAddress: 1,
    },
  };
}

/** Why the body is refused (null when accepted). */
function refusal(v: unknown): string | null {
  const r = checkServerMetrics(v);
  return r.ok ? null : r.reason;
}

describe('checkServerMetrics (GET /api/v1/metrics body)', () => {
  it('accepts a server-shaped body, and fields it does not know (newer servers add some)', () => {
    const b = body();
    expect(checkServerMetrics(b)).toEqual({ ok: true, value: b });
    const newer = { ...b, build: 'x', media: { ...b.media, drops: { ...b.media.drops, new_reason: 4 } } };
    expect(checkServerMetrics(newer).ok).toBe(true);
  });

  it('rejects a missing, mistyped or negative figure, naming where', () => {
    const { media, ...noMedia } = body();
    expect(media.audioIn).toBe(8);
    expect(refusal(noMedia)).toMatch(/^\/media: /);

    const b = body();
    const mistyped = { ...b, process: { ...b.process, rssBytes: '80 MB' } };
    expect(refusal(mistyped)).toMatch(/^\/process\/rssBytes: /);

    const negative = { ...b, media: { ...b.media, drops: { replayed: -1 } } };
    expect(refusal(negative)).toMatch(/^\/media\/drops\/replayed: /);

    const badBucket = {
      ...b,
      media: { ...b.media, forwardUs: { ...b.media.forwardUs, buckets: [{ leUs: 1 }] } },
    };
    expect(refusal(badBucket)).toMatch(/^\/media\/forwardUs\/buckets\/0\/count: /);
  });

  it('rejects what is not an object at all', () => {
    for (const v of [null, 'ok', 42, [], '<html>']) expect(refusal(v)).toMatch(/^\(body\): /);
  });
});
