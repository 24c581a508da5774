/**
 * A lean simulated participant: what a real client does on the wire, and
 * nothing a load generator cannot afford a thousand times in one process.
 *
 * - Control: a `ws` WebSocket, `hello` as a guest offering
 *   ChaCha20-Poly1305 then AES-256-GCM, `create_temp` or `join`; answers
 *   matched by `ref`, every other event ignored (no schema validation, no
 *   presence bookkeeping, no resume).
 * - Media: UDP after a sealed HELLO is acknowledged (one connected socket
 *   per participant: the server binds each session to its address), or
 *   binary WebSocket messages. Audio is sealed with the session key; the
 *   Opus bytes are pre-encoded and shared by every speaker.
 * - Receiving never decodes Opus: the header is read into a shared object,
 *   the packet is authenticated through the stream's replay window, and
 *   only counts, sequence numbers and arrival times are kept.
 * - RTT: media PING (8-byte client clock in µs) → PONG (echo + server clock).
 */
import { createSocket, type Socket } from 'node:dgram';
import WebSocket from 'ws';
import { nodeWebSocket } from '../websocket.js';
import {
  AudioFlag,
  Direction,
  HEADER_SIZE,
  InboundStream,
  OutboundStream,
  PacketType,
  readHeaderInto,
  sealPacket,
  sealPacketWithHeader,
  writeHeader,
  type Aead,
  type Cipher,
  type JoinedMessage,
  type MediaHeader,
  type MediaPacketView,
  type WelcomeMessage,
} from '@parley/protocol';
import { createNodeAead, NODE_CIPHERS } from '@parley/protocol/node';
import { ClientErrorCode, ParleyClientError } from '../../core/control.js';
import { HelloHandshake } from '../../core/hello.js';
import { LogHistogram, RecvStream } from './stats.js';

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

/** Streams of other speakers kept at most (bounded, as in the SDK). */
const MAX_STREAMS = 256;
/** Reused parse target: one participant handles one packet at a time. */
const HDR: MediaHeader = { type: PacketType.Audio, flags: 0, seq: 0, timestamp: 0, ssrc: 0 };
const VIEW: MediaPacketView = { header: HDR, headerBytes: new Uint8Array(0), sealed: new Uint8Array(0) };
const U32 = 0x100000000;
/** Send times kept per speaker: a packet later than this many frames (20 s) is too old anyway. */
const SEND_RING = 1024;

type Answer = { type: string; ref?: string; code?: string; message?: string };
interface Pending {
  expect: string;
  resolve: (m: Answer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class Participant {
  ssrc = 0;
  channelId = 0;
  cipher: Cipher | null = null;
  /** Audio frames sent in the measured window. */
  framesSent = 0;
  /** Unique audio packets received and authenticated. */
  audioReceived = 0;
  /** Other speakers as heard here, by ssrc. */
  readonly streams = new Map<number, RecvStream>();
  /** Which opus frame this speaker starts at (speakers do not all say the same thing at once). */
  frameOffset = 0;
  /** A speaker's send times (ms) by extended sequence, a ring of SEND_RING (and which sequence each slot holds). */
  private sendTimes: Float64Array | null = null;
  private sendSeqs: Float64Array | null = null;
  private ws: WebSocket | null = null;
  private udp: Socket | null = null;
  private aead: Aead | null = null;
  private readonly audioOut = new OutboundStream();
  private readonly controlOut = new OutboundStream();
  private readonly replyIn = new InboundStream();
  private readonly header = new Uint8Array(HEADER_SIZE);
  private readonly hdr: MediaHeader = { type: PacketType.Audio, flags: 0, seq: 0, timestamp: 0, ssrc: 0 };
  private readonly pingPayload = new Uint8Array(8);
  private readonly tsBase = Math.floor(Math.random() * U32);
  private readonly pending = new Map<string, Pending>();
  private nextRef = 1;
  private hello: HelloHandshake | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly cfg: ParticipantConfig) {}

  get index(): number {
    return this.cfg.index;
  }

  /** Opens the WebSocket and says hello as a guest. */
  async connect(): Promise<void> {
    const ws = nodeWebSocket(this.cfg.wsUrl, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('error', () => undefined); // reported through `close` (or the promise below)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (err: Error & { code?: string }) =>
        reject(
          new ParleyClientError(ClientErrorCode.Unreachable, `cannot connect: ${err.code ?? err.message}`),
        ),
      );
      ws.once('close', (code) =>
        reject(new ParleyClientError(ClientErrorCode.Unreachable, `closed while connecting (${code})`)),
      );
    });
    ws.removeAllListeners();
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.onMedia(data);
      else this.onText(data.toString('utf8'));
    });
    ws.on('close', (code: number) => this.onClose(code));
    const welcome = (await this.request(
      { type: 'hello', v: 1, name: this.cfg.name, ciphers: [...NODE_CIPHERS] },
      'welcome',
    )) as unknown as WelcomeMessage;
    this.ssrc = welcome.sessionId;
  }

  /** Creates a temporary channel (deleted by the server when the last member leaves) and enters it. */
  async createChannel(name: string): Promise<number> {
    const joined = (await this.request({ type: 'create_temp', name }, 'joined')) as unknown as JoinedMessage;
    await this.enter(joined);
    return joined.channel.id;
  }

  async join(channelId: number): Promise<void> {
    const joined = (await this.request(
      { type: 'join', channel: channelId },
      'joined',
    )) as unknown as JoinedMessage;
    await this.enter(joined);
  }

  /** Seals and sends one pre-encoded Opus frame; `frame` = index on the shared 20 ms grid. */
  sendAudio(opus: Uint8Array, frame: number): void {
    const aead = this.aead;
    if (aead === null || this.closed) return;
    const { seq16, extSeq } = this.audioOut.next();
    const h = this.hdr;
    h.type = PacketType.Audio;
    h.flags = this.framesSent === 0 ? AudioFlag.TalkStart : 0;
    h.seq = seq16;
    h.timestamp = (this.tsBase + frame * 960) % U32;
    h.ssrc = this.ssrc;
    writeHeader(this.header, 0, h);
    const packet = sealPacketWithHeader(
      aead,
      Direction.ClientToServer,
      this.header,
      PacketType.Audio,
      this.ssrc,
      extSeq,
      opus,
    );
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
    const aead = this.aead;
    if (aead === null || this.closed) return;
    const us = Math.round(performance.now() * 1000);
    const view = new DataView(this.pingPayload.buffer);
    view.setUint32(0, Math.floor(us / U32));
    view.setUint32(4, us >>> 0);
    const { seq16, extSeq } = this.controlOut.next();
    const packet = sealPacket(
      aead,
      Direction.ClientToServer,
      { type: PacketType.Ping, flags: 0, seq: seq16, timestamp: 0, ssrc: this.ssrc },
      extSeq,
      this.pingPayload,
    );
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
    this.hello?.cancel();
    this.failPending(new ParleyClientError(ClientErrorCode.ConnectionClosed, 'closed'));
    const udp = this.udp;
    this.udp = null;
    const closings: Promise<void>[] = [];
    if (udp !== null) closings.push(new Promise((resolve) => udp.close(() => resolve())));
    const ws = this.ws;
    if (ws !== null && ws.readyState !== WebSocket.CLOSED) {
      closings.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 2_000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
          else ws.close(1000, 'bye');
        }),
      );
    }
    await Promise.all(closings);
  }

  private transmit(packet: Uint8Array): void {
    if (this.udp !== null) this.udp.send(packet, this.cfg.totals.onUdpSent);
    else if (this.ws !== null && this.ws.readyState === WebSocket.OPEN) this.ws.send(packet);
    else return;
    this.cfg.totals.packetsSent++;
  }

  private request(msg: Record<string, unknown>, expect: string): Promise<Answer> {
    const ws = this.ws;
    if (ws === null || this.closed || ws.readyState !== WebSocket.OPEN)
      return Promise.reject(new ParleyClientError(ClientErrorCode.ConnectionClosed, 'connection closed'));
    const ref = `r${this.nextRef++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new ParleyClientError(ClientErrorCode.Timeout, `no answer to ${String(msg.type)}`));
      }, this.cfg.requestTimeoutMs);
      this.pending.set(ref, { expect, resolve, reject, timer });
      ws.send(JSON.stringify({ ...msg, ref }));
    });
  }

  private onText(text: string): void {
    // Only answers (they carry our ref) matter; events are skipped unparsed.
    if (this.pending.size === 0 || !text.includes('"ref"')) return;
    let m: Answer;
    try {
      m = JSON.parse(text) as Answer;
    } catch {
      return;
    }
    const p = m.ref === undefined ? undefined : this.pending.get(m.ref);
    if (p === undefined || m.ref === undefined) return;
    this.pending.delete(m.ref);
    clearTimeout(p.timer);
    if (m.type === 'error') p.reject(new ParleyClientError(m.code ?? 'error', m.message ?? 'refused'));
    else if (m.type !== p.expect)
      p.reject(new ParleyClientError('PARLEY_ERR_BAD_MESSAGE', `expected ${p.expect}, got ${m.type}`));
    else p.resolve(m);
  }

  private onClose(code: number): void {
    if (!this.closed) this.cfg.totals.disconnects++;
    this.failPending(new ParleyClientError(ClientErrorCode.ConnectionClosed, `connection closed (${code})`));
    if (!this.closed) {
      // The server ended the session: the media socket is of no use any more.
      this.closed = true;
      const udp = this.udp;
      this.udp = null;
      udp?.close();
    }
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  /** We are in a channel: the key, and the UDP path bound by a sealed HELLO. */
  private async enter(joined: JoinedMessage): Promise<void> {
    this.channelId = joined.channel.id;
    this.ssrc = joined.media.ssrc;
    this.cipher = joined.media.cipher;
    this.aead = createNodeAead(Buffer.from(joined.media.key, 'base64'), joined.media.cipher);
    if (this.cfg.transport === 'ws') return;
    const port = this.cfg.udpPort ?? joined.media.udpPort;
    if (port === 0) throw new ParleyClientError(ClientErrorCode.UdpHandshake, 'the server has no UDP port');
    const sock = createSocket({ type: this.cfg.udpFamily === 6 ? 'udp6' : 'udp4' });
    this.udp = sock;
    sock.on('message', (msg: Buffer) => this.onMedia(msg));
    // ICMP "port unreachable" once the server is gone: the control connection reports the failure.
    sock.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(port, this.cfg.udpHost, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    await this.handshake(sock);
  }

  /** Sends sealed HELLOs every 250 ms until one is acknowledged (binds our address to our ssrc). */
  private handshake(sock: Socket): Promise<void> {
    const aead = this.aead;
    if (aead === null) return Promise.reject(new Error('no key'));
    this.hello = new HelloHandshake({
      retryMs: 250,
      deadlineMs: this.cfg.handshakeMs,
      send: (nonce) => {
        if (this.closed) return;
        const { seq16, extSeq } = this.controlOut.next();
        sock.send(
          sealPacket(
            aead,
            Direction.ClientToServer,
            { type: PacketType.Hello, flags: 0, seq: seq16, timestamp: 0, ssrc: this.ssrc },
            extSeq,
            nonce,
          ),
        );
      },
    });
    return this.hello.done;
  }

  /** A media packet from the server (UDP datagram or binary WebSocket message). */
  private onMedia(bytes: Uint8Array): void {
    const t = this.cfg.totals;
    t.packetsReceived++;
    const arrivalMs = performance.now();
    const aead = this.aead;
    if (aead === null || readHeaderInto(bytes, HDR) !== undefined) {
      t.badPackets++;
      return;
    }
    VIEW.headerBytes = bytes.subarray(0, HEADER_SIZE);
    VIEW.sealed = bytes.subarray(HEADER_SIZE);
    if (HDR.type === PacketType.Audio) {
      let st = this.streams.get(HDR.ssrc);
      if (st === undefined) {
        if (this.streams.size >= MAX_STREAMS) {
          t.badPackets++;
          return;
        }
        st = new RecvStream();
        this.streams.set(HDR.ssrc, st);
      }
      const highest = st.inbound.highest;
      const opened = st.inbound.open(aead, Direction.ServerToClient, VIEW);
      if (!opened.ok) {
        if (opened.reason === 'replayed') {
          st.duplicates++;
          t.duplicates++;
        } else if (opened.reason === 'too_old') {
          st.tooOld++;
          t.tooOld++;
        } else {
          st.authFailed++;
          t.authFailed++;
        }
        return;
      }
      const extSeq = opened.value.extSeq;
      const sentMs = t.senders.get(HDR.ssrc)?.sentAt(extSeq) ?? NaN;
      if (sentMs <= arrivalMs) t.latency.record((arrivalMs - sentMs) * 1000);
      st.accept(extSeq, HDR.timestamp, arrivalMs, sentMs, highest);
      if (highest !== undefined && extSeq < highest) t.late++;
      this.audioReceived++;
      t.audioReceived++;
      return;
    }
    if ((HDR.type !== PacketType.Pong && HDR.type !== PacketType.HelloAck) || HDR.ssrc !== this.ssrc) {
      t.badPackets++;
      return;
    }
    const opened = this.replyIn.open(aead, Direction.ServerToClient, VIEW);
    if (!opened.ok) {
      t.authFailed++;
      return;
    }
    const payload = opened.value.payload;
    if (HDR.type === PacketType.HelloAck) {
      t.helloAcksReceived++;
      this.hello?.ack(payload);
      return;
    }
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
