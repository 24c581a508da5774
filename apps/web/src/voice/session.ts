/**
 * One connection to the server for this tab: the SDK's VoiceClient (control
 * plane, session resume) + the audio engine once in a channel, exposed as a
 * store the React tree subscribes to. It joins the default channel on its
 * own (a first start lands in Lobby), polls who is in the other channels,
 * loads the chat history of the channel it enters, and releases everything
 * (client, engine, timers, listeners) on `close()`.
 */
import { VoiceClient, userKey, type WebSocketLike } from '@parley/client';
import { loadWasmAead, WASM_CIPHERS, type QualityAggregate, type ServerMessage } from '@parley/protocol';
import { api, type MessageRow, type Page, type SessionRow } from '../lib/api';
import { getPrefs } from '../lib/prefs';
import { startAudio, type AudioEngine } from './audio';
import { INITIAL_STATE, voiceReducer, type VoiceAction, type VoiceState } from './state';

export type Identity = { kind: 'account'; token: string } | { kind: 'guest'; name: string };

/** How often the other channels' people are fetched (GET /sessions). */
const ELSEWHERE_POLL_MS = 2000;
/** Pages of 200 sessions read at most per poll. */
const ELSEWHERE_MAX_PAGES = 5;

export class VoiceSession {
  private state: VoiceState = INITIAL_STATE;
  private readonly listeners = new Set<() => void>();
  private client: VoiceClient | null = null;
  private lastQuality: QualityAggregate | null = null;
  private engine: AudioEngine | null = null;
  private engineStarting: Promise<void> | null = null;
  private readonly offs: (() => void)[] = [];
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private joinPassword: string | undefined;
  private readonly engineListeners = new Set<() => void>();
  /** Why the audio could not start (no microphone, permission refused…), or null. */
  engineError: string | null = null;

  constructor(
    private readonly identity: Identity,
    /** Where a new session lands (and "Join voice" goes): the server's default channel. */
    readonly defaultChannel: string,
  ) {}

  // ── store ──
  getState = (): VoiceState => this.state;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  private dispatch(a: VoiceAction): void {
    const next = voiceReducer(this.state, a);
    if (next === this.state) return;
    this.state = next;
    for (const fn of this.listeners) fn();
  }

  /** The audio engine (null before joining, or in a build without it). */
  get audio(): AudioEngine | null {
    return this.engine;
  }

  /** Called when the engine starts or stops. */
  onEngine(fn: () => void): () => void {
    this.engineListeners.add(fn);
    return () => this.engineListeners.delete(fn);
  }

  /** Whether `ssrc` is heard speaking: from received audio when the engine runs, else the server's flag. */
  speaking(ssrc: number, serverFlag: boolean): boolean {
    return this.engine === null ? serverFlag : (this.state.heard.get(ssrc) ?? false);
  }

  // ── lifecycle ──
  /** Connects, says hello and enters the default channel. Rejects with the server's code. */
  async start(): Promise<void> {
    const aead = await loadWasmAead();
    const client = await VoiceClient.connect({
      server: location.origin,
      ...(this.identity.kind === 'account' ? { token: this.identity.token } : { name: this.identity.name }),
      webSocket: (url) => new WebSocket(url) as unknown as WebSocketLike,
      aead,
      ciphers: WASM_CIPHERS,
    });
    if (this.closed) {
      client.close();
      return;
    }
    this.client = client;
    this.offs.push(
      client.onEvent((m) => this.onServerMessage(m)),
      client.on('chat', (m) => this.dispatch({ type: 'chat', messages: [m] })),
      client.on('quality', (q) => (this.lastQuality = q)),
      client.on('channels', (c) => this.dispatch({ type: 'channels', channels: c.values() })),
      client.on('reconnecting', (r) => this.dispatch({ type: 'reconnecting', attempt: r.attempt })),
      client.on('reconnected', ({ resumed }) => {
        this.welcome(client);
        if (client.joined !== null) this.enterChannel(client.joined);
        this.dispatch({ type: 'live', resumed });
      }),
      client.on('disconnected', (d) => {
        this.dispatch({ type: 'closed', code: d.code, reason: d.reason });
        void this.stopEngine();
      }),
    );
    this.welcome(client);
    this.dispatch({ type: 'live' });
    const onVisible = () => {
      if (!document.hidden) this.schedulePoll(0);
    };
    document.addEventListener('visibilitychange', onVisible);
    this.offs.push(() => document.removeEventListener('visibilitychange', onVisible));
    this.schedulePoll(0);
    await this.join(this.defaultChannel);
  }

  private welcome(client: VoiceClient): void {
    this.dispatch({
      type: 'welcome',
      user: client.user,
      ssrc: client.sessionId,
      channels: client.channels.values(),
    });
  }

  /** Ends the session (goodbye to the server), the audio and the polling; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    for (const off of this.offs.splice(0)) off();
    void this.stopEngine();
    this.client?.close();
    this.client = null;
    this.listeners.clear();
    this.engineListeners.clear();
  }

  private onServerMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'joined':
        this.enterChannel(m);
        break;
      case 'left':
        this.dispatch({ type: 'left' });
        break;
      case 'presence':
        this.dispatch({ type: 'presence', presence: m });
        if (m.joined.length > 0) this.applyVolumes();
        break;
      case 'members':
        this.dispatch({ type: 'members', page: m });
        this.applyVolumes();
        break;
      case 'channel_created':
      case 'channel_updated':
      case 'channel_deleted':
        this.schedulePoll(0);
        break;
      default:
    }
  }

  private enterChannel(joined: Extract<ServerMessage, { type: 'joined' }>): void {
    const changed = this.state.channelId !== joined.channel.id;
    this.dispatch({ type: 'joined', joined });
    if (changed) void this.loadHistory(joined.channel.id);
    void this.ensureEngine();
    this.applyVolumes();
  }

  // ── actions ──
  private need(): VoiceClient {
    if (this.client === null) throw new Error('not connected');
    return this.client;
  }

  async join(channel: string | number, password?: string): Promise<void> {
    const joined = await this.need().join(channel, password);
    this.joinPassword = password;
    this.enterChannel(joined);
  }

  /** Creates a temporary channel (gone when its last person leaves) and enters it. */
  async createTemp(name: string): Promise<void> {
    this.enterChannel(await this.need().createTemp(name));
  }

  async leave(): Promise<void> {
    await this.need().leave();
    this.dispatch({ type: 'left' });
    await this.stopEngine();
  }

  /**
   * The server drops what a muted (or deafened) session sends, and handles
   * media before the control messages that came with it. Muting, the
   * engine's last packet (the cut that makes listeners stop at once:
   * docs/protocol.md, "Cut by mute") goes out before the state; unmuting,
   * the engine starts sending once the server has answered the state (a
   * round trip later), or the first words would be dropped.
   */
  async setMuted(muted: boolean): Promise<void> {
    await this.changeSending({ muted }, muted || (this.state.self?.deafened ?? false));
  }

  /** Deafened, you also stop sending (the server mutes a deafened session). */
  async setDeafened(deafened: boolean): Promise<void> {
    this.engine?.setDeafened(deafened);
    await this.changeSending({ deafened }, deafened || (this.state.self?.muted ?? false));
  }

  private async changeSending(
    state: { muted: boolean } | { deafened: boolean },
    silent: boolean,
  ): Promise<void> {
    const client = this.need();
    if (silent) {
      this.engine?.setMuted(true);
      await client.setState(state);
    } else {
      await client.setState(state);
      this.engine?.setMuted(false);
    }
  }

  async sendChat(text: string): Promise<void> {
    await this.need().sendChat(text);
  }

  kick(ssrc: number): Promise<void> {
    return this.need().kick(ssrc);
  }

  move(ssrc: number, channel: number): Promise<void> {
    return this.need().move(ssrc, channel);
  }

  serverMute(ssrc: number, state: { muted?: boolean; deafened?: boolean }): Promise<void> {
    return this.need().serverMute(ssrc, state);
  }

  priority(ssrc: number, on: boolean): Promise<void> {
    return this.need().priority(ssrc, on);
  }

  /** Gives every member of our channel the volume its user has in the preferences. */
  applyVolumes(): void {
    const engine = this.engine;
    if (engine === null) return;
    const { volumes } = getPrefs();
    for (const m of this.state.members.values()) engine.setUserVolume(userKey(m), volumes[userKey(m)] ?? 1);
  }

  /** Round trip of a control `ping` over the WebSocket, ms (the control plane's own RTT). */
  async controlRttMs(): Promise<number> {
    const client = this.need();
    const t0 = performance.now();
    await client.control.request({ type: 'ping', t: t0 }, 'pong');
    return performance.now() - t0;
  }

  /** Transport and cipher as the client knows them (without the engine's figures). */
  /** How our listeners hear us (their receiver reports, from the server every 5 s while we talk); null before. */
  quality(): QualityAggregate | null {
    return this.lastQuality;
  }

  linkInfo(): { transport: string | null; cipher: string | null; ssrc: number } {
    const c = this.client;
    return {
      transport: c?.transportKind ?? null,
      cipher: c?.joined?.media.cipher ?? null,
      ssrc: c?.sessionId ?? 0,
    };
  }

  // ── engine ──
  private ensureEngine(): Promise<void> {
    if (this.engine !== null || this.client === null) return Promise.resolve();
    this.engineStarting ??= (async () => {
      const client = this.client;
      if (client === null) return;
      let engine: AudioEngine;
      try {
        engine = await startAudio(client, getPrefs());
      } catch (err) {
        this.engineError = err instanceof Error ? err.message : String(err);
        for (const fn of this.engineListeners) fn();
        return;
      }
      if (this.closed || this.state.channelId === null) {
        await engine.close();
        return;
      }
      this.engine = engine;
      this.engineError = null;
      engine.onSpeaking((ssrc, speaking) => this.dispatch({ type: 'heard', ssrc, speaking }));
      engine.onSelfSpeaking((speaking) =>
        this.dispatch({ type: 'heard', ssrc: this.state.selfSsrc, speaking }),
      );
      // Speakers who started while the engine was starting (their event came before we listened).
      for (const ssrc of this.state.members.keys()) {
        if (engine.isSpeaking(ssrc)) this.dispatch({ type: 'heard', ssrc, speaking: true });
      }
      const self = this.state.self;
      if (self !== null) {
        engine.setMuted(self.muted || self.deafened);
        engine.setDeafened(self.deafened);
      }
      this.applyVolumes();
      for (const fn of this.engineListeners) fn();
    })().finally(() => (this.engineStarting = null));
    return this.engineStarting;
  }

  private async stopEngine(): Promise<void> {
    await this.engineStarting?.catch(() => undefined);
    const e = this.engine;
    this.engine = null;
    this.dispatch({ type: 'heard-reset' });
    if (e !== null) {
      for (const fn of this.engineListeners) fn();
      await e.close();
    }
  }

  // ── REST side ──
  private get token(): string | null {
    return this.identity.kind === 'account' ? this.identity.token : null;
  }

  private async loadHistory(channelId: number): Promise<void> {
    try {
      const page = await api<Page<MessageRow>>(`/channels/${channelId}/messages`, {
        token: this.token,
        query: { limit: 50 },
        ...(this.joinPassword === undefined
          ? {}
          : { headers: { 'parley-channel-password': this.joinPassword } }),
      });
      if (!this.closed) this.dispatch({ type: 'chat', messages: page.items });
    } catch {
      // History is a convenience: live messages still arrive.
    }
  }

  private schedulePoll(delayMs: number): void {
    if (this.closed) return;
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      void this.pollElsewhere().finally(() => {
        if (!this.closed && this.pollTimer === null) this.schedulePoll(ELSEWHERE_POLL_MS);
      });
    }, delayMs);
  }

  private async pollElsewhere(): Promise<void> {
    // A hidden tab does not need the other channels' people: the next poll after it shows again does.
    if (document.hidden) return;
    const all: SessionRow[] = [];
    let cursor: string | null = null;
    try {
      for (let i = 0; i < ELSEWHERE_MAX_PAGES; i++) {
        const page: Page<SessionRow> = await api<Page<SessionRow>>('/sessions', {
          token: this.token,
          query: { limit: 200, ...(cursor === null ? {} : { cursor }) },
        });
        all.push(...page.items);
        cursor = page.nextCursor;
        if (cursor === null) break;
      }
    } catch {
      return; // offline for a moment: keep what we had
    }
    if (!this.closed) this.dispatch({ type: 'elsewhere', sessions: all });
  }
}
