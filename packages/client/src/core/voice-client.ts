import {
  AudioFlag,
  Direction,
  InboundStream,
  OutboundStream,
  PacketType,
  parsePacket,
  sealPacket,
  type Aead,
  type JoinedMessage,
  type Member,
  type ServerMessage,
} from '@parley/protocol';
import { ControlConnection, ClientErrorCode, ParleyClientError, type WebSocketFactory } from './control.js';
import type { MediaTransport, UdpTransportFactory } from './media-transport.js';

export interface VoiceClientOptions {
  /** Server base URL, e.g. http://127.0.0.1:8710 */
  server: string;
  name: string;
  webSocket: WebSocketFactory;
  aead: (key: Uint8Array) => Aead;
  /** Present: media over UDP (falls back to the WebSocket if the handshake fails). */
  udp?: UdpTransportFactory;
  /** Monotonic milliseconds. */
  now?: () => number;
  /** Random bytes (HELLO nonce). */
  randomBytes?: (n: number) => Uint8Array;
  /** How long to try the UDP handshake before falling back. */
  udpHandshakeMs?: number;
}

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

/** Streams of other speakers kept at most (bounded: a hostile server can't grow it). */
const MAX_STREAMS = 256;

/**
 * A participant: control session + media path + sealing. Emits decrypted
 * audio packets to `onAudio` listeners; sending takes Opus frames. Pacing,
 * encoding and playout live in sender.ts / receiver.ts.
 */
export class VoiceClient {
  readonly stats: VoiceClientStats = { packetsSent: 0, packetsReceived: 0, drops: {} };
  joined: JoinedMessage | null = null;
  members = new Map<number, Member>();
  private media: MediaTransport | null = null;
  private aead: Aead | null = null;
  private readonly audioOut = new OutboundStream();
  private readonly controlOut = new OutboundStream();
  private readonly replyIn = new InboundStream();
  private readonly streams = new Map<number, InboundStream>();
  private readonly audioListeners = new Set<(p: AudioPacketIn) => void>();
  private readonly eventListeners = new Set<(m: ServerMessage) => void>();
  private helloWaiter: ((payload: Uint8Array) => void) | null = null;
  private readonly now: () => number;

  private constructor(
    readonly control: ControlConnection,
    readonly sessionId: number,
    private readonly opts: VoiceClientOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    control.on('message', (m) => this.handleEvent(m));
    control.on('media', (p) => this.onPacket(p));
  }

  /** Connects and says hello. Errors carry a stable `code`. */
  static async connect(opts: VoiceClientOptions): Promise<VoiceClient> {
    const url = toWsUrl(opts.server);
    const control = await ControlConnection.open(opts.webSocket, url);
    try {
      const welcome = await control.request({ type: 'hello', v: 1, name: opts.name }, 'welcome');
      return new VoiceClient(control, welcome.sessionId, opts);
    } catch (err) {
      control.close();
      throw err;
    }
  }

  get transportKind(): 'udp' | 'ws' | null {
    return this.media?.kind ?? null;
  }

  /** Joins a channel by name or id and opens the media path. */
  async join(channel: string | number): Promise<JoinedMessage> {
    const joined = await this.control.request({ type: 'join', channel }, 'joined');
    this.joined = joined;
    this.members = new Map(joined.members.map((m) => [m.ssrc, m]));
    const key = base64ToBytes(joined.media.key);
    this.aead = this.opts.aead(key);
    if (this.media === null) this.media = await this.openMedia(joined);
    return joined;
  }

  async leave(): Promise<void> {
    await this.control.request({ type: 'leave' }, 'left');
    this.joined = null;
    this.members.clear();
  }

  setState(state: { muted?: boolean; deafened?: boolean }): void {
    this.control.notify({ type: 'state', ...state });
  }

  onAudio(fn: (p: AudioPacketIn) => void): () => void {
    this.audioListeners.add(fn);
    return () => this.audioListeners.delete(fn);
  }

  /** Server events (member_joined, speaking, …) after the client's own bookkeeping. */
  onEvent(fn: (m: ServerMessage) => void): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  private handleEvent(m: ServerMessage): void {
    this.trackMembers(m);
    for (const fn of this.eventListeners) fn(m);
  }

  /**
   * Seals and sends one Opus frame. `timestamp` is the 48 kHz sample clock of
   * its first sample. Returns the packet (for impairment layers that delay it).
   */
  sealAudio(opus: Uint8Array, timestamp: number, flags = 0): Uint8Array {
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
        ssrc: this.sessionId,
      },
      extSeq,
      opus,
    );
  }

  /** Sends an already sealed packet on the media path. */
  sendPacket(packet: Uint8Array): void {
    if (this.media === null) return;
    this.media.send(packet);
    this.stats.packetsSent++;
  }

  close(): void {
    this.media?.close();
    this.media = null;
    this.control.close();
  }

  private async openMedia(joined: JoinedMessage): Promise<MediaTransport> {
    const ws: MediaTransport = {
      kind: 'ws',
      send: (p) => this.control.sendMedia(p),
      onPacket: () => undefined,
      close: () => undefined,
    };
    if (this.opts.udp === undefined) return ws;
    const host = new URL(this.opts.server).hostname.replace(/^\[|\]$/g, '');
    const udp = await this.opts.udp(host, joined.media.udpPort);
    udp.onPacket((p) => this.onPacket(p));
    try {
      await this.udpHandshake(udp);
      return udp;
    } catch {
      udp.close();
      return ws;
    }
  }

  /** Sends sealed HELLOs until one is acknowledged, binding our UDP address. */
  private udpHandshake(udp: MediaTransport): Promise<void> {
    const aead = this.aead;
    if (aead === null) return Promise.reject(new Error('no key'));
    const random =
      this.opts.randomBytes ?? ((n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
    const nonce = random(8);
    const deadlineMs = this.opts.udpHandshakeMs ?? 3000;
    return new Promise((resolve, reject) => {
      const send = (): void => {
        const { seq16, extSeq } = this.controlOut.next();
        udp.send(
          sealPacket(
            aead,
            Direction.ClientToServer,
            { type: PacketType.Hello, flags: 0, seq: seq16, timestamp: 0, ssrc: this.sessionId },
            extSeq,
            nonce,
          ),
        );
      };
      const timer = setInterval(send, 200);
      const giveUp = setTimeout(() => {
        clearInterval(timer);
        this.helloWaiter = null;
        reject(new ParleyClientError(ClientErrorCode.UdpHandshake, 'no answer to UDP hello'));
      }, deadlineMs);
      this.helloWaiter = (payload) => {
        if (!bytesEqual(payload, nonce)) return;
        clearInterval(timer);
        clearTimeout(giveUp);
        this.helloWaiter = null;
        resolve();
      };
      send();
    });
  }

  private drop(reason: string): void {
    this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1;
  }

  private onPacket(bytes: Uint8Array): void {
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
        arrivalMs: this.now(),
      };
      for (const fn of this.audioListeners) fn(p);
      return;
    }
    if (h.type === PacketType.HelloAck || h.type === PacketType.Pong) {
      if (h.ssrc !== this.sessionId) return this.drop('bad_ssrc');
      const opened = this.replyIn.open(aead, Direction.ServerToClient, view);
      if (!opened.ok) return this.drop(opened.reason);
      if (h.type === PacketType.HelloAck) this.helloWaiter?.(opened.value.payload);
      return;
    }
    this.drop('unexpected_type');
  }

  private trackMembers(m: ServerMessage): void {
    switch (m.type) {
      case 'member_joined':
      case 'member_state':
        if (m.member.ssrc !== this.sessionId) this.members.set(m.member.ssrc, m.member);
        break;
      case 'member_left':
        this.members.delete(m.ssrc);
        this.streams.delete(m.ssrc);
        break;
      case 'speaking': {
        const member = this.members.get(m.ssrc);
        if (member) member.speaking = m.speaking;
        break;
      }
      default:
    }
  }
}

/** http://host:port → ws://host:port/ws (https → wss). */
export function toWsUrl(server: string): string {
  const u = new URL(server);
  if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new ParleyClientError(
      ClientErrorCode.Unreachable,
      `unsupported server URL ${server} (use http://HOST:PORT)`,
    );
  }
  u.protocol = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:';
  u.pathname = '/ws';
  return u.toString();
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
