import {
  AudioFlag,
  Direction,
  InboundStream,
  OutboundStream,
  PacketType,
  parsePacket,
  sealPacket,
  type Aead,
  type Cipher,
} from '@parley/protocol';
import { ClientErrorCode, ParleyClientError } from './control.js';
import { HelloHandshake } from './hello.js';
import type { MediaTransport, UdpTransportFactory } from './media-transport.js';

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
  drops: Record<string, number>;
}

export interface MediaPathOptions {
  aead: (key: Uint8Array, cipher: Cipher) => Aead;
  /** Present: media over UDP (falls back to the WebSocket if the handshake fails). */
  udp?: UdpTransportFactory;
  /** Host of the server's voice port. */
  host: string;
  /** Sends a media packet over the control WebSocket (whichever is current). */
  sendOverWs: (packet: Uint8Array) => void;
  now: () => number;
  randomBytes?: (n: number) => Uint8Array;
  udpHandshakeMs?: number;
}

/** Streams of other speakers kept at most (bounded: a hostile server can't grow it). */
const MAX_STREAMS = 256;

/**
 * A session's media: its key, sealing of what we send, opening of what we
 * receive (one replay window per speaker), and the transport — UDP after a
 * sealed HELLO is acknowledged, else the WebSocket. Knows nothing of the
 * control protocol beyond the key and ssrc it is given.
 */
export class MediaPath {
  private transport: MediaTransport | null = null;
  private aead: Aead | null = null;
  private key = '';
  /** Our session id (ssrc), which the key belongs to. */
  private ssrc = 0;
  private readonly audioOut = new OutboundStream();
  private readonly controlOut = new OutboundStream();
  private replyIn = new InboundStream();
  private readonly streams = new Map<number, InboundStream>();
  private readonly listeners = new Set<(p: AudioPacketIn) => void>();
  private hello: HelloHandshake | null = null;

  constructor(
    private readonly opts: MediaPathOptions,
    readonly stats: VoiceClientStats,
  ) {}

  get kind(): 'udp' | 'ws' | null {
    return this.transport?.kind ?? null;
  }

  /**
   * Uses the key (base64) of a `joined` and opens the transport, or, when a
   * new session brought a new key, binds its ssrc to our UDP address again.
   */
  async enter(keyB64: string, ssrc: number, udpPort: number, cipher: Cipher): Promise<void> {
    const newKey = keyB64 !== this.key;
    if (newKey) {
      this.key = keyB64;
      this.ssrc = ssrc;
      this.aead = this.opts.aead(base64ToBytes(keyB64), cipher);
      this.replyIn = new InboundStream();
    }
    if (this.transport === null) {
      this.transport = await this.open(udpPort);
    } else if (newKey && this.transport.kind === 'udp') {
      try {
        await this.handshake(this.transport);
      } catch {
        this.transport.close();
        this.transport = this.wsTransport();
      }
    }
  }

  onAudio(fn: (p: AudioPacketIn) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Seals one Opus frame. */
  sealAudio(opus: Uint8Array, timestamp: number, flags: number): Uint8Array {
    const aead = this.aead;
    if (aead === null) throw new ParleyClientError(ClientErrorCode.ConnectionClosed, 'join a channel first');
    const { seq16, extSeq } = this.audioOut.next();
    return sealPacket(
      aead,
      Direction.ClientToServer,
      {
        type: PacketType.Audio,
        flags: flags & (AudioFlag.TalkStart | AudioFlag.TalkEnd),
        seq: seq16,
        timestamp: timestamp >>> 0,
        ssrc: this.ssrc,
      },
      extSeq,
      opus,
    );
  }

  send(packet: Uint8Array): void {
    if (this.transport === null) return;
    this.transport.send(packet);
    this.stats.packetsSent++;
  }

  /** A speaker left: forget its replay window. */
  forget(ssrc: number): void {
    this.streams.delete(ssrc);
  }

  /** Closes the transport; idempotent. */
  close(): void {
    this.transport?.close();
    this.transport = null;
  }

  private wsTransport(): MediaTransport {
    return { kind: 'ws', send: this.opts.sendOverWs, onPacket: () => undefined, close: () => undefined };
  }

  private async open(udpPort: number): Promise<MediaTransport> {
    const ws = this.wsTransport();
    if (this.opts.udp === undefined) return ws;
    const udp = await this.opts.udp(this.opts.host, udpPort);
    udp.onPacket((p) => this.onPacket(p));
    try {
      await this.handshake(udp);
      return udp;
    } catch {
      udp.close();
      return ws;
    }
  }

  /** Sends sealed HELLOs until one is acknowledged, binding our UDP address to our ssrc. */
  private handshake(udp: MediaTransport): Promise<void> {
    const aead = this.aead;
    if (aead === null) return Promise.reject(new Error('no key'));
    const ssrc = this.ssrc;
    const hello = new HelloHandshake({
      retryMs: 200,
      deadlineMs: this.opts.udpHandshakeMs ?? 3000,
      ...(this.opts.randomBytes ? { randomBytes: this.opts.randomBytes } : {}),
      send: (nonce) => {
        const { seq16, extSeq } = this.controlOut.next();
        udp.send(
          sealPacket(
            aead,
            Direction.ClientToServer,
            { type: PacketType.Hello, flags: 0, seq: seq16, timestamp: 0, ssrc },
            extSeq,
            nonce,
          ),
        );
      },
    });
    this.hello = hello;
    return hello.done.finally(() => {
      if (this.hello === hello) this.hello = null;
    });
  }

  private drop(reason: string): void {
    this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1;
  }

  /** A packet from the server (UDP or WebSocket). */
  onPacket(bytes: Uint8Array): void {
    const aead = this.aead;
    if (aead === null) return this.drop('no_key');
    const parsed = parsePacket(bytes);
    if (!parsed.ok) return this.drop(parsed.reason);
    const view = parsed.value;
    const h = view.header;
    if (h.type === PacketType.Audio) {
      let stream = this.streams.get(h.ssrc);
      if (stream === undefined) {
        if (this.streams.size >= MAX_STREAMS) return this.drop('too_many_streams');
        stream = new InboundStream();
        this.streams.set(h.ssrc, stream);
      }
      const opened = stream.open(aead, Direction.ServerToClient, view);
      if (!opened.ok) return this.drop(opened.reason);
      this.stats.packetsReceived++;
      const p: AudioPacketIn = {
        ssrc: h.ssrc,
        extSeq: opened.value.extSeq,
        timestamp: h.timestamp,
        flags: h.flags,
        payload: opened.value.payload,
        arrivalMs: this.opts.now(),
      };
      for (const fn of this.listeners) fn(p);
      return;
    }
    if (h.type === PacketType.HelloAck || h.type === PacketType.Pong) {
      if (h.ssrc !== this.ssrc) return this.drop('bad_ssrc');
      const opened = this.replyIn.open(aead, Direction.ServerToClient, view);
      if (!opened.ok) return this.drop(opened.reason);
      if (h.type === PacketType.HelloAck) this.hello?.ack(opened.value.payload);
      return;
    }
    this.drop('unexpected_type');
  }
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
