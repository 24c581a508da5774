/**
 * A seeded fuzz test of the media router: arbitrary byte strings, valid
 * packets from several sessions sent from the right and the wrong source,
 * mutated, truncated and replayed copies of them, HELLOs and PINGs, fresh
 * HELLOs copied ahead of the genuine ones from a stranger's address (an
 * on-path copier: the session may move there, then back), and channel
 * moves, mutes and deafens in between. After every packet:
 * the router did not throw, its outcome was counted under exactly that
 * reason, and every copy in the outbox opens with its recipient's key,
 * carries a payload a session really sealed, and goes to a listening
 * member of the sender's channel (a reply: to the sender itself). Address
 * validation: audio goes over UDP only to an address that proved it
 * receives (it echoed a cookie, or the test bound it), and a HELLO is never
 * answered with more bytes than it had.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Aead,
  Direction,
  HELLO_ACK_VALIDATE,
  HELLO_NONCE_SIZE,
  HELLO_PAYLOAD_SIZE,
  InboundStream,
  OutboundStream,
  PacketType,
  parsePacket,
  sealPacket,
} from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import { DEFAULT_CONFIG } from '../config.js';
import { Outbox } from './outbox.js';
import { MediaRouter, type PacketSource, type UdpSource } from './router.js';
import type { MediaSession } from './session.js';
import { DROP_REASONS } from './stats.js';
import type { WsSink } from './ws-shell.js';

const SESSIONS = 6;
const sink: WsSink = { send: () => undefined, bufferedAmount: 0 };

/** Where a packet is sent from: its session's own source, another session's, or a stranger's address. */
const arbFrom = fc.oneof(
  { arbitrary: fc.constant({ kind: 'own' as const }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('other' as const), i: fc.nat(SESSIONS - 1) }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'stranger' as const }), weight: 1 },
);
type From = typeof arbFrom extends fc.Arbitrary<infer T> ? T : never;

/** True one time in four. */
const rarely = fc.nat(3).map((n) => n === 0);

const arbOp = fc.oneof(
  fc.record({
    op: fc.constant('bytes' as const),
    bytes: fc.uint8Array({ maxLength: 1300 }),
    i: fc.nat(SESSIONS - 1),
    from: arbFrom,
  }),
  fc.record({
    op: fc.constant('header' as const),
    tail: fc.uint8Array({ maxLength: 200 }),
    type: fc.nat(7),
    i: fc.nat(SESSIONS - 1),
    from: arbFrom,
  }),
  {
    arbitrary: fc.record({
      op: fc.constant('audio' as const),
      i: fc.nat(SESSIONS - 1),
      len: fc.nat(120),
      from: arbFrom,
    }),
    weight: 6,
  },
  fc.record({
    op: fc.constant('mutate' as const),
    i: fc.nat(SESSIONS - 1),
    at: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
    cut: fc.nat(40),
    from: arbFrom,
  }),
  fc.record({ op: fc.constant('replay' as const), k: fc.nat(), from: arbFrom }),
  {
    // An on-path copier: a session's fresh HELLO (echoing the stranger's cookie, if any) from the stranger first…
    arbitrary: fc.record({ op: fc.constant('race' as const), i: fc.nat(2), echo: fc.boolean() }),
    weight: 2,
  },
  // …and the genuine one later, from the session's own address.
  { arbitrary: fc.record({ op: fc.constant('deliver' as const), k: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant('control' as const),
      i: fc.nat(SESSIONS - 1),
      hello: fc.boolean(),
      /** Echo the cookie last received for this source (if any). */
      echo: rarely.map((no) => !no),
      /** A HELLO too short to carry a cookie. */
      short: rarely,
      from: arbFrom,
    }),
    weight: 4,
  },
  fc.record({ op: fc.constant('move' as const), i: fc.nat(SESSIONS - 1), to: fc.constantFrom(1, 2, null) }),
  fc.record({
    op: fc.constant('flags' as const),
    i: fc.nat(SESSIONS - 1),
    muted: rarely,
    deafened: rarely,
    canSpeak: rarely.map((no) => !no),
  }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.nat(2000) }),
);

interface Peer {
  s: MediaSession;
  aead: Aead;
  audio: OutboundStream;
  control: OutboundStream;
  /** The UDP address it sends from (its HELLO binds it). */
  addr: UdpSource;
  /** Client-side receive streams: per sender ssrc for audio, and its own replies. */
  inbound: Map<number, InboundStream>;
  /** The last cookie received for each source address (`address:port`). */
  cookies: Map<string, Uint8Array>;
}

type Op = typeof arbOp extends fc.Arbitrary<infer T> ? T : never;

function run(ops: Op[]): void {
  const router = new MediaRouter({ media: { ...DEFAULT_CONFIG.media, burstPackets: 40 }, firstSsrc: 77 });
  const outbox = new Outbox();
  let now = 0;
  const peers: Peer[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const s = router.createSession(i % 2 === 0 ? sink : null, 'chacha20-poly1305', now);
    s.canSpeak = true;
    router.setChannel(s, i < 4 ? 1 : i === 4 ? 2 : null);
    const peer = {
      s,
      aead: createNodeAead(s.key, s.cipher),
      audio: new OutboundStream(),
      control: new OutboundStream(),
      addr: { kind: 'udp' as const, address: `10.0.0.${i}`, port: 4000 + i },
      inbound: new Map<number, InboundStream>(),
      cookies: new Map<string, Uint8Array>(),
    };
    peers.push(peer);
    // Sessions 0–2 bind over UDP; 3–5 use the WebSocket only (3 and 5 have none: nothing reaches them).
    if (i < 3) router.bindUdp(s, peer.addr.address, peer.addr.port);
  }
  /** Addresses that proved they receive, by `ssrc|address:port`: bound by the test, or a cookie echoed. */
  const validated = new Set<string>(
    peers.slice(0, 3).map((p) => `${p.s.ssrc}|${p.addr.address}:${p.addr.port}`),
  );
  /** Payloads really sealed by a session, by `ssrc:extSeq` (audio) — what a forwarded copy may carry. */
  const sealed = new Map<string, Uint8Array>();
  const history: Uint8Array[] = [];
  /** Genuine HELLOs whose copy went ahead from the stranger, not yet delivered from their own address. */
  const held: { packet: Uint8Array; from: UdpSource }[] = [];
  let routed = 0;
  let answered = 0;
  const stranger: UdpSource = { kind: 'udp', address: '203.0.113.7', port: 666 };
  const peer = (i: number): Peer => peers[i]!;
  const sourceOf = (i: number, from: From): PacketSource => {
    const p = from.kind === 'other' ? peer(from.i) : peer(i);
    if (from.kind === 'stranger') return stranger;
    return p.s.udpTarget !== null || p.s.ws === null ? p.addr : p.s.viaWs;
  };
  const sealAudio = (p: Peer, len: number): Uint8Array => {
    const { seq16, extSeq } = p.audio.next();
    const payload = Uint8Array.from({ length: len }, (_, k) => (extSeq + k * 31) & 0xff);
    sealed.set(`${p.s.ssrc}:${extSeq}`, payload);
    const h = { type: PacketType.Audio, flags: 0, seq: seq16, timestamp: extSeq * 960, ssrc: p.s.ssrc };
    return sealPacket(p.aead, Direction.ClientToServer, h, extSeq, payload);
  };

  for (const o of ops) {
    let packet: Uint8Array;
    let source: PacketSource;
    switch (o.op) {
      case 'move':
        router.setChannel(peer(o.i).s, o.to);
        continue;
      case 'flags':
        router.setMuted(peer(o.i).s, o.muted);
        peer(o.i).s.deafened = o.deafened;
        peer(o.i).s.canSpeak = o.canSpeak;
        continue;
      case 'tick':
        now += o.ms;
        continue;
      case 'bytes':
        [packet, source] = [o.bytes, sourceOf(o.i, o.from)];
        break;
      case 'header': {
        // A plausible header for a real session, then garbage.
        packet = new Uint8Array(12 + o.tail.length);
        packet.set([0x40 | o.type, 0, 0, 1, 0, 0, 0, 0], 0);
        new DataView(packet.buffer).setUint32(8, peer(o.i).s.ssrc);
        packet.set(o.tail, 12);
        source = sourceOf(o.i, o.from);
        break;
      }
      case 'audio':
        [packet, source] = [sealAudio(peer(o.i), o.len), sourceOf(o.i, o.from)];
        break;
      case 'mutate': {
        const good = sealAudio(peer(o.i), 30);
        packet = good.slice(0, Math.max(0, good.length - o.cut));
        if (packet.length > 0) packet[o.at % packet.length]! ^= o.xor;
        source = sourceOf(o.i, o.from);
        break;
      }
      case 'replay': {
        if (history.length === 0) continue;
        packet = history[o.k % history.length]!;
        const ssrc = packet.length >= 12 ? new DataView(packet.buffer, packet.byteOffset).getUint32(8) : 0;
        const i = peers.findIndex((p) => p.s.ssrc === ssrc);
        source = sourceOf(Math.max(0, i), o.from);
        break;
      }
      case 'race':
      case 'control': {
        const race = o.op === 'race';
        const p = peer(o.i);
        source = race ? stranger : sourceOf(o.i, o.from);
        let payload = new Uint8Array(HELLO_PAYLOAD_SIZE);
        payload[0] = p.control.peek() & 0xff;
        const cookie = source.kind === 'udp' ? p.cookies.get(`${source.address}:${source.port}`) : undefined;
        if (o.echo && cookie !== undefined) payload.set(cookie, HELLO_NONCE_SIZE);
        if (!race && o.short) payload = payload.subarray(0, HELLO_NONCE_SIZE);
        const hello = race || o.hello;
        const { seq16, extSeq } = p.control.next();
        const h = {
          type: hello ? PacketType.Hello : PacketType.Ping,
          flags: 0,
          seq: seq16,
          timestamp: 0,
          ssrc: p.s.ssrc,
        };
        packet = sealPacket(
          p.aead,
          Direction.ClientToServer,
          h,
          extSeq,
          hello ? payload : payload.subarray(0, 1),
        );
        if (race) held.push({ packet, from: p.addr });
        break;
      }
      case 'deliver': {
        if (held.length === 0) continue;
        [{ packet, from: source }] = held.splice(o.k % held.length, 1) as [
          { packet: Uint8Array; from: UdpSource },
        ];
        break;
      }
    }
    history.push(packet);

    // Who may get a copy, as the router must see it before the packet.
    const drops0 = { ...router.stats.drops };
    const audio0 = router.stats.audioIn;
    outbox.clear();
    const outcome = router.route(packet, source, now, outbox);

    // Counted under exactly the reason returned.
    const drops = router.stats.drops;
    for (const r of DROP_REASONS) expect(drops[r] - drops0[r]).toBe(r === outcome ? 1 : 0);
    expect(router.stats.audioIn - audio0).toBe(outcome === 'audio' ? 1 : 0);
    routed++;
    if (outcome !== 'audio' && outcome !== 'reply') {
      expect(DROP_REASONS).toContain(outcome);
      expect(outbox.size).toBe(0);
      continue;
    }
    answered += outcome === 'reply' ? 1 : 0;
    const view = parsePacket(packet);
    if (!view.ok) throw new Error(`routed a packet the codec rejects: ${view.reason}`);
    const sender = peers.find((p) => p.s.ssrc === view.value.header.ssrc)!;
    const copies = [
      ...outbox.udp.slice(0, outbox.udpCount).map((c) => ({ to: c.session!, bytes: c.bytes, udp: c.to })),
      ...outbox.ws.slice(0, outbox.wsCount).map((c) => ({ to: c.session!, bytes: c.bytes, udp: null })),
    ];
    if (outcome === 'reply') {
      // To the sender: where a UDP request came from, else the way its audio goes.
      expect(copies).toHaveLength(
        sender.s.udpTarget !== null || sender.s.ws !== null || source.kind === 'udp' ? 1 : 0,
      );
      for (const c of copies) {
        expect(c.to).toBe(sender.s);
        const want = source.kind === 'udp' ? source : sender.s.udpTarget;
        expect(c.udp === null ? null : [c.udp.address, c.udp.port]).toEqual(
          want === null ? null : [want.address, want.port],
        );
      }
    } else {
      const room = sender.s.room!;
      const listeners = room.members.filter(
        (m) => m !== sender.s && !m.deafened && (m.udpTarget !== null || m.ws !== null),
      );
      expect(copies.map((c) => c.to).sort((a, b) => a.ssrc - b.ssrc)).toEqual(
        listeners.sort((a, b) => a.ssrc - b.ssrc),
      );
    }
    for (const c of copies) {
      const to = peers.find((p) => p.s === c.to)!;
      // Another channel's listener never appears; UDP copies go to the bound address, WebSocket ones to the unbound.
      if (outcome === 'audio') {
        expect(to.s.room).toBe(sender.s.room);
        const t = to.s.udpTarget;
        if (c.udp === null) expect(t).toBeNull();
        else {
          expect(t && [t.address, t.port]).toEqual([c.udp.address, c.udp.port]);
          expect(validated.has(`${to.s.ssrc}|${c.udp.address}:${c.udp.port}`)).toBe(true);
        }
      }
      const cv = parsePacket(c.bytes);
      if (!cv.ok) throw new Error(cv.reason);
      const key = outcome === 'audio' ? sender.s.ssrc : -1;
      let stream = to.inbound.get(key);
      if (stream === undefined) to.inbound.set(key, (stream = new InboundStream()));
      const opened = stream.open(to.aead, Direction.ServerToClient, cv.value);
      if (!opened.ok) throw new Error(`a copy did not open with its recipient's key: ${opened.reason}`);
      if (outcome === 'audio') {
        expect(opened.value.payload).toEqual(sealed.get(`${sender.s.ssrc}:${opened.value.extSeq}`));
      } else if (cv.value.header.type === PacketType.HelloAck) {
        // No amplification: never more bytes back than the HELLO had.
        expect(c.bytes.length).toBeLessThanOrEqual(packet.length);
        if (c.udp !== null && source.kind === 'udp') {
          const where = `${c.udp.address}:${c.udp.port}`;
          if ((cv.value.header.flags & HELLO_ACK_VALIDATE) !== 0) {
            to.cookies.set(where, opened.value.payload.slice(HELLO_NONCE_SIZE));
          } else {
            validated.add(`${to.s.ssrc}|${where}`);
          }
        }
      }
    }
  }
  // Every packet is accounted for exactly once: routed audio, a reply, or one drop.
  const st = router.stats;
  expect(st.packetsIn).toBe(routed);
  expect(st.dropped + st.audioIn + answered).toBe(routed);
  totals.challenges += st.validation.challenges;
  totals.validated += st.validation.validated;
  totals.reverted += st.validation.reverted + st.validation.reverted_by_copy;
  totals.sourceLimited += st.drops.source_rate_limited + st.drops.bad_hello;
}

/** Over every run: the address validation and the per-source limit were exercised. */
const totals = { challenges: 0, validated: 0, reverted: 0, sourceLimited: 0 };

describe('MediaRouter fuzz', () => {
  it('never throws, counts every drop by reason, and forwards only authenticated audio to listening members of the channel', () => {
    fc.assert(
      fc.property(fc.array(arbOp, { minLength: 10, maxLength: 100 }), (ops) => run(ops)),
      { seed: 0x5eed_0009, numRuns: 200 },
    );
    expect(totals.challenges).toBeGreaterThan(50);
    expect(totals.validated).toBeGreaterThan(3);
    expect(totals.sourceLimited).toBeGreaterThan(0);
    expect(totals.reverted).toBeGreaterThan(3);
  });
});
