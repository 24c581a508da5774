/**
 * Every drop reason of stats.ts (and docs/errors.md), each with a packet
 * that the router must drop for it and count under it alone; the last
 * test checks that no reason lacks a case.
 */
import { describe, expect, it, vi } from 'vitest';
import { HELLO_NONCE_SIZE, MAX_ROC_PROBE, PacketType } from '@parley/protocol';
import {
  helloPayload,
  routerWorld,
  udp,
  VOICE,
  type RouterWorld,
} from '../../../../test/helpers/media-router.js';
import { DEFAULT_CONFIG } from '../config.js';
import type { PacketSource } from './router.js';
import { SOURCE_LIMITS } from './source-limiter.js';
import { DROP_REASONS, type DropReason } from './stats.js';

/** Every drop reason with a packet that must be dropped for it, and nothing else. */
const CASES: Record<DropReason, (w: RouterWorld) => { packet: Uint8Array; from: PacketSource }> = {
  too_short: (w) => ({ packet: new Uint8Array(27), from: w.join(1).from }),
  too_long: (w) => ({
    packet: new Uint8Array(DEFAULT_CONFIG.media.maxPacketSize + 1),
    from: w.join(1).from,
  }),
  bad_version: (w) => {
    const a = w.join(1);
    const p = a.c.audio();
    p[0] = (2 << 6) | PacketType.Audio;
    return { packet: p, from: a.from };
  },
  unknown_type: (w) => {
    const a = w.join(1);
    const p = a.c.audio();
    p[0] = (1 << 6) | 9;
    return { packet: p, from: a.from };
  },
  unknown_codec: (w) => {
    const a = w.join(1);
    return { packet: a.c.audio(VOICE, 0x40), from: a.from };
  },
  bad_ssrc: (w) => {
    const a = w.join(1);
    return { packet: a.c.seal(PacketType.Audio, 1, VOICE, 0), from: a.from };
  },
  unknown_session: (w) => {
    const a = w.join(1);
    return { packet: a.c.seal(PacketType.Audio, 1, VOICE, 4242), from: a.from };
  },
  not_bound: (w) => {
    const a = w.join(1, { bound: false });
    return { packet: a.c.audio(), from: udp('10.9.9.9', 9) };
  },
  spoofed_address: (w) => {
    const a = w.join(1);
    return { packet: a.c.audio(), from: udp('10.0.0.1', 6000) };
  },
  spoofed_session: (w) => {
    const a = w.join(1);
    const b = w.join(1);
    return { packet: a.c.audio(), from: b.s.viaWs };
  },
  source_rate_limited: (w) => {
    const a = w.join(1);
    const from = udp('10.9.9.9', 9);
    for (let i = 0; i < SOURCE_LIMITS.burst; i++) expect(w.route(a.c.hello(), from)).toBe('reply');
    return { packet: a.c.hello(), from };
  },
  bad_hello: (w) => {
    const a = w.join(1);
    return { packet: a.c.hello(new Uint8Array(HELLO_NONCE_SIZE)), from: udp('10.9.9.9', 9) };
  },
  rate_limited: (w) => {
    const a = w.join(1);
    for (let i = 0; i < DEFAULT_CONFIG.media.burstPackets; i++)
      expect(w.route(a.c.audio(), a.from)).toBe('audio');
    return { packet: a.c.audio(), from: a.from };
  },
  unexpected_type: (w) => {
    const a = w.join(1);
    return { packet: a.c.seal(PacketType.Pong, 1, VOICE), from: a.from };
  },
  auth_failed: (w) => {
    const a = w.join(1);
    const b = w.join(1);
    return { packet: b.c.seal(PacketType.Audio, 1, VOICE, a.s.ssrc), from: a.from };
  },
  replayed: (w) => {
    const a = w.join(1);
    const p = a.c.audio();
    expect(w.route(p, a.from)).toBe('audio');
    return { packet: p, from: a.from };
  },
  too_old: (w) => {
    const a = w.join(1);
    expect(w.route(a.c.audioAt(3000), a.from)).toBe('audio');
    return { packet: a.c.audioAt(1000), from: a.from };
  },
  not_in_channel: (w) => {
    const a = w.join(null);
    return { packet: a.c.audio(), from: a.from };
  },
  muted: (w) => {
    const a = w.join(1);
    w.router.setMuted(a.s, true);
    return { packet: a.c.audio(), from: a.from };
  },
  no_speak_permission: (w) => {
    const a = w.join(1);
    a.s.canSpeak = false;
    return { packet: a.c.audio(), from: a.from };
  },
};

describe('MediaRouter drops', () => {
  for (const reason of DROP_REASONS) {
    it(`counts ${reason}, sends nothing, and counts nothing else`, () => {
      const w = routerWorld();
      w.join(1); // a listener who would get any copy
      const { packet, from } = CASES[reason](w);
      const before = { ...w.router.stats.drops };
      expect(w.route(packet, from)).toBe(reason);
      expect(w.outbox.size).toBe(0);
      const after = w.router.stats.drops;
      for (const r of DROP_REASONS) expect(after[r] - before[r], r).toBe(r === reason ? 1 : 0);
    });
  }

  it('has a case for every reason in stats.ts and docs/errors.md', () => {
    expect(Object.keys(CASES).sort()).toEqual([...DROP_REASONS].sort());
  });
});

describe('MediaRouter charges a session only for what authenticates', () => {
  it('forged HELLOs with its ssrc from many addresses, and replays from its own, leave its whole allowance', () => {
    const w = routerWorld();
    const a = w.join(1);
    const b = w.join(1);
    const first = a.c.audio();
    expect(w.route(first, a.from)).toBe('audio');
    const outcomes = new Map<string, number>();
    const count = (o: string): void => void outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
    for (let i = 0; i < 2000; i++) {
      // sealed with b's key under a's ssrc: authentic to nobody
      count(w.route(b.c.seal(PacketType.Hello, i, helloPayload(), a.s.ssrc), udp(`198.51.100.${i % 20}`, 7)));
      count(w.route(first, a.from));
    }
    expect(outcomes.get('replayed')).toBe(2000);
    expect(outcomes.get('source_rate_limited')).toBe(2000 - 20 * SOURCE_LIMITS.burst);
    expect(outcomes.get('auth_failed')).toBe(20 * SOURCE_LIMITS.burst);
    // The whole burst is still there for a's own packets.
    for (let i = 1; i < DEFAULT_CONFIG.media.burstPackets; i++)
      expect(w.route(a.c.audio(), a.from)).toBe('audio');
    expect(w.route(a.c.audio(), a.from)).toBe('rate_limited');
    expect(w.router.stats.drops.rate_limited).toBe(1);
  });

  it('a forged HELLO from an unvalidated address costs one AEAD open, not the sequence probe', () => {
    const w = routerWorld();
    const a = w.join(1);
    const b = w.join(1);
    const opens = vi.spyOn(a.s.aead, 'open');
    const forged = (type: PacketType): Uint8Array => b.c.seal(type, 1, helloPayload(), a.s.ssrc);
    expect(w.route(forged(PacketType.Hello), udp('198.51.100.1', 7))).toBe('auth_failed');
    expect(opens).toHaveBeenCalledTimes(1);
    opens.mockClear();
    // From the validated address the probe stays (a client back after a long gap).
    expect(w.route(forged(PacketType.Ping), a.from)).toBe('auth_failed');
    expect(opens).toHaveBeenCalledTimes(1 + MAX_ROC_PROBE);
  });
});
