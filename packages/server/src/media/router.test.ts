/**
 * Every drop reason of stats.ts (and docs/errors.md), each with a packet
 * that the router must drop for it and count under it alone; the last
 * test checks that no reason lacks a case.
 */
import { describe, expect, it } from 'vitest';
import { PacketType } from '@parley/protocol';
import { routerWorld, udp, VOICE, type RouterWorld } from '../../../../test/helpers/media-router.js';
import { DEFAULT_CONFIG } from '../config.js';
import type { PacketSource } from './router.js';
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
