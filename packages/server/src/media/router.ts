import { limitKey } from '../net/ip.js';
import { EventEmitter } from 'node:events';
import {
  DEFAULT_CIPHER,
  type Cipher,
  Direction,
  HEADER_SIZE,
  HELLO_ACK_VALIDATE,
  HELLO_NONCE_SIZE,
  HELLO_PAYLOAD_SIZE,
  type InboundStream,
  MAX_ROC_PROBE,
  PacketType,
  TAG_SIZE,
  readHeaderInto,
  sealPacket,
  sealPacketWithHeader,
  type MediaHeader,
  type MediaPacketView,
} from '@parley/protocol';
import type { ParleyConfig } from '../config.js';
import { CookieJar } from './cookie.js';
import type { Outbox } from './outbox.js';
import { type BoundAddress, MediaSession, type PreviousAddress, type WsSource } from './session.js';
import { SOURCE_LIMITS, SourceLimiter, type SourceLimits } from './source-limiter.js';
import type { WsSink } from './ws-shell.js';
import { type DropReason, MediaStats } from './stats.js';
import { SessionTable } from './session-table.js';

/** The source of a UDP datagram. The UDP shell reuses one object, rewriting address and port per datagram. */
export interface UdpSource {
  readonly kind: 'udp';
  address: string;
  port: number;
}

/** Where a packet came from: a UDP address, or a session's authenticated WebSocket (`session.viaWs`). */
export type PacketSource = UdpSource | WsSource;

/**
 * What `route` did with a packet: routed audio to the channel (`audio`),
 * answered a HELLO or PING (`reply`), or dropped it, counted under the
 * reason returned.
 */
export type RouteOutcome = 'audio' | 'reply' | DropReason;

/** Typed events of the router. */
export interface MediaRouterEvents {
  /** A session started or stopped speaking in `channelId` (edge-triggered). */
  speaking: [session: MediaSession, speaking: boolean, channelId: number];
  /**
   * A session's UDP address is now bound, or moved: it proved its key and
   * that it receives there, or it went back to the address it had moved from.
   */
  bound: [session: MediaSession];
}

/** The media settings the router reads. */
export type RouterMediaConfig = Pick<
  ParleyConfig['media'],
  'maxPacketSize' | 'maxPacketsPerSecond' | 'burstPackets' | 'speakingHoldMs'
>;

export interface MediaRouterOptions {
  media: RouterMediaConfig;
  /** Wall clock in milliseconds since the epoch, for PONG's server time (default `Date.now`). */
  wallClock?: () => number;
  /** The first ssrc handed out (default: random); later ones count up from it. */
  firstSsrc?: number;
  /** The limit on packets from sources that are not their session's validated address (default SOURCE_LIMITS). */
  sourceLimits?: Readonly<SourceLimits>;
  /** The address-validation cookies' secret (default: 32 random bytes). */
  cookieSecret?: Uint8Array;
}

/** How often idle sources are forgotten (`sweep`). */
const SOURCE_SWEEP_MS = 1000;

/** Audio payloads at most this long are Opus DTX/comfort frames, not speech. */
const DTX_MAX_BYTES = 2;

/**
 * The media router, with no I/O: it alone owns the media sessions and
 * channel membership. `route` parses a packet into a reused header, checks
 * its source, opens it with the sender's key and seals one copy per
 * listening member of the sender's channel into a reused Outbox (HELLO and
 * PING: their reply); any other packet is counted in `stats.drops` under
 * the one reason `route` returns. The transports send what the outbox
 * holds (UdpShell, WsShell); the caller's timer calls `sweep(now)`.
 *
 * Hot path rules: no logging, no awaiting, no per-packet closures or
 * objects beyond the sealed copies (pooled by `allocPacket`); payloads are
 * `subarray` views of the received buffer.
 */
export class MediaRouter extends EventEmitter<MediaRouterEvents> {
  readonly stats = new MediaStats();
  private readonly table: SessionTable;
  private readonly media: RouterMediaConfig;
  private readonly wallClock: () => number;
  /** Reused parse target: the hot path allocates no header objects. */
  private readonly hdr: MediaHeader = { type: PacketType.Audio, flags: 0, seq: 0, timestamp: 0, ssrc: 0 };
  private readonly view: MediaPacketView;
  /** Of the packet being routed: wraps of the sequence probed when opening it (none for one nobody vouches for yet)… */
  private probe = MAX_ROC_PROBE;
  /** …and, when it comes from the address its session moved away from, that address. */
  private previous: PreviousAddress | null = null;
  private readonly sources: SourceLimiter;
  private readonly cookies: CookieJar;
  private sourcesSweptAt = 0;

  constructor(opts: MediaRouterOptions) {
    super();
    this.media = opts.media;
    this.wallClock = opts.wallClock ?? Date.now;
    this.table = new SessionTable(opts.firstSsrc);
    this.sources = new SourceLimiter(opts.sourceLimits ?? SOURCE_LIMITS);
    this.cookies = new CookieJar(opts.cookieSecret);
    this.view = { header: this.hdr, headerBytes: new Uint8Array(0), sealed: new Uint8Array(0) };
  }

  /** Creates a session with a fresh ssrc and key; `now` starts its rate limiter. */
  createSession(ws: WsSink | null, cipher: Cipher = DEFAULT_CIPHER, now = 0): MediaSession {
    const s = new MediaSession({
      ssrc: this.table.freeSsrc(),
      ws,
      cipher,
      ratePerSecond: this.media.maxPacketsPerSecond,
      burst: this.media.burstPackets,
      now,
    });
    this.table.add(s);
    return s;
  }

  /** Takes a session out of its channel and out of routing; idempotent. */
  removeSession(s: MediaSession): void {
    if (s.closed) return;
    this.setChannel(s, null);
    s.closed = true;
    this.table.delete(s);
  }

  /** The session with this ssrc, if any. */
  session(ssrc: number): MediaSession | undefined {
    return this.table.get(ssrc);
  }

  /** Sessions that exist, in a channel or not. */
  get sessionCount(): number {
    return this.table.size;
  }

  /**
   * Moves a session into a channel (or out of every channel with null). A
   * speaker stops speaking first: `speaking` (false) goes to the channel it
   * left, which no longer counts it among its members.
   */
  setChannel(s: MediaSession, channelId: number | null): void {
    if (s.channelId === channelId) return;
    const from = this.table.leave(s);
    if (from !== null) this.setSpeaking(s, false, from.id);
    if (channelId !== null) this.table.join(s, channelId);
  }

  /** Mutes or unmutes a session's sending; muting ends its speaking. */
  setMuted(s: MediaSession, muted: boolean): void {
    s.muted = muted;
    const room = s.room;
    if (muted && room !== null) this.setSpeaking(s, false, room.id);
  }

  /**
   * Binds a session's UDP address without a handshake (as a validated
   * HELLO from there does: for tests and benchmarks); false when it was
   * already bound there.
   */
  bindUdp(s: MediaSession, address: string, port: number): boolean {
    const b = s.udp;
    if (b.kind === 'bound' && b.address === address && b.port === port) return false;
    s.udp = { kind: 'bound', address, port, previous: null };
    this.emit('bound', s);
    return true;
  }

  /** The members of a channel in the order they came in (a live view: copy it to keep it). */
  membersOf(channelId: number): readonly MediaSession[] {
    return this.table.members(channelId);
  }

  /** How many sessions are in a channel. */
  memberCount(channelId: number): number {
    return this.table.members(channelId).length;
  }

  /**
   * Routes one received packet; the copies to send are added to `outbox`
   * (which the caller empties after sending). `now` is the monotonic clock
   * in milliseconds (rate limit, speaking). Never throws on hostile bytes.
   */
  route(packet: Uint8Array, source: PacketSource, now: number, outbox: Outbox): RouteOutcome {
    const stats = this.stats;
    stats.packetsIn++;
    stats.bytesIn += packet.length;
    const hdr = this.hdr;
    const rejection = readHeaderInto(packet, hdr, this.media.maxPacketSize);
    if (rejection !== undefined) return this.drop(rejection);
    const s = this.table.get(hdr.ssrc);
    if (s === undefined) return this.drop('unknown_session');
    this.probe = MAX_ROC_PROBE;
    this.previous = null;
    if (source.kind === 'ws') {
      if (source.session !== s) return this.drop('spoofed_session');
    } else {
      const b = s.udp;
      const to = b.kind === 'bound' ? b : b.kind === 'validating' ? b.via : null;
      if (to === null || !isAt(to, source)) {
        const prev = to === null ? null : to.previous;
        if (prev !== null && isAt(prev.binding, source)) {
          // The HELLO that made the move, again from the address left: one of the two was a copy.
          if (this.hdr.type === PacketType.Hello && endsWith(packet, prev.movedBy))
            this.moveBack(s, prev, true);
          else this.previous = prev;
        } else {
          const refused = this.checkNewSource(to, packet.length, source, now);
          if (refused !== undefined) return this.drop(refused);
        }
        this.probe = 0; // one AEAD open at most
      }
    }
    // Checked before the opening, spent only after it: forged or replayed packets cost the session nothing.
    if (!s.bucket.ready(now)) return this.drop('rate_limited');
    const view = this.view;
    view.headerBytes = packet.subarray(0, HEADER_SIZE);
    view.sealed = packet.subarray(HEADER_SIZE);
    switch (hdr.type) {
      case PacketType.Audio:
        return this.routeAudio(s, now, outbox);
      case PacketType.Hello:
      case PacketType.Ping:
        return this.answer(s, source, now, outbox);
      default:
        return this.drop('unexpected_type');
    }
  }

  /** Ends the speaking of every session silent for longer than `speakingHoldMs`; the caller's timer calls it. */
  sweep(now: number): void {
    if (now - this.sourcesSweptAt >= SOURCE_SWEEP_MS) {
      this.sourcesSweptAt = now;
      this.sources.forgetIdle(now);
    }
    const hold = this.media.speakingHoldMs;
    for (const s of this.table.all()) {
      const room = s.room;
      if (s.speaking && room !== null && now - s.lastVoiceAt > hold) this.setSpeaking(s, false, room.id);
    }
  }

  /** Removes every session, then every listener (a closed router emits nothing more); idempotent. */
  close(): void {
    for (const s of [...this.table.all()]) this.removeSession(s);
    this.removeAllListeners();
  }

  /**
   * A UDP datagram from an address that is not its session's validated one
   * (`to`): only a HELLO may come from there, one large enough to carry a
   * cookie (its answer must not be larger than itself: `bad_hello`), and
   * within its source address's own limit, before any cryptography
   * (`source_rate_limited`). Nothing here is charged to the session.
   */
  private checkNewSource(
    to: BoundAddress | null,
    length: number,
    source: UdpSource,
    now: number,
  ): DropReason | undefined {
    if (this.hdr.type !== PacketType.Hello) return to === null ? 'not_bound' : 'spoofed_address';
    if (length - HEADER_SIZE - TAG_SIZE < HELLO_PAYLOAD_SIZE) return 'bad_hello';
    if (!this.sources.take(limitKey(source.address), now)) return 'source_rate_limited';
    return undefined;
  }

  /** Opens, checks and seals one audio packet for every listening member. */
  private routeAudio(s: MediaSession, now: number, outbox: Outbox): RouteOutcome {
    const opened = this.openFrom(s, s.audioIn);
    if (typeof opened === 'string') return this.drop(opened);
    const room = s.room;
    if (room === null) return this.drop('not_in_channel');
    if (s.muted) return this.drop('muted');
    if (!s.canSpeak) return this.drop('no_speak_permission');
    this.stats.audioIn++;
    const { extSeq, payload } = opened;
    if (payload.length > DTX_MAX_BYTES) {
      s.lastVoiceAt = now;
      if (!s.speaking) this.setSpeaking(s, true, room.id);
    }
    const headerBytes = this.view.headerBytes;
    const ssrc = this.hdr.ssrc;
    const members = room.members;
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      if (m === s || m.deafened) continue;
      const b = m.udp;
      const to = b.kind === 'bound' ? b : b.kind === 'validating' ? b.via : null;
      if (to === null && m.ws === null) continue; // nowhere to send it
      const out = sealPacketWithHeader(
        m.aead,
        Direction.ServerToClient,
        headerBytes,
        PacketType.Audio,
        ssrc,
        extSeq,
        payload,
      );
      if (to !== null) outbox.addUdp(m, to, out);
      else outbox.addWs(m, out);
    }
    return 'audio';
  }

  /**
   * HELLO and PING get a sealed HELLO_ACK / PONG. A HELLO over UDP from the
   * session's validated address binds it there; from another address it
   * binds only with a valid cookie, else it is answered with a challenge
   * (docs/protocol.md, "Address validation").
   */
  private answer(s: MediaSession, source: PacketSource, now: number, outbox: Outbox): RouteOutcome {
    const opened = this.openFrom(s, s.controlIn);
    if (typeof opened === 'string') return this.drop(opened);
    const isHello = this.hdr.type === PacketType.Hello;
    const { payload } = opened;
    let reply: Uint8Array;
    let flags = 0;
    if (isHello) {
      reply = payload;
      if (source.kind === 'udp' && !this.helloFrom(s, source, payload, now)) {
        reply = this.challenge(s, source, payload, now);
        flags = HELLO_ACK_VALIDATE;
      }
    } else {
      reply = new Uint8Array(payload.length + 8);
      reply.set(payload, 0);
      new DataView(reply.buffer).setBigUint64(payload.length, BigInt(Math.round(this.wallClock() * 1000)));
    }
    const { seq16, extSeq } = s.replyOut.next();
    const type = isHello ? PacketType.HelloAck : PacketType.Pong;
    const out = sealPacket(
      s.aead,
      Direction.ServerToClient,
      { type, flags, seq: seq16, timestamp: 0, ssrc: s.ssrc },
      extSeq,
      reply,
    );
    // A UDP request is answered where it came from; a WebSocket one the way the session's audio goes.
    const to = s.udpTarget;
    if (source.kind === 'udp') outbox.addUdp(s, source, out);
    else if (to !== null) outbox.addUdp(s, to, out);
    else if (s.ws !== null) outbox.addWs(s, out);
    return 'reply';
  }

  /**
   * An authenticated HELLO over UDP: binds the session to its source when
   * that is the validated address (a `validating` session goes back to it)
   * or the HELLO echoes a valid cookie for it. False: it needs a challenge.
   */
  private helloFrom(s: MediaSession, source: UdpSource, payload: Uint8Array, now: number): boolean {
    const to = s.udpTarget;
    if (to !== null && isAt(to, source)) {
      if (s.udp !== to) s.udp = to;
      return true;
    }
    const cookie = payload.subarray(HELLO_NONCE_SIZE, HELLO_PAYLOAD_SIZE);
    if (this.cookies.check(cookie, s.ssrc, source.address, source.port, now)) {
      this.stats.validation.validated++;
      this.moveTo(s, source, to);
      return true;
    }
    if (cookie.some((x) => x !== 0)) this.stats.validation.bad_cookies++;
    return false;
  }

  /**
   * Binds the session to `source`, whose cookie came back in the HELLO
   * being answered. The address validated before (`from`) is kept as the
   * new binding's `previous`, with that HELLO's tag: the session may go
   * back there (`openFrom`, `moveBack`).
   */
  private moveTo(s: MediaSession, source: UdpSource, from: BoundAddress | null): void {
    const sealed = this.view.sealed;
    const previous =
      from === null
        ? null
        : {
            binding: from.previous === null ? from : { ...from, previous: null },
            movedBy: sealed.slice(sealed.length - TAG_SIZE),
          };
    s.udp = { kind: 'bound', address: source.address, port: source.port, previous };
    this.emit('bound', s);
  }

  /**
   * Opens the packet in `view` on one of the session's inbound streams and
   * charges the session for it: the sequence number and payload, or why it
   * is dropped (to count). One from the address the session moved away
   * from (`this.previous`) takes the session back when it is the newest its
   * stream has had (QUIC's highest-numbered rule: the client is there now);
   * an older one was sent before the move and arrived late: it moves
   * nothing and goes no further (`spoofed_address`).
   */
  private openFrom(
    s: MediaSession,
    stream: InboundStream,
  ): { extSeq: number; payload: Uint8Array } | DropReason {
    const highest = stream.highest;
    const opened = stream.open(s.aead, Direction.ClientToServer, this.view, this.probe);
    if (!opened.ok) return opened.reason;
    s.bucket.spend();
    s.packetsIn++;
    const previous = this.previous;
    if (previous === null) return opened.value;
    if (highest !== undefined && opened.value.extSeq <= highest) return 'spoofed_address';
    this.moveBack(s, previous, false);
    return opened.value;
  }

  /** Binds the session to the address it moved away from again, forgetting the one it moved to. */
  private moveBack(s: MediaSession, previous: PreviousAddress, byCopy: boolean): void {
    s.udp = previous.binding;
    if (byCopy) this.stats.validation.reverted_by_copy++;
    else this.stats.validation.reverted++;
    this.emit('bound', s);
  }

  /** The session waits for `source` to echo a cookie; the payload of its HELLO_ACK: our nonce, then the cookie. */
  private challenge(s: MediaSession, source: UdpSource, payload: Uint8Array, now: number): Uint8Array {
    s.udp = { kind: 'validating', address: source.address, port: source.port, via: s.udpTarget };
    this.stats.validation.challenges++;
    const reply = new Uint8Array(HELLO_PAYLOAD_SIZE);
    reply.set(payload.subarray(0, HELLO_NONCE_SIZE), 0);
    reply.set(this.cookies.make(s.ssrc, source.address, source.port, now), HELLO_NONCE_SIZE);
    return reply;
  }

  private drop(reason: DropReason): DropReason {
    this.stats.drops[reason]++;
    return reason;
  }

  private setSpeaking(s: MediaSession, speaking: boolean, channelId: number): void {
    if (s.speaking === speaking) return;
    s.speaking = speaking;
    this.emit('speaking', s, speaking, channelId);
  }
}

/** A UDP source is at this address and port. */
function isAt(a: { readonly address: string; readonly port: number }, source: UdpSource): boolean {
  return a.port === source.port && a.address === source.address;
}

/** `packet` ends with the bytes of `tail`. */
function endsWith(packet: Uint8Array, tail: Uint8Array): boolean {
  const at = packet.length - tail.length;
  if (at < 0) return false;
  for (let i = 0; i < tail.length; i++) if (packet[at + i] !== tail[i]) return false;
  return true;
}
