import {
  ErrorCode,
  type AeadFactory,
  type Cipher,
  type ChannelInfo,
  type ChatMessageInfo,
  type ClientMessage,
  type JoinedMessage,
  type Member,
  type MembersMessage,
  type PresenceMessage,
  type QualityAggregate,
  type ReportMessage,
  type ServerMessage,
  type WelcomeMessage,
} from '@parley/protocol';
import {
  ControlConnection,
  ClientErrorCode,
  ParleyClientError,
  type ControlConnectionOptions,
  type WebSocketFactory,
  type WebSocketLike,
} from './control.js';
import { Emitter } from './emitter.js';
import { MediaPath, type AudioPacketIn, type VoiceClientStats } from './media-path.js';
import type { UdpTransportFactory } from './media-transport.js';

export type { AudioPacketIn, VoiceClientStats } from './media-path.js';

export interface ReconnectOptions {
  /** Attempts before giving up (default 8). */
  attempts?: number;
  /** Wait before the second attempt, doubled each time (default 200 ms; the first is immediate). */
  delayMs?: number;
  /** Longest wait between attempts (default 2 s). */
  maxDelayMs?: number;
}

export interface VoiceClientOptions {
  /** Server base URL, e.g. http://127.0.0.1:8710 */
  server: string;
  /** Nickname as a guest (with a token, the account's name is used). */
  name?: string;
  /** Login token (POST /api/v1/auth/login): connect as that account. */
  token?: string;
  webSocket: WebSocketFactory;
  /**
   * Makes the AEAD for a session key and the cipher the server picked:
   * `createNodeAead` from `@parley/protocol/node`, or in browsers the
   * factory `await loadWasmAead()` returns (libsodium's WebAssembly build).
   */
  aead: AeadFactory;
  /**
   * Media ciphers this client can use, preferred first (default: none said,
   * so the server picks AES-256-GCM). Node: NODE_CIPHERS
   * (['chacha20-poly1305', 'aes-256-gcm']); browsers: WASM_CIPHERS
   * (['chacha20-poly1305']) — the cipher the relay seals cheapest.
   */
  ciphers?: readonly Cipher[];
  /** Present: media over UDP (falls back to the WebSocket if the handshake fails). */
  udp?: UdpTransportFactory;
  /** Monotonic milliseconds. */
  now?: () => number;
  /** Random bytes (HELLO nonce). */
  randomBytes?: (n: number) => Uint8Array;
  /** How long to try the UDP handshake before falling back. */
  udpHandshakeMs?: number;
  /**
   * Over UDP, a keepalive HELLO this often (default 10 000 ms; 0 = none): keeps the
   * NAT's mapping, and moves the session when a NAT changed our address
   * (docs/protocol.md, "Keepalive and NAT rebinding").
   */
  udpKeepaliveMs?: number;
  /** Resume the session when the WebSocket breaks (default true). */
  autoResume?: boolean;
  reconnect?: ReconnectOptions;
  /** How long a request waits for its answer (default 10 s). */
  requestTimeoutMs?: number;
}

/** Who the server says we are. */
export type UserInfo = WelcomeMessage['user'];

/** Why the session ended for good. */
export interface DisconnectInfo {
  /** The server's `disconnected.code` (e.g. PARLEY_ERR_KICKED), a refused hello's code, or PARLEY_ERR_CONNECTION_CLOSED. */
  code: string;
  reason: string;
  /** WebSocket close code (4003 kicked, 4004 banned, 4005 token revoked, …). */
  closeCode: number;
  /** Name of the moderator who acted, when the server said. */
  by?: string;
}

export interface VoiceClientEvents {
  /** A chat message in our channel, ours included (when the server has stored it). */
  chat: ChatMessageInfo;
  /** The channel tree changed (or arrived with `welcome`). */
  channels: ReadonlyMap<number, ChannelInfo>;
  /** The WebSocket broke; trying to get the session back. */
  reconnecting: { attempt: number; closeCode: number };
  /** Back online: `resumed` = the same session, nothing missed; false = a new session (new ssrc), channel re-joined. */
  reconnected: { resumed: boolean };
  /** The session ended and will not come back (kicked, banned, token revoked, or could not reconnect). */
  disconnected: DisconnectInfo;
  /** How our listeners hear us, together (docs/protocol.md §2.6): at most every 5 s while they report. */
  quality: QualityAggregate;
}

type Phase = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** The server closed us for reading too slowly (docs/protocol.md §2.3.3): the session waits for a resume. */
const CLOSE_TOO_SLOW = 4008;

/**
 * After these, reconnecting would not help: a goodbye, a policy close, a
 * server message over our limit (1009: resuming would replay it), or the
 * server ended the session (4xxx but 4008, too slow: that one resumes).
 */
function isResumableClose(code: number): boolean {
  if (code === CLOSE_TOO_SLOW) return true;
  return code !== 1000 && code !== 1008 && code !== 1009 && !(code >= 4000 && code <= 4999);
}

const CLIENT_CODES: ReadonlySet<string> = new Set(Object.values(ClientErrorCode));

/** A refusal by the server (banned, bad token, …): reconnecting again would be refused again. */
function isRefusal(err: unknown): err is ParleyClientError {
  return (
    err instanceof ParleyClientError && !CLIENT_CODES.has(err.code) && err.code !== ErrorCode.ResumeFailed
  );
}

/**
 * A participant: control session + media path + sealing. Emits decrypted
 * audio packets to `onAudio` listeners; sending takes Opus frames. Pacing,
 * encoding and playout live in sender.ts / receiver.ts.
 *
 * When the WebSocket breaks, the client reconnects and resumes the same
 * session (same ssrc and key, every missed event delivered), while media
 * keeps flowing over UDP; if the server no longer has the session, it starts
 * a new one and re-joins the channel (`reconnected` tells which).
 */
export class VoiceClient {
  readonly stats: VoiceClientStats = { packetsSent: 0, packetsReceived: 0, drops: {}, pathChallenges: 0 };
  joined: JoinedMessage | null = null;
  /**
   * The others in our channel that we know of: the first page from `joined`,
   * then kept up to date by `presence` batches and `members` pages. In a
   * channel larger than a page it is partial until `fetchMembers()`.
   */
  members = new Map<number, Member>();
  /** Everyone in our channel (self included), as the server last said; 0 outside a channel. */
  memberCount = 0;
  /** Cursor of the members not fetched yet (null: `members` is complete). */
  private membersNext: number | null = null;
  /** The channel tree, kept up to date from channel_created / _updated / _deleted. */
  readonly channels = new Map<number, ChannelInfo>();
  /** Who the server says we are (account or guest). */
  user: UserInfo;
  private conn: ControlConnection;
  private session = { id: 0, resumeToken: '' };
  private phase: Phase = 'connecting';
  private connections = 0;
  private offConn: (() => void)[] = [];
  private lastDisconnected: Extract<ServerMessage, { type: 'disconnected' }> | null = null;
  private joinPassword: string | undefined;
  private wake: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | null = null;
  /** The WebSocket of a reconnection attempt, while it is still opening: `close()` closes it too. */
  private opening: WebSocketLike | null = null;
  private readonly media: MediaPath;
  private readonly eventListeners = new Set<(m: ServerMessage) => void>();
  private readonly events = new Emitter<VoiceClientEvents>();

  private constructor(
    private readonly opts: VoiceClientOptions,
    private readonly url: string,
    conn: ControlConnection,
  ) {
    this.media = new MediaPath(
      {
        aead: opts.aead,
        ...(opts.udp === undefined ? {} : { udp: opts.udp }),
        host: new URL(opts.server).hostname.replace(/^\[|\]$/g, ''),
        sendOverWs: (p) => this.conn.sendMedia(p),
        now: opts.now ?? (() => performance.now()),
        ...(opts.randomBytes === undefined ? {} : { randomBytes: opts.randomBytes }),
        ...(opts.udpHandshakeMs === undefined ? {} : { udpHandshakeMs: opts.udpHandshakeMs }),
        ...(opts.udpKeepaliveMs === undefined ? {} : { udpKeepaliveMs: opts.udpKeepaliveMs }),
      },
      this.stats,
    );
    this.user = { id: null, name: opts.name ?? '', role: 'guest' };
    this.conn = conn;
    this.attach(conn);
  }

  /** Connects and says hello (with the token, if any). Errors carry a stable `code`. */
  static async connect(opts: VoiceClientOptions): Promise<VoiceClient> {
    const url = toWsUrl(opts.server);
    const conn = await ControlConnection.open(opts.webSocket, url, connectionOptions(opts, 0));
    // Listening before hello: events right after `welcome` are not lost.
    const client = new VoiceClient(opts, url, conn);
    client.connections = 1;
    try {
      client.onWelcome(await conn.request(client.helloMessage(), 'welcome'));
    } catch (err) {
      client.close();
      throw err;
    }
    client.phase = 'live';
    return client;
  }

  /** The current control connection (it changes when the client reconnects). */
  get control(): ControlConnection {
    return this.conn;
  }

  /** Our session id (= ssrc); a new one only if a resume failed and a new session started. */
  get sessionId(): number {
    return this.session.id;
  }

  /** `live`, `reconnecting` (the WebSocket broke, media goes on), or `closed`. */
  get state(): Phase {
    return this.phase;
  }

  get transportKind(): 'udp' | 'ws' | null {
    return this.media.kind;
  }

  on<K extends keyof VoiceClientEvents>(event: K, fn: (value: VoiceClientEvents[K]) => void): () => void {
    return this.events.on(event, fn);
  }

  /** Joins a channel by name or id and opens the media path. */
  async join(channel: string | number, password?: string): Promise<JoinedMessage> {
    const joined = await this.conn.request(
      { type: 'join', channel, ...(password === undefined ? {} : { password }) },
      'joined',
    );
    this.joinPassword = password;
    await this.enter(joined);
    return joined;
  }

  async leave(): Promise<void> {
    await this.conn.request({ type: 'leave' }, 'left');
    this.joined = null;
    this.members.clear();
    this.memberCount = 0;
    this.membersNext = null;
  }

  /**
   * Self-mute / self-deafen; resolves when the server took it. The channel
   * (we included) sees it in the next `presence` batch.
   */
  async setState(state: { muted?: boolean; deafened?: boolean }): Promise<void> {
    await this.conn.request({ type: 'state', ...state }, 'ok');
  }

  /**
   * Pages through the members of our channel not listed in `joined` (a
   * channel larger than the server's page), one request at a time; resolves
   * with `members`, then complete. Resolves at once when it already is.
   */
  async fetchMembers(): Promise<ReadonlyMap<number, Member>> {
    while (this.joined !== null && this.membersNext !== null) {
      const channelId = this.joined.channel.id;
      const page: MembersMessage = await this.conn.request(
        { type: 'members', after: this.membersNext },
        'members',
      );
      if (this.joined?.channel.id !== channelId || page.channelId !== channelId) break; // moved meanwhile
      for (const m of page.members) if (m.ssrc !== this.sessionId) this.members.set(m.ssrc, m);
      this.memberCount = page.count;
      this.membersNext = page.next;
    }
    return this.members;
  }

  /** Posts a chat message in our channel; resolves with it as stored. */
  async sendChat(text: string): Promise<ChatMessageInfo> {
    const answer = await this.conn.request({ type: 'chat', text }, 'chat');
    this.events.emit('chat', answer.message);
    return answer.message;
  }

  /**
   * Sends a receiver report about the speakers we heard (docs/protocol.md
   * §2.6): no answer; at most one a second (the server refuses more).
   */
  sendReport(report: Omit<ReportMessage, 'type' | 'ref'>): void {
    this.conn.notify({ type: 'report', ...report });
  }

  /** Creates a temporary channel (deleted when its last member leaves) and joins it. */
  async createTemp(name: string, parent?: number): Promise<JoinedMessage> {
    const joined = await this.conn.request(
      { type: 'create_temp', name, ...(parent === undefined ? {} : { parent }) },
      'joined',
    );
    this.joinPassword = undefined;
    await this.enter(joined);
    return joined;
  }

  // ── moderation: each resolves when the server said `ok`, or rejects with its code ──
  kick(ssrc: number, reason?: string): Promise<void> {
    return this.act({ type: 'kick', ssrc, ...(reason === undefined ? {} : { reason }) });
  }

  /** Bans the account behind a session (and its address with `ip`); `minutes` absent = permanent. */
  ban(ssrc: number, opts: { reason?: string; minutes?: number; ip?: boolean } = {}): Promise<void> {
    return this.act({ type: 'ban', ssrc, ...opts });
  }

  move(ssrc: number, channel: string | number): Promise<void> {
    return this.act({ type: 'move', ssrc, channel });
  }

  serverMute(ssrc: number, state: { muted?: boolean; deafened?: boolean }): Promise<void> {
    return this.act({ type: 'server_mute', ssrc, ...state });
  }

  priority(ssrc: number, on: boolean): Promise<void> {
    return this.act({ type: 'priority', ssrc, on });
  }

  private async act(msg: ClientMessage): Promise<void> {
    await this.conn.request(msg, 'ok');
  }

  onAudio(fn: (p: AudioPacketIn) => void): () => void {
    return this.media.onAudio(fn);
  }

  /** Server events (presence, chat, …) after the client's own bookkeeping (`members` is up to date). */
  onEvent(fn: (m: ServerMessage) => void): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  /**
   * Seals and sends one Opus frame. `timestamp` is the 48 kHz sample clock of
   * its first sample. Returns the packet (for impairment layers that delay it).
   */
  sealAudio(opus: Uint8Array, timestamp: number, flags = 0): Uint8Array {
    return this.media.sealAudio(opus, timestamp, flags);
  }

  /** Round-trip time to the server on the media path (ms), from the last `ping()` answered; null before. */
  get rttMs(): number | null {
    return this.media.rttMs;
  }

  /** Sends a PING on the media path; its answer updates `rttMs`. */
  ping(): void {
    this.media.ping();
  }

  /** Sends an already sealed packet on the media path. */
  sendPacket(packet: Uint8Array): void {
    this.media.send(packet);
  }

  /** Leaves: closes the WebSocket (the server ends the session at once) and the media path; idempotent. */
  close(): void {
    this.phase = 'closed';
    this.stopWaiting();
    this.media.close();
    this.conn.close();
    // A reconnection still opening its socket: its `open` rejects, and the attempt ends.
    this.opening?.close();
    this.opening = null;
  }

  // ── session lifecycle ──
  private helloMessage(resume?: { token: string; lastSeq: number }): ClientMessage {
    const { token, name, ciphers } = this.opts;
    return {
      type: 'hello',
      v: 1,
      ...(ciphers === undefined ? {} : { ciphers: [...ciphers] }),
      ...(token === undefined ? {} : { token }),
      ...(name === undefined ? {} : { name }),
      ...(resume === undefined ? {} : { resume }),
    };
  }

  private attach(conn: ControlConnection): void {
    for (const off of this.offConn) off();
    this.conn = conn;
    this.offConn = [
      conn.on('message', (m) => this.handleEvent(m)),
      conn.on('media', (p) => this.media.onPacket(p)),
      conn.on('close', (ev) => this.onControlClosed(conn, ev.code, ev.reason)),
    ];
  }

  private onWelcome(w: WelcomeMessage): void {
    this.session = { id: w.sessionId, resumeToken: w.resumeToken };
    this.user = w.user;
    this.channels.clear();
    for (const c of w.channels) this.channels.set(c.id, c);
    this.events.emit('channels', this.channels);
  }

  private onControlClosed(conn: ControlConnection, code: number, reason: string): void {
    if (conn !== this.conn || this.phase !== 'live') return;
    if (this.lastDisconnected !== null || this.opts.autoResume === false || !isResumableClose(code)) {
      return this.finish(code, reason);
    }
    void this.reconnect(code);
  }

  private async reconnect(closeCode: number): Promise<void> {
    this.phase = 'reconnecting';
    const { attempts = 8, delayMs = 200, maxDelayMs = 2000 } = this.opts.reconnect ?? {};
    let delay = delayMs;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        await this.sleep(delay);
        delay = Math.min(delay * 2, maxDelayMs);
      }
      if (this.phase !== 'reconnecting') return;
      this.events.emit('reconnecting', { attempt, closeCode });
      try {
        const resumed = await this.reopen();
        if (this.phase !== 'reconnecting') {
          this.conn.close();
          return;
        }
        this.phase = 'live';
        this.events.emit('reconnected', { resumed });
        return;
      } catch (err) {
        this.conn.close(); // this attempt's socket (or the dead one: close is idempotent)
        if (this.phase !== 'reconnecting') return;
        if (isRefusal(err)) return this.finish(closeCode, err.message, err.code);
      }
    }
    this.finish(closeCode, `could not reconnect after ${attempts} attempts`);
  }

  /** One reconnection: resume the session, or start a new one and re-join. True when resumed. */
  private async reopen(): Promise<boolean> {
    const lastSeq = this.conn.lastSeq;
    const conn = await ControlConnection.open(
      (url) => (this.opening = this.opts.webSocket(url)),
      this.url,
      connectionOptions(this.opts, this.connections++),
    ).finally(() => (this.opening = null));
    this.attach(conn);
    if (this.phase !== 'reconnecting')
      throw new ParleyClientError(ClientErrorCode.ConnectionClosed, 'closed');
    conn.lastSeq = lastSeq;
    try {
      const resume = { token: this.session.resumeToken, lastSeq };
      this.onWelcome(await conn.request(this.helloMessage(resume), 'welcome'));
      return true;
    } catch (err) {
      if (!(err instanceof ParleyClientError) || err.code !== ErrorCode.ResumeFailed) throw err;
    }
    // The server no longer has our session: a new one on the same socket, back in our channel.
    conn.lastSeq = 0;
    this.onWelcome(await conn.request(this.helloMessage(), 'welcome'));
    const previous = this.joined;
    this.joined = null;
    this.members.clear();
    this.memberCount = 0;
    this.membersNext = null;
    if (previous !== null) {
      const pw = this.joinPassword;
      try {
        const msg: ClientMessage = {
          type: 'join',
          channel: previous.channel.id,
          ...(pw === undefined ? {} : { password: pw }),
        };
        await this.enter(await conn.request(msg, 'joined'));
      } catch {
        // The channel is gone or closed to us now: stay outside, connected.
      }
    }
    return false;
  }

  /** Ends for good: `disconnected` is emitted once. */
  private finish(closeCode: number, reason: string, code?: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.stopWaiting();
    this.media.close();
    const d = this.lastDisconnected;
    const by = d?.by;
    this.events.emit('disconnected', {
      code: d?.code ?? code ?? ClientErrorCode.ConnectionClosed,
      reason: d?.reason ?? reason,
      closeCode,
      ...(by === undefined ? {} : { by }),
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = { timer, resolve };
    });
  }

  private stopWaiting(): void {
    const w = this.wake;
    if (w === null) return;
    this.wake = null;
    clearTimeout(w.timer);
    w.resolve();
  }

  // ── channel ──
  /** We are in a channel (joined, moved, re-joined): the members, the key and the media path. */
  private async enter(joined: JoinedMessage): Promise<void> {
    this.applyJoined(joined);
    await this.media.enter(joined.media.key, joined.media.ssrc, joined.media.udpPort, joined.media.cipher);
  }

  private applyJoined(joined: JoinedMessage): void {
    this.joined = joined;
    this.members = new Map(joined.members.map((m) => [m.ssrc, m]));
    this.memberCount = joined.memberCount;
    this.membersNext = joined.membersNext;
  }

  /** A presence batch of our channel: idempotent (docs/protocol.md §2.3.1). */
  private applyPresence(p: PresenceMessage): void {
    const joined = this.joined;
    if (joined === null || p.channelId !== joined.channel.id) return;
    for (const m of p.joined) if (m.ssrc !== this.sessionId) this.members.set(m.ssrc, m);
    for (const m of p.changed) {
      if (m.ssrc === this.sessionId) joined.self = m;
      else this.members.set(m.ssrc, m);
    }
    for (const ssrc of p.left) {
      this.members.delete(ssrc);
      this.media.forget(ssrc);
    }
    this.memberCount = p.count;
  }

  private handleEvent(m: ServerMessage): void {
    switch (m.type) {
      case 'joined':
        // Moved by a moderator, or our channel was deleted: same session, same key.
        this.applyJoined(m);
        break;
      case 'chat':
        this.events.emit('chat', m.message);
        break;
      case 'channel_created':
      case 'channel_updated':
        this.channels.set(m.channel.id, m.channel);
        this.events.emit('channels', this.channels);
        break;
      case 'channel_deleted':
        this.channels.delete(m.channelId);
        this.events.emit('channels', this.channels);
        break;
      case 'disconnected':
        this.lastDisconnected = m;
        break;
      case 'presence':
        this.applyPresence(m);
        break;
      case 'quality': {
        const { type: _type, seq: _seq, ...aggregate } = m;
        this.events.emit('quality', aggregate);
        break;
      }
      default:
    }
    for (const fn of this.eventListeners) fn(m);
  }
}

/** Request refs unique per connection of a client (`c0.1`, `c1.1`, …): replayed answers never match. */
function connectionOptions(opts: VoiceClientOptions, n: number): ControlConnectionOptions {
  return {
    refPrefix: `c${n}.`,
    ...(opts.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: opts.requestTimeoutMs }),
  };
}

/** http://host:port → ws://host:port/ws (https → wss). */
export function toWsUrl(server: string): string {
  const u = new URL(server);
  if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    const reason = `unsupported scheme ${u.protocol} (use http://HOST:PORT)`;
    throw new ParleyClientError(ClientErrorCode.Unreachable, `unsupported server URL ${server}: ${reason}`, {
      detail: { url: server, reason },
    });
  }
  u.protocol = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : 'ws:';
  u.pathname = '/ws';
  return u.toString();
}
