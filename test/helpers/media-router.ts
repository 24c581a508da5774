/**
 * The media router without sockets, for its unit tests
 * (packages/server/src/media/*.test.ts): fake WebSocket sinks, UDP sources
 * as plain values, a client side that seals packets with a session's key,
 * and an outbox read directly.
 */
import {
  Direction,
  HELLO_NONCE_SIZE,
  HELLO_PAYLOAD_SIZE,
  InboundStream,
  OutboundStream,
  PacketType,
  parsePacket,
  sealPacket,
  type Aead,
} from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import { DEFAULT_CONFIG } from '../../packages/server/src/config.js';
import { Outbox } from '../../packages/server/src/media/outbox.js';
import {
  MediaRouter,
  type PacketSource,
  type RouteOutcome,
  type RouterMediaConfig,
  type UdpSource,
} from '../../packages/server/src/media/router.js';
import type { MediaSession } from '../../packages/server/src/media/session.js';
import type { WsSink } from '../../packages/server/src/media/ws-shell.js';

/** A WebSocket sink that keeps what it was sent; `bufferedAmount` is the test's to set. */
export class FakeWs implements WsSink {
  readonly sent: Uint8Array[] = [];
  bufferedAmount = 0;
  send(data: Uint8Array): void {
    this.sent.push(data);
  }
}

/** A 40-byte voice payload (more than DTX: it makes its sender speak). */
export const VOICE = new Uint8Array(40).fill(5);

export const udp = (address: string, port: number): UdpSource => ({ kind: 'udp', address, port });

/** What a client of session `s` sends: packets sealed with its key, on its own counters. */
export interface FakeClient {
  readonly aead: Aead;
  audio(payload?: Uint8Array, flags?: number): Uint8Array;
  /** An AUDIO packet with this extended sequence number. */
  audioAt(extSeq: number): Uint8Array;
  /** A HELLO; by default its payload is `helloPayload()`: nonce 1…8, an empty cookie. */
  hello(payload?: Uint8Array): Uint8Array;
  /** A PING with payload [9]. */
  ping(): Uint8Array;
  seal(type: PacketType, extSeq: number, payload: Uint8Array, ssrc?: number, flags?: number): Uint8Array;
  /** A HELLO_ACK or PONG the server sealed for this session, opened on the client's reply stream (throws if it does not open). */
  openReply(bytes: Uint8Array): { type: PacketType; flags: number; payload: Uint8Array };
}

/** A HELLO payload: nonce 1, 2, … 8, then `cookie` (default: zeros). */
export function helloPayload(cookie?: Uint8Array): Uint8Array {
  const p = new Uint8Array(HELLO_PAYLOAD_SIZE);
  p.set([1, 2, 3, 4, 5, 6, 7, 8]);
  if (cookie !== undefined) p.set(cookie, HELLO_NONCE_SIZE);
  return p;
}

export function clientOf(s: MediaSession): FakeClient {
  const aead = createNodeAead(s.key, s.cipher);
  const audio = new OutboundStream(100);
  const control = new OutboundStream(0);
  const replies = new InboundStream();
  const seal = (
    type: PacketType,
    extSeq: number,
    payload: Uint8Array,
    ssrc = s.ssrc,
    flags = 0,
  ): Uint8Array =>
    sealPacket(
      aead,
      Direction.ClientToServer,
      { type, flags, seq: extSeq & 0xffff, timestamp: 0, ssrc },
      extSeq,
      payload,
    );
  return {
    aead,
    audio: (payload = VOICE, flags = 0) =>
      seal(PacketType.Audio, audio.next().extSeq, payload, s.ssrc, flags),
    audioAt: (extSeq) => seal(PacketType.Audio, extSeq, VOICE),
    hello: (payload = helloPayload()) => seal(PacketType.Hello, control.next().extSeq, payload),
    ping: () => seal(PacketType.Ping, control.next().extSeq, new Uint8Array([9])),
    seal,
    openReply(bytes) {
      const view = parsePacket(bytes);
      if (!view.ok) throw new Error(view.reason);
      const opened = replies.open(aead, Direction.ServerToClient, view.value);
      if (!opened.ok) throw new Error(opened.reason);
      const { type, flags } = view.value.header;
      return { type, flags, payload: opened.value.payload.slice() };
    },
  };
}

/** A session of a RouterWorld, with its client and the UDP address it sends from. */
export interface WorldPeer {
  s: MediaSession;
  ws: FakeWs | null;
  c: FakeClient;
  from: UdpSource;
}

export interface RouterWorld {
  router: MediaRouter;
  outbox: Outbox;
  /**
   * A session in `channel`, allowed to speak; the n-th is bound to
   * 10.0.0.n:(5000 + n) unless `bound: false`, and has a WebSocket unless `ws: false`.
   */
  join(channel: number | null, opts?: { bound?: boolean; ws?: boolean }): WorldPeer;
  /** Empties the outbox, then routes (at `at`, default the world's clock). */
  route(packet: Uint8Array, source: PacketSource, at?: number): RouteOutcome;
}

/** A router (PONG time 1.7e12 ms, ssrcs from 1000) with an outbox and a clock at 1000 ms. */
export function routerWorld(media: Partial<RouterMediaConfig> = {}): RouterWorld {
  const router = new MediaRouter({
    media: { ...DEFAULT_CONFIG.media, ...media },
    wallClock: () => 1_700_000_000_000,
    firstSsrc: 1000,
  });
  const outbox = new Outbox();
  const now = 1000;
  return {
    router,
    outbox,
    join(channel, opts = {}) {
      const ws = opts.ws === false ? null : new FakeWs();
      const s = router.createSession(ws, 'chacha20-poly1305', now);
      s.canSpeak = true;
      router.setChannel(s, channel);
      const n = router.sessionCount;
      const from = udp(`10.0.0.${n}`, 5000 + n);
      if (opts.bound !== false) router.bindUdp(s, from.address, from.port);
      return { s, ws, c: clientOf(s), from };
    },
    route(packet, source, at = now) {
      outbox.clear();
      return router.route(packet, source, at, outbox);
    },
  };
}
