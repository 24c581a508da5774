import { PacketType, type Cipher } from '@parley/protocol';
import type { AeadFactory } from '@parley/protocol';
import { ClientErrorCode, ParleyClientError } from './control.js';
import { HelloHandshake, PathKeeper } from './hello.js';
import { MediaCore, type MediaDrops, type MediaDropReason } from './media-core.js';
import type { MediaTransport, UdpTransportFactory } from './media-transport.js';

/** One decrypted audio packet, as handed to `onAudio` listeners. */
export interface AudioPacketIn {
  ssrc: number;
  extSeq: number;
  timestamp: number;
  flags: number;
  payload: Uint8Array;
  arrivalMs: number;
}

export interface VoiceClientStats {
  packetsSent: number;
  packetsReceived: number;
  /** Incoming packets dropped, by reason. */
  drops: MediaDrops;
  /**
   * Times the server challenged our UDP address while the path was open
   * (a NAT gave us a new one) and we answered: the session moved there.
   */
  pathChallenges: number;
}

export interface MediaPathOptions {
  aead: AeadFactory;
  /** Present: media over UDP (falls back to the WebSocket if the handshake fails). */
  udp?: UdpTransportFactory;
  /** Host of the server's voice port. */
  host: string;
  /** Sends a media packet over the control WebSocket (whichever is current). */
  sendOverWs: (packet: Uint8Array) => void;
  now: () => number;
  randomBytes?: (n: number) => Uint8Array;
  udpHandshakeMs?: number;
  /** While open over UDP, a keepalive HELLO this often (default 10 000 ms; 0 = none): NAT rebinding, NAT mappings. */
  udpKeepaliveMs?: number;
}

/**
 * The media path's life:
 * - `idle`: no key yet (not in a channel);
 * - `handshaking`: a key, and a UDP HELLO handshake under way — HELLO,
 *   a challenge with a cookie for our address, HELLO echoing it, the
 *   acknowledgement (HelloHandshake; docs/protocol.md) — (the socket
 *   may still be opening: `udp` null). Nothing is sent meanwhile;
 * - `open`: packets go over `transport` (UDP, or the WebSocket); over UDP,
 *   `keeper` sends a keepalive HELLO now and then and answers a challenge
 *   when a NAT changed our address (PathKeeper);
 * - `closed`: for good; every later call is a no-op or rejects.
 */
export type MediaPathState =
  | { readonly kind: 'idle' }
  | {
      readonly kind: 'handshaking';
      udp: MediaTransport | null;
      hello: HelloHandshake | null;
    }
  | { readonly kind: 'open'; readonly transport: MediaTransport; readonly keeper: PathKeeper | null }
  | { readonly kind: 'closed' };

const closedError = (): ParleyClientError =>
  new ParleyClientError(ClientErrorCode.ConnectionClosed, 'the media path is closed');

/**
 * A session's media on the client: the MediaCore (key, streams, sealing,
 * opening) and the transport — UDP once the HELLO handshake validated our address,
 * else the control WebSocket. Knows nothing of the control protocol beyond
 * the key and ssrc it is given. `close()` cancels a handshake in progress
 * (its `enter` rejects with PARLEY_ERR_CONNECTION_CLOSED), its timers and
 * its socket.
 */
export class MediaPath {
  private st: MediaPathState = { kind: 'idle' };
  private readonly core = new MediaCore();
  private key = '';
  private readonly listeners = new Set<(p: AudioPacketIn) => void>();
  private readonly onUdpPacket = (p: Uint8Array): void => this.onPacket(p);
  private rtt: number | null = null;

  constructor(
    private readonly opts: MediaPathOptions,
    readonly stats: VoiceClientStats,
  ) {
    stats.drops = this.core.drops;
  }

  get state(): MediaPathState['kind'] {
    return this.st.kind;
  }

  /** The transport in use, once open. */
  get kind(): 'udp' | 'ws' | null {
    return this.st.kind === 'open' ? this.st.transport.kind : null;
  }

  /**
   * Uses the key (base64) of a `joined` and opens the transport, or, when a
   * new session brought a new key, binds its ssrc to our UDP address again.
   * Rejects with PARLEY_ERR_CONNECTION_CLOSED if the path is closed meanwhile.
   */
  async enter(keyB64: string, ssrc: number, udpPort: number, cipher: Cipher): Promise<void> {
    const st = this.st;
    if (st.kind === 'closed') throw closedError();
    const newKey = keyB64 !== this.key;
    if (newKey) {
      this.key = keyB64;
      this.core.setKey(this.opts.aead(base64ToBytes(keyB64), cipher), ssrc);
    }
    if (st.kind === 'idle') {
      await this.open(udpPort);
    } else if (st.kind === 'open' && newKey && st.transport.kind === 'udp') {
      st.keeper?.stop();
      await this.bind(st.transport);
    } else if (st.kind === 'handshaking') {
      // An enter is already opening the path; it will finish with the newest key.
    }
  }

  onAudio(fn: (p: AudioPacketIn) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Seals one Opus frame (throws before the first `joined`). */
  sealAudio(opus: Uint8Array, timestamp: number, flags: number): Uint8Array {
    const packet = this.core.sealAudio(opus, timestamp, flags);
    if (packet === null)
      throw new ParleyClientError(ClientErrorCode.ConnectionClosed, 'join a channel first');
    return packet;
  }

  /** Sends a sealed packet when the path is open; dropped otherwise. */
  send(packet: Uint8Array): void {
    if (this.st.kind !== 'open') return;
    this.st.transport.send(packet);
    this.stats.packetsSent++;
  }

  /** A speaker left: forget its replay window. */
  forget(ssrc: number): void {
    this.core.forget(ssrc);
  }

  /** Cancels a handshake, closes the socket; idempotent. */
  close(): void {
    const st = this.st;
    this.st = { kind: 'closed' };
    if (st.kind === 'open') {
      st.keeper?.stop();
      st.transport.close();
    } else if (st.kind === 'handshaking') {
      st.hello?.cancel();
      st.udp?.close();
    }
  }

  /** A packet from the server (UDP or WebSocket). */
  onPacket(bytes: Uint8Array): void {
    if (this.st.kind === 'closed') return;
    const r = this.core.receive(bytes);
    if (r.kind === 'audio') {
      this.stats.packetsReceived++;
      const h = r.header;
      const p: AudioPacketIn = {
        ssrc: h.ssrc,
        extSeq: r.extSeq,
        timestamp: h.timestamp,
        flags: h.flags,
        payload: r.payload,
        arrivalMs: this.opts.now(),
      };
      for (const fn of this.listeners) fn(p);
    } else if (r.kind === 'hello_ack') {
      const st = this.st;
      if (st.kind === 'handshaking') st.hello?.ack(r.payload, r.header.flags);
      else if (st.kind === 'open' && st.keeper?.ack(r.payload, r.header.flags) === true)
        this.stats.pathChallenges++;
    } else if (r.kind === 'pong' && r.payload.length >= 8) {
      // Our clock (µs) echoed: the round trip, over the path media takes now.
      const sentUs = new DataView(r.payload.buffer, r.payload.byteOffset, 8).getBigUint64(0);
      const rtt = this.opts.now() - Number(sentUs) / 1000;
      if (rtt >= 0 && rtt < 60_000) this.rtt = rtt;
    }
  }

  /** Round-trip time of the last PING answered (ms); null before the first answer. */
  get rttMs(): number | null {
    return this.rtt;
  }

  /**
   * Sends a PING on the media path (UDP or the WebSocket, as media goes);
   * its PONG updates `rttMs`. Does nothing outside a channel or once closed.
   */
  ping(): void {
    if (this.st.kind !== 'open') return;
    const payload = new Uint8Array(8);
    new DataView(payload.buffer).setBigUint64(0, BigInt(Math.round(this.opts.now() * 1000)));
    const packet = this.core.sealControl(PacketType.Ping, payload);
    if (packet !== null) this.st.transport.send(packet);
  }

  /** Drops counted so far for one reason. */
  dropped(reason: MediaDropReason): number {
    return this.core.drops[reason] ?? 0;
  }

  private wsTransport(): MediaTransport {
    return { kind: 'ws', send: this.opts.sendOverWs, onPacket: () => undefined, close: () => undefined };
  }

  /** idle → handshaking → open (UDP, or the WebSocket when UDP is absent or gets no answer). */
  private async open(udpPort: number): Promise<void> {
    if (this.opts.udp === undefined) {
      this.st = { kind: 'open', transport: this.wsTransport(), keeper: null };
      return;
    }
    const st: MediaPathState & { kind: 'handshaking' } = { kind: 'handshaking', udp: null, hello: null };
    this.st = st;
    let udp: MediaTransport;
    try {
      udp = await this.opts.udp(this.opts.host, udpPort);
    } catch {
      return this.settle(st, null);
    }
    if (this.st !== st) {
      udp.close(); // closed while the socket was opening
      throw closedError();
    }
    st.udp = udp;
    udp.onPacket(this.onUdpPacket);
    await this.handshake(st, udp);
  }

  /** open over UDP, new key → handshaking → open (the same socket, or the WebSocket if no answer). */
  private async bind(udp: MediaTransport): Promise<void> {
    const st: MediaPathState & { kind: 'handshaking' } = { kind: 'handshaking', udp, hello: null };
    this.st = st;
    await this.handshake(st, udp);
  }

  private async handshake(st: MediaPathState & { kind: 'handshaking' }, udp: MediaTransport): Promise<void> {
    const hello = new HelloHandshake({
      retryMs: 200,
      deadlineMs: this.opts.udpHandshakeMs ?? 3000,
      ...(this.opts.randomBytes ? { randomBytes: this.opts.randomBytes } : {}),
      send: this.helloSender(udp),
    });
    st.hello = hello;
    try {
      await hello.done;
    } catch {
      if (this.st !== st) throw closedError();
      udp.close();
      return this.settle(st, null);
    }
    this.settle(st, udp);
  }

  /** Seals a HELLO payload and sends it over `udp`. */
  private helloSender(udp: MediaTransport): (payload: Uint8Array) => void {
    return (payload) => {
      const packet = this.core.sealControl(PacketType.Hello, payload);
      if (packet !== null) udp.send(packet);
    };
  }

  /** handshaking → open, unless closed meanwhile; over UDP, with a keepalive. */
  private settle(st: MediaPathState, udp: MediaTransport | null): void {
    if (this.st !== st) throw closedError();
    if (udp === null) {
      this.st = { kind: 'open', transport: this.wsTransport(), keeper: null };
      return;
    }
    const every = this.opts.udpKeepaliveMs ?? 10_000;
    const keeper =
      every > 0
        ? new PathKeeper({
            send: this.helloSender(udp),
            intervalMs: every,
            ...(this.opts.randomBytes ? { randomBytes: this.opts.randomBytes } : {}),
          })
        : null;
    this.st = { kind: 'open', transport: udp, keeper };
  }
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
