/**
 * The media session core of a client, with no I/O: the session key and
 * ssrc, the outbound streams (audio, and HELLO/PING), one inbound stream per
 * speaker (bounded) plus the server's replies, sealing, and opening of
 * whatever arrives into a reused result. The SDK's MediaPath and the load
 * generator's participants are both built on it; transports, timers and
 * statistics stay with them.
 */
import {
  AudioFlag,
  Direction,
  HEADER_SIZE,
  InboundStream,
  OutboundStream,
  PacketType,
  readHeaderInto,
  sealPacketWithHeader,
  writeHeader,
  type Aead,
  type HeaderRejection,
  type MediaHeader,
  type MediaPacketView,
  type OpenRejection,
} from '@parley/protocol';

/** Why an incoming media packet was dropped (the keys of `MediaCore.drops`). */
export type MediaDropReason =
  | HeaderRejection
  | OpenRejection
  /** No key yet: not in a channel. */
  | 'no_key'
  /** A new speaker beyond `maxStreams`. */
  | 'too_many_streams'
  /** A HELLO_ACK or PONG for another session. */
  | 'bad_ssrc'
  /** A packet type the server never sends to clients. */
  | 'unexpected_type';

/** Counts of dropped packets by reason (only reasons that happened are present). */
export type MediaDrops = Partial<Record<MediaDropReason, number>>;

/**
 * What `receive` made of a packet. One object, reused and overwritten by
 * the next call: copy what must outlive the call (`payload` is a fresh
 * buffer and may be kept).
 */
export interface ReceivedPacket {
  kind: 'audio' | 'hello_ack' | 'pong' | 'dropped';
  /** The header as read (for 'dropped', as far as it could be read). */
  readonly header: MediaHeader;
  /** Extended sequence number (audio, hello_ack, pong). */
  extSeq: number;
  /** The opened payload (empty when dropped). */
  payload: Uint8Array;
  /** Audio: older than a packet of this speaker already accepted (reordered). */
  late: boolean;
  /** Set when `kind` is 'dropped'. */
  reason: MediaDropReason | null;
}

export interface MediaCoreOptions {
  /** Speakers tracked at most; packets of further ones are dropped (`too_many_streams`). Default 256. */
  maxStreams?: number;
}

const EMPTY = new Uint8Array(0);
/** Flags a client may set on audio: the server drops any other. */
const CLIENT_AUDIO_FLAGS = AudioFlag.TalkStart | AudioFlag.TalkEnd | AudioFlag.Redundant | AudioFlag.Cut;

export class MediaCore {
  /** Packets dropped, by reason. */
  readonly drops: MediaDrops = {};
  private aead: Aead | null = null;
  private sessionSsrc = 0;
  private readonly audioOut = new OutboundStream();
  private readonly controlOut = new OutboundStream();
  private replyIn = new InboundStream();
  private readonly streams = new Map<number, InboundStream>();
  private readonly maxStreams: number;
  private readonly outHeader: MediaHeader = {
    type: PacketType.Audio,
    flags: 0,
    seq: 0,
    timestamp: 0,
    ssrc: 0,
  };
  private readonly headerBytes = new Uint8Array(HEADER_SIZE);
  private readonly view: MediaPacketView;
  private readonly result: ReceivedPacket;

  constructor(opts: MediaCoreOptions = {}) {
    this.maxStreams = opts.maxStreams ?? 256;
    const header: MediaHeader = { type: PacketType.Audio, flags: 0, seq: 0, timestamp: 0, ssrc: 0 };
    this.view = { header, headerBytes: EMPTY, sealed: EMPTY };
    this.result = { kind: 'dropped', header, extSeq: 0, payload: EMPTY, late: false, reason: null };
  }

  /** Our session id, which the key belongs to (0 before the first key). */
  get ssrc(): number {
    return this.sessionSsrc;
  }

  get hasKey(): boolean {
    return this.aead !== null;
  }

  /** Speakers currently tracked. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** The extended sequence number the next audio packet will carry. */
  get nextAudioSeq(): number {
    return this.audioOut.peek();
  }

  /** A new session key (a `joined` of a new session): the replies' replay window starts afresh. */
  setKey(aead: Aead, ssrc: number): void {
    this.aead = aead;
    this.sessionSsrc = ssrc;
    this.replyIn = new InboundStream();
  }

  /** Seals one Opus frame; `timestamp` is the 48 kHz clock of its first sample. Null without a key. */
  sealAudio(opus: Uint8Array, timestamp: number, flags: number): Uint8Array | null {
    return this.seal(PacketType.Audio, this.audioOut, flags & CLIENT_AUDIO_FLAGS, timestamp >>> 0, opus);
  }

  /** Seals a HELLO (payload: the handshake nonce) or a PING (payload: our clock). Null without a key. */
  sealControl(
    type: typeof PacketType.Hello | typeof PacketType.Ping,
    payload: Uint8Array,
  ): Uint8Array | null {
    return this.seal(type, this.controlOut, 0, 0, payload);
  }

  /** A speaker left: forget its replay window. */
  forget(ssrc: number): void {
    this.streams.delete(ssrc);
  }

  /** Opens a packet from the server; the result is overwritten by the next call. */
  receive(bytes: Uint8Array): ReceivedPacket {
    const r = this.result;
    r.extSeq = 0;
    r.payload = EMPTY;
    r.late = false;
    const aead = this.aead;
    if (aead === null) return this.drop('no_key');
    const view = this.view;
    const bad = readHeaderInto(bytes, view.header);
    if (bad !== undefined) return this.drop(bad);
    view.headerBytes = bytes.subarray(0, HEADER_SIZE);
    view.sealed = bytes.subarray(HEADER_SIZE);
    const h = view.header;
    let stream: InboundStream | undefined;
    if (h.type === PacketType.Audio) {
      stream = this.streams.get(h.ssrc);
      if (stream === undefined) {
        if (this.streams.size >= this.maxStreams) return this.drop('too_many_streams');
        stream = new InboundStream();
        this.streams.set(h.ssrc, stream);
      }
    } else if (h.type === PacketType.HelloAck || h.type === PacketType.Pong) {
      if (h.ssrc !== this.sessionSsrc) return this.drop('bad_ssrc');
      stream = this.replyIn;
    } else return this.drop('unexpected_type');
    const highest = stream.highest;
    const opened = stream.open(aead, Direction.ServerToClient, view);
    if (!opened.ok) return this.drop(opened.reason);
    r.kind = h.type === PacketType.Audio ? 'audio' : h.type === PacketType.HelloAck ? 'hello_ack' : 'pong';
    r.reason = null;
    r.extSeq = opened.value.extSeq;
    r.payload = opened.value.payload;
    r.late = highest !== undefined && r.extSeq < highest;
    return r;
  }

  private drop(reason: MediaDropReason): ReceivedPacket {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    this.result.kind = 'dropped';
    this.result.reason = reason;
    return this.result;
  }

  private seal(
    type: PacketType,
    out: OutboundStream,
    flags: number,
    timestamp: number,
    payload: Uint8Array,
  ): Uint8Array | null {
    const aead = this.aead;
    if (aead === null) return null;
    const { seq16, extSeq } = out.next();
    const h = this.outHeader;
    h.type = type;
    h.flags = flags;
    h.seq = seq16;
    h.timestamp = timestamp;
    h.ssrc = this.sessionSsrc;
    writeHeader(this.headerBytes, 0, h);
    return sealPacketWithHeader(
      aead,
      Direction.ClientToServer,
      this.headerBytes,
      type,
      this.sessionSsrc,
      extSeq,
      payload,
    );
  }
}
