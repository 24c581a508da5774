import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import {
  DEFAULT_CIPHER,
  type Cipher,
  Direction,
  HEADER_SIZE,
  PacketType,
  readHeaderInto,
  sealPacket,
  sealPacketWithHeader,
  type MediaHeader,
  type MediaPacketView,
} from '@parley/protocol';
import type { ParleyConfig } from '../config.js';
import { MediaSession, type WsSink } from './session.js';
import { MediaStats } from './stats.js';

export interface MediaPlaneEvents {
  /** A session started or stopped speaking (edge-triggered). */
  speaking: [session: MediaSession, speaking: boolean];
  /** A session proved its key over UDP and its address is now bound. */
  bound: [session: MediaSession];
}

export interface MediaPlaneOptions {
  media: ParleyConfig['media'];
  /** Monotonic clock in milliseconds (injected for tests). */
  now?: () => number;
}

const MAX_SSRC = 0x7fffffff;

/**
 * dgram resolves the address of every `send`, and Node's default resolver
 * answers even a numeric address on the next tick. Every address the relay
 * sends to comes from a received datagram, so it is numeric: answering at
 * once lets the datagram leave inside `send` (docs/benchmarks.md).
 */
export function numericLookup(
  address: string,
  options: LookupOneOptions | number, // dgram passes the family as a number
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const f = isIP(address);
  if (f !== 0) callback(null, address, f);
  else dnsLookup(address, typeof options === 'number' ? { family: options } : options, callback);
}

/**
 * The UDP socket's kernel buffers asked for: a burst of ~4 MiB (≈ 45,000
 * sealed 60-byte frames) rides out a pause of the event loop. Linux caps
 * the request at net.core.rmem_max / wmem_max (docs/ops/deploy.md).
 */
export const UDP_BUFFER_BYTES = 4 << 20;

/** The start-up warning when the kernel granted the UDP socket less receive buffer than asked, else null. */
export function udpBufferShortfall(
  got: { receive: number } | null,
): { message: string; details: { udpReceiveBufferBytes: number; asked: number } } | null {
  if (got === null || got.receive >= UDP_BUFFER_BYTES) return null;
  return {
    message:
      `the UDP receive buffer is ${Math.round(got.receive / 1024)} KiB (asked for ${UDP_BUFFER_BYTES / 1024} KiB): ` +
      'a busy server will drop voice in bursts — raise net.core.rmem_max (docs/ops/deploy.md, "Kernel settings")',
    details: { udpReceiveBufferBytes: got.receive, asked: UDP_BUFFER_BYTES },
  };
}

/** How often speaking state is swept for speakers who went quiet. */
const SPEAKING_SWEEP_MS = 100;
/** Audio payloads at most this long are Opus DTX/comfort frames, not speech. */
const DTX_MAX_BYTES = 2;
/** One UDP send in this many to a session is checked for failure (see sendUdp). */
const SEND_CHECK_EVERY = 16;
const NO_SESSION = null;
const NO_BYTES = new Uint8Array(0);

/**
 * The media plane: sessions by ssrc, channel membership, the UDP socket, and
 * the router that opens each packet with its sender's key and seals a copy
 * for every other listening member of the sender's channel. The same
 * `handlePacket` serves UDP datagrams and binary WebSocket messages, so both
 * kinds of client share one router.
 *
 * Hot path rules: no logging, no awaiting, no per-packet closures; payloads
 * are `subarray` views of the received buffer.
 */
export class MediaPlane extends EventEmitter<MediaPlaneEvents> {
  readonly stats = new MediaStats();
  private readonly sessions = new Map<number, MediaSession>();
  private readonly channels = new Map<number, Set<MediaSession>>();
  private readonly media: ParleyConfig['media'];
  private readonly now: () => number;
  private nextSsrc: number;
  private udp: Socket | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Reused parse target: the hot path allocates no header objects. */
  private readonly hdr: MediaHeader = { type: PacketType.Audio, flags: 0, seq: 0, timestamp: 0, ssrc: 0 };
  private readonly view: MediaPacketView;
  /** routeAudio's second pass: who gets which sealed copy (reused; as long as the largest channel). */
  private readonly batchTo: (MediaSession | null)[] = [];
  private readonly batchOut: Uint8Array[] = [];

  constructor(opts: MediaPlaneOptions) {
    super();
    this.media = opts.media;
    this.now = opts.now ?? (() => performance.now());
    this.nextSsrc = randomInt(1, MAX_SSRC);
    this.view = { header: this.hdr, headerBytes: new Uint8Array(0), sealed: new Uint8Array(0) };
    this.sweepTimer = setInterval(() => this.sweepSpeaking(), SPEAKING_SWEEP_MS);
    this.sweepTimer.unref();
  }

  /** Binds the UDP socket; resolves with the port actually bound. */
  async listenUdp(host: string, port: number): Promise<number> {
    const type = host.includes(':') ? 'udp6' : 'udp4';
    const sock = createSocket({
      type,
      recvBufferSize: UDP_BUFFER_BYTES,
      sendBufferSize: UDP_BUFFER_BYTES,
      lookup: numericLookup,
    });
    this.udp = sock;
    sock.on('message', (msg, rinfo) => this.handleUdp(msg, rinfo.address, rinfo.port));
    // A socket error (not a failed send: see sendUdp) must never take the
    // server down.
    sock.on('error', () => {
      this.stats.sendFailures.udp_send_error++;
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    return sock.address().port;
  }

  /**
   * The kernel buffer sizes the UDP socket really got (Linux reports twice
   * what was granted, bookkeeping included), or null before `listenUdp`.
   */
  udpBufferBytes(): { receive: number; send: number } | null {
    const udp = this.udp;
    return udp === null ? null : { receive: udp.getRecvBufferSize(), send: udp.getSendBufferSize() };
  }

  /** Creates a session with a fresh ssrc and key. */
  createSession(ws: WsSink | null, cipher: Cipher = DEFAULT_CIPHER): MediaSession {
    const ssrc = this.allocateSsrc();
    const s = new MediaSession({
      ssrc,
      ws,
      cipher,
      ratePerSecond: this.media.maxPacketsPerSecond,
      burst: this.media.burstPackets,
      now: this.now(),
    });
    s.onUdpSent = (err) => {
      s.udpFailing = err !== null;
      if (err !== null) this.stats.sendFailures.udp_send_error++;
    };
    this.sessions.set(ssrc, s);
    return s;
  }

  /** Removes a session from routing; idempotent. */
  removeSession(s: MediaSession): void {
    if (s.closed) return;
    this.setChannel(s, null);
    s.closed = true;
    this.sessions.delete(s.ssrc);
  }

  /** Moves a session to a channel (or out of every channel with null). */
  setChannel(s: MediaSession, channelId: number | null): void {
    if (s.channelId === channelId) return;
    if (s.channelId !== null) {
      const set = this.channels.get(s.channelId);
      set?.delete(s);
      if (set?.size === 0) this.channels.delete(s.channelId);
    }
    this.setSpeaking(s, false);
    s.channelId = channelId;
    if (channelId !== null) {
      let set = this.channels.get(channelId);
      if (!set) {
        set = new Set();
        this.channels.set(channelId, set);
      }
      set.add(s);
    }
  }

  setMuted(s: MediaSession, muted: boolean): void {
    s.muted = muted;
    if (muted) this.setSpeaking(s, false);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Entry point for UDP datagrams. */
  handleUdp(msg: Uint8Array, address: string, port: number): void {
    this.handlePacket(msg, null, address, port);
  }

  /** Entry point for binary WebSocket messages of an authenticated session. */
  handleWs(msg: Uint8Array, from: MediaSession): void {
    this.handlePacket(msg, from, '', 0);
  }

  private handlePacket(msg: Uint8Array, wsFrom: MediaSession | null, address: string, port: number): void {
    const t0 = performance.now();
    const stats = this.stats;
    stats.packetsIn++;
    stats.bytesIn += msg.length;
    const hdr = this.hdr;
    const rejection = readHeaderInto(msg, hdr, this.media.maxPacketSize);
    if (rejection !== undefined) {
      stats.drops[rejection]++;
      return;
    }
    const s = this.sessions.get(hdr.ssrc);
    if (s === undefined) {
      stats.drops.unknown_session++;
      return;
    }
    if (wsFrom !== null) {
      if (wsFrom !== s) {
        stats.drops.spoofed_session++;
        return;
      }
    } else if (hdr.type !== PacketType.Hello) {
      if (!s.udpBound) {
        stats.drops.not_bound++;
        return;
      }
      if (s.udpPort !== port || s.udpAddress !== address) {
        stats.drops.spoofed_address++;
        return;
      }
    }
    const now = this.now();
    if (!s.bucket.take(now)) {
      stats.drops.rate_limited++;
      return;
    }
    const view = this.view;
    view.headerBytes = msg.subarray(0, HEADER_SIZE);
    view.sealed = msg.subarray(HEADER_SIZE);

    switch (hdr.type) {
      case PacketType.Audio:
        if (this.routeAudio(s, now)) stats.forwardUs.record((performance.now() - t0) * 1000);
        return;
      case PacketType.Hello:
      case PacketType.Ping:
        this.answerControl(s, wsFrom === null, address, port);
        return;
      default:
        stats.drops.unexpected_type++;
    }
  }

  /** Opens, checks and forwards one audio packet; true when it was routed to the channel. */
  private routeAudio(s: MediaSession, now: number): boolean {
    const stats = this.stats;
    const opened = s.audioIn.open(s.aead, Direction.ClientToServer, this.view);
    if (!opened.ok) {
      stats.drops[opened.reason]++;
      return false;
    }
    s.packetsIn++;
    if (s.channelId === null) {
      stats.drops.not_in_channel++;
      return false;
    }
    if (s.muted) {
      stats.drops.muted++;
      return false;
    }
    if (!s.canSpeak) {
      stats.drops.no_speak_permission++;
      return false;
    }
    stats.audioIn++;
    const { extSeq, payload } = opened.value;
    const hdr = this.hdr;
    if (payload.length > DTX_MAX_BYTES) {
      s.lastVoiceAt = now;
      if (!s.speaking) this.setSpeaking(s, true);
    }
    const members = this.channels.get(s.channelId);
    if (members === undefined) return true;
    const headerBytes = this.view.headerBytes;
    const udp = this.udp;
    // Two passes: seal every copy, then send the UDP ones. Kept apart, each
    // loop stays warm in the CPU's caches instead of alternating sealing with
    // system calls: ~5 points of the relay/bare ratio (docs/benchmarks.md).
    const to = this.batchTo;
    const outs = this.batchOut;
    let n = 0;
    for (const m of members) {
      if (m === s || m.deafened) continue;
      const out = sealPacketWithHeader(
        m.aead,
        Direction.ServerToClient,
        headerBytes,
        PacketType.Audio,
        hdr.ssrc,
        extSeq,
        payload,
      );
      if (m.udpBound && udp !== null) {
        to[n] = m;
        outs[n++] = out;
      } else {
        this.deliver(m, out);
      }
    }
    for (let i = 0; i < n; i++) {
      const m = to[i]!;
      this.sendUdp(outs[i]!, m.udpAddress, m.udpPort, m);
    }
    // Hold no packet or session past this call.
    to.fill(NO_SESSION, 0, n);
    outs.fill(NO_BYTES, 0, n);
    return true;
  }

  /** HELLO binds the UDP address; both HELLO and PING get a sealed reply. */
  private answerControl(s: MediaSession, viaUdp: boolean, address: string, port: number): void {
    const opened = s.controlIn.open(s.aead, Direction.ClientToServer, this.view);
    if (!opened.ok) {
      this.stats.drops[opened.reason]++;
      return;
    }
    s.packetsIn++;
    const isHello = this.hdr.type === PacketType.Hello;
    if (isHello && viaUdp && (s.udpAddress !== address || s.udpPort !== port)) {
      s.udpAddress = address;
      s.udpPort = port;
      this.emit('bound', s);
    }
    const { payload } = opened.value;
    let reply: Uint8Array;
    if (isHello) {
      reply = payload;
    } else {
      reply = new Uint8Array(payload.length + 8);
      reply.set(payload, 0);
      new DataView(reply.buffer).setBigUint64(payload.length, BigInt(Math.round(Date.now() * 1000)));
    }
    const { seq16, extSeq } = s.replyOut.next();
    const type = isHello ? PacketType.HelloAck : PacketType.Pong;
    const out = sealPacket(
      s.aead,
      Direction.ServerToClient,
      { type, flags: 0, seq: seq16, timestamp: 0, ssrc: s.ssrc },
      extSeq,
      reply,
    );
    if (viaUdp) this.sendUdp(out, address, port, s);
    else this.deliver(s, out);
  }

  private deliver(m: MediaSession, out: Uint8Array): void {
    if (m.udpBound) {
      this.sendUdp(out, m.udpAddress, m.udpPort, m);
      return;
    }
    const ws = m.ws;
    if (ws === null) return;
    if (ws.bufferedAmount > this.media.wsMaxBufferedBytes) {
      this.stats.sendFailures.ws_backpressure++;
      return;
    }
    ws.send(out);
    this.countOut(m, out.length);
  }

  /**
   * Node reports a failed `send` only to a callback given with it (without
   * one, the error is dropped silently), and a callback costs a
   * `process.nextTick` per send — ~4 % of the relay's CPU per copy. So one
   * send in SEND_CHECK_EVERY to each session carries the session's callback,
   * and every send does while its sends fail: `udp_send_error` counts every
   * failure of an episode except at most the first SEND_CHECK_EVERY − 1.
   */
  private sendUdp(out: Uint8Array, address: string, port: number, m: MediaSession): void {
    const udp = this.udp;
    if (udp === null) return;
    if (m.udpFailing || ++m.udpUnchecked >= SEND_CHECK_EVERY) {
      m.udpUnchecked = 0;
      udp.send(out, port, address, m.onUdpSent);
    } else {
      udp.send(out, port, address);
    }
    this.countOut(m, out.length);
  }

  private countOut(m: MediaSession, bytes: number): void {
    m.packetsOut++;
    this.stats.packetsOut++;
    this.stats.bytesOut += bytes;
  }

  private setSpeaking(s: MediaSession, speaking: boolean): void {
    if (s.speaking === speaking) return;
    s.speaking = speaking;
    this.emit('speaking', s, speaking);
  }

  private sweepSpeaking(): void {
    const now = this.now();
    const hold = this.media.speakingHoldMs;
    for (const s of this.sessions.values()) {
      if (s.speaking && now - s.lastVoiceAt > hold) this.setSpeaking(s, false);
    }
  }

  private allocateSsrc(): number {
    for (;;) {
      const ssrc = this.nextSsrc;
      this.nextSsrc = ssrc >= MAX_SSRC ? 1 : ssrc + 1;
      if (!this.sessions.has(ssrc)) return ssrc;
    }
  }

  /** Stops the sweep timer and closes the UDP socket; idempotent. */
  async close(): Promise<void> {
    if (this.sweepTimer !== null) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
    for (const s of [...this.sessions.values()]) this.removeSession(s);
    const udp = this.udp;
    this.udp = null;
    if (udp !== null) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }
}
