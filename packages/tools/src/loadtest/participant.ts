/**
 * A lean simulated participant: what a real client does on the wire, and
 * nothing a load generator cannot afford a thousand times in one process.
 *
 * - Control: a `ws` WebSocket, `hello` as a guest offering
 *   ChaCha20-Poly1305 then AES-256-GCM, `create_temp` or `join`; answers
 *   matched by `ref`, every other event ignored (no schema validation, no
 *   presence bookkeeping, no resume).
 * - Media: UDP after the sealed HELLO handshake, two round trips with address
 *   validation (HelloHandshake, docs/protocol.md) (one connected socket
 *   per participant: the server binds each session to its address), or
 *   binary WebSocket messages. Audio is sealed with the session key; the
 *   Opus bytes are pre-encoded and shared by every speaker.
 * - Receiving never decodes Opus: the header is read into a shared object,
 *   the packet is authenticated through the stream's replay window, and
 *   only counts, sequence numbers and arrival times are kept.
 * - RTT: media PING (8-byte client clock in µs) → PONG (echo + server clock).
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  AudioFlag,
  ErrorCode,
  FRAME_SAMPLES,
  PacketType,
  type Cipher,
  type ClientMessage,
  type JoinedMessage,
} from '@parley/protocol';
import { createNodeAead, NODE_CIPHERS } from '@parley/protocol/node';
import {
  ClientErrorCode,
  ControlConnection,
  ParleyClientError,
  type WebSocketLike,
  HelloHandshake,
  MediaCore,
  type ReceivedPacket,
} from '@parley/client';
import { nodeWebSocket } from '@parley/client/node';
import { LogHistogram, RecvStream } from './stats.js';

/** Hellos tried again after PARLEY_ERR_TOO_MANY_GUESTS, at most. */
const GUEST_RETRIES = 8;

/** Wait before hello attempt `attempt + 1`: 250 ms doubling to 4 s, with ±50 % jitter so a crowd spreads out. */
function guestBackoffMs(attempt: number): number {
  return Math.min(4000, 250 * 2 ** attempt) * (0.5 + Math.random());
}

/** Counters shared by every participant of a run (summed as they happen, never by a scan). */
export class Totals {
  packetsSent = 0;
  audioSent = 0;
  pingsSent = 0;
  /** Every media packet that reached a participant, before any check. */
  packetsReceived = 0;
  /** Unique audio packets that authenticated. */
  audioReceived = 0;
  pongsReceived = 0;
  helloAcksReceived = 0;
  duplicates = 0;
  late = 0;
  tooOld = 0;
  authFailed = 0;
  /** Not a valid media packet, an unexpected type or ssrc, or too many streams. */
  badPackets = 0;
  /** Media sends the operating system refused (a full send buffer, an unreachable port). */
  sendErrors = 0;
  /** Hellos the server refused with PARLEY_ERR_TOO_MANY_GUESTS and that were tried again. */
  guestRetries = 0;
  /** Shared completion callback of UDP sends: no closure per packet. */
  readonly onUdpSent = (err: Error | null): void => {
    if (err) this.sendErrors++;
  };
  /** Control WebSockets that closed while the run was going on. */
  disconnects = 0;
  /** Speakers of this run by ssrc: their send times give one-way latency and send-time jitter. */
  readonly senders = new Map<number, Participant>();
  /** One-way latency, speaker's send → listener's receipt on the same clock (µs). */
  readonly latency = new LogHistogram();
  /** Round-trip times of this run (µs) … */
  readonly rtt = new LogHistogram();
  /** … and of the current sample period (ms). */
  rttPeriod: number[] = [];
}

export interface ParticipantConfig {
  index: number;
  name: string;
  wsUrl: string;
  transport: 'udp' | 'ws';
  /** Resolved address of the server's host (or of `udpTarget`), for UDP. */
  udpHost: string;
  udpFamily: 4 | 6;
  /** Send UDP here instead of the port in `joined` (an impairment proxy). */
  udpPort?: number;
  totals: Totals;
  requestTimeoutMs: number;
  handshakeMs: number;
}

const U32 = 0x100000000;
/** Send times kept per speaker: a packet later than this many frames (20 s) is too old anyway. */
const SEND_RING = 1024;
/** How long a goodbye waits for the server to close the WebSocket. */
const CLOSE_WAIT_MS = 2_000;

/**
 * One simulated participant: a ControlConnection (hello as a guest, join,
 * answers by ref) and a MediaCore (the SDK's sealing and opening), with
 * its own UDP socket and per-stream statistics instead of decoding.
 */
export class Participant {
  ssrc = 0;
  channelId = 0;
  cipher: Cipher | null = null;
  /** Audio frames sent in the measured window. */
  framesSent = 0;
  /** Unique audio packets received and authenticated. */
  audioReceived = 0;
  /** Other speakers as heard here, by ssrc (at most the core's stream limit). */
  readonly streams = new Map<number, RecvStream>();
  /** Which opus frame this speaker starts at (speakers do not all say the same thing at once). */
  frameOffset = 0;
  /** A speaker's send times (ms) by extended sequence, a ring of SEND_RING (and which sequence each slot holds). */
  private sendTimes: Float64Array | null = null;
  private sendSeqs: Float64Array | null = null;
  private conn: ControlConnection | null = null;
  private udp: Socket | null = null;
  private readonly core = new MediaCore();
  private readonly pingPayload = new Uint8Array(8);
  private readonly tsBase = Math.floor(Math.random() * U32);
  private hello: HelloHandshake | null = null;
  /** Ends a wait before a hello is tried again (set while waiting). */
  private stopWaiting: (() => void) | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly onUdpMessage = (msg: Buffer): void => this.onMedia(msg);

  constructor(private readonly cfg: ParticipantConfig) {}

  get index(): number {
    return this.cfg.index;
  }

  /** Opens the WebSocket and says hello as a guest. */
  async connect(): Promise<void> {
    const conn = await ControlConnection.open(
      (url) => nodeWebSocket(url, { perMessageDeflate: false }) as unknown as WebSocketLike,
      this.cfg.wsUrl,
      { requestTimeoutMs: this.cfg.requestTimeoutMs },
    );
    this.conn = conn;
    conn.on('media', (bytes) => this.onMedia(bytes));
    conn.on('close', () => this.onClose());
    if (this.closed) conn.close();
    const hello: ClientMessage = { type: 'hello', v: 1, name: this.cfg.name, ciphers: [...NODE_CIPHERS] };
    // The server admits so many new guests a second (limits.guestsPerSecond, and per address
    // unless the generator's is exempt): refused, a participant waits and says hello again on
    // the same socket, as a person would, a bounded number of times.
    for (let attempt = 0; ; attempt++) {
      try {
        this.ssrc = (await conn.request(hello, 'welcome')).sessionId;
        return;
      } catch (err) {
        const refused = err instanceof ParleyClientError && err.code === ErrorCode.TooManyGuests;
        if (!refused || attempt >= GUEST_RETRIES || this.closed) throw err;
        this.cfg.totals.guestRetries++;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, guestBackoffMs(attempt));
          this.stopWaiting = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.stopWaiting = null;
      }
    }
  }

  /** Creates a temporary channel (deleted by the server when the last member leaves) and enters it. */
  async createChannel(name: string): Promise<number> {
    const joined = await this.request({ type: 'create_temp', name });
    await this.enter(joined);
    return joined.channel.id;
  }

  async join(channelId: number): Promise<void> {
    await this.enter(await this.request({ type: 'join', channel: channelId }));
  }

  /** Seals and sends one pre-encoded Opus frame; `frame` = index on the shared 20 ms grid. */
  sendAudio(opus: Uint8Array, frame: number): void {
    if (this.closed) return;
    const extSeq = this.core.nextAudioSeq;
    const packet = this.core.sealAudio(
      opus,
      (this.tsBase + frame * FRAME_SAMPLES) % U32,
      this.framesSent === 0 ? AudioFlag.TalkStart : 0,
    );
    if (packet === null) return;
    if (this.sendTimes === null || this.sendSeqs === null) {
      this.sendTimes = new Float64Array(SEND_RING);
      this.sendSeqs = new Float64Array(SEND_RING).fill(-1);
    }
    this.sendTimes[extSeq % SEND_RING] = performance.now();
    this.sendSeqs[extSeq % SEND_RING] = extSeq;
    this.transmit(packet);
    this.framesSent++;
    this.cfg.totals.audioSent++;
  }

  /** When this speaker sent audio packet `extSeq` (ms on the process clock), or NaN if no longer known. */
  sentAt(extSeq: number): number {
    const i = extSeq % SEND_RING;
    return this.sendSeqs !== null && this.sendTimes !== null && this.sendSeqs[i] === extSeq
      ? (this.sendTimes[i] ?? NaN)
      : NaN;
  }

  /** Sends a media PING carrying our clock (µs); the PONG gives the round-trip time. */
  sendPing(): void {
    if (this.closed) return;
    const us = Math.round(performance.now() * 1000);
    const view = new DataView(this.pingPayload.buffer);
    view.setUint32(0, Math.floor(us / U32));
    view.setUint32(4, us >>> 0);
    const packet = this.core.sealControl(PacketType.Ping, this.pingPayload);
    if (packet === null) return;
    this.transmit(packet);
    this.cfg.totals.pingsSent++;
  }

  /** Closes the media socket and says goodbye on the WebSocket (the server ends the session at once). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ── internals ──
  private async shutdown(): Promise<void> {
    this.closed = true;
    this.stopWaiting?.();
    this.hello?.cancel();
    const udp = this.udp;
    this.udp = null;
    const closings: Promise<void>[] = [];
    if (udp !== null) closings.push(new Promise((resolve) => udp.close(() => resolve())));
    const conn = this.conn;
    if (conn !== null) {
      conn.close();
      let timer: NodeJS.Timeout | undefined;
      closings.push(
        Promise.race([
          conn.socketClosed,
          new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
        ]).finally(() => clearTimeout(timer)),
      );
    }
    await Promise.all(closings);
  }

  private request(msg: ClientMessage): Promise<JoinedMessage> {
    const conn = this.conn;
    if (conn === null || this.closed)
      return Promise.reject(new ParleyClientError(ClientErrorCode.ConnectionClosed, 'connection closed'));
    return conn.request(msg, 'joined');
  }

  private transmit(packet: Uint8Array): void {
    if (this.udp !== null) this.udp.send(packet, this.cfg.totals.onUdpSent);
    else if (this.conn !== null && !this.closed) this.conn.sendMedia(packet);
    else return;
    this.cfg.totals.packetsSent++;
  }

  private onClose(): void {
    if (this.closed) return;
    // The server ended the session: the media socket is of no use any more.
    this.cfg.totals.disconnects++;
    this.closed = true;
    this.hello?.cancel();
    const udp = this.udp;
    this.udp = null;
    udp?.close();
  }

  /** We are in a channel: the key, and the UDP path bound by a sealed HELLO. */
  private async enter(joined: JoinedMessage): Promise<void> {
    this.channelId = joined.channel.id;
    this.ssrc = joined.media.ssrc;
    this.cipher = joined.media.cipher;
    this.core.setKey(createNodeAead(Buffer.from(joined.media.key, 'base64'), joined.media.cipher), this.ssrc);
    if (this.cfg.transport === 'ws') return;
    const port = this.cfg.udpPort ?? joined.media.udpPort;
    if (port === 0) throw new ParleyClientError(ClientErrorCode.UdpHandshake, 'the server has no UDP port');
    const sock = createSocket({ type: this.cfg.udpFamily === 6 ? 'udp6' : 'udp4' });
    this.udp = sock;
    sock.on('message', this.onUdpMessage);
    // ICMP "port unreachable" once the server is gone: the control connection reports the failure.
    sock.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(port, this.cfg.udpHost, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    if (this.closed) throw new ParleyClientError(ClientErrorCode.ConnectionClosed, 'closed');
    // Sealed HELLOs every 250 ms until one is acknowledged: the first answer is a
    // challenge (a cookie for our address), echoed at once; the next binds our address to our ssrc.
    this.hello = new HelloHandshake({
      retryMs: 250,
      deadlineMs: this.cfg.handshakeMs,
      send: (payload) => {
        const packet = this.core.sealControl(PacketType.Hello, payload);
        if (packet !== null && !this.closed) sock.send(packet);
      },
    });
    await this.hello.done;
  }

  /** A media packet from the server (UDP datagram or binary WebSocket message). */
  private onMedia(bytes: Uint8Array): void {
    const t = this.cfg.totals;
    t.packetsReceived++;
    const arrivalMs = performance.now();
    const r = this.core.receive(bytes);
    switch (r.kind) {
      case 'audio':
        return this.onAudio(r, arrivalMs);
      case 'hello_ack':
        t.helloAcksReceived++;
        this.hello?.ack(r.payload, r.header.flags);
        return;
      case 'pong':
        return this.onPong(r.payload, arrivalMs);
      default:
        this.onDrop(r);
    }
  }

  private onAudio(r: ReceivedPacket, arrivalMs: number): void {
    const t = this.cfg.totals;
    const ssrc = r.header.ssrc;
    let st = this.streams.get(ssrc);
    if (st === undefined) {
      st = new RecvStream();
      this.streams.set(ssrc, st);
    }
    const sentMs = t.senders.get(ssrc)?.sentAt(r.extSeq) ?? NaN;
    if (sentMs <= arrivalMs) t.latency.record((arrivalMs - sentMs) * 1000);
    st.accept(r.extSeq, r.header.timestamp, arrivalMs, sentMs, r.late);
    if (r.late) t.late++;
    this.audioReceived++;
    t.audioReceived++;
  }

  private onDrop(r: ReceivedPacket): void {
    const t = this.cfg.totals;
    const st = r.header.type === PacketType.Audio ? this.streams.get(r.header.ssrc) : undefined;
    switch (r.reason) {
      case 'replayed':
        t.duplicates++;
        if (st) st.duplicates++;
        return;
      case 'too_old':
        t.tooOld++;
        if (st) st.tooOld++;
        return;
      case 'auth_failed':
        t.authFailed++;
        if (st) st.authFailed++;
        return;
      default:
        t.badPackets++; // not a media packet, an unexpected type or ssrc, too many streams, no key
    }
  }

  private onPong(payload: Uint8Array, arrivalMs: number): void {
    const t = this.cfg.totals;
    t.pongsReceived++;
    if (payload.length < 8) return;
    const view = new DataView(payload.buffer, payload.byteOffset, 8);
    const sentUs = view.getUint32(0) * U32 + view.getUint32(4);
    const rttUs = arrivalMs * 1000 - sentUs;
    if (rttUs < 0) return;
    t.rtt.record(rttUs);
    t.rttPeriod.push(rttUs / 1000);
  }
}
