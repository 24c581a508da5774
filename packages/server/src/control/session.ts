import { ErrorCode, parseClientMessage, type ClientMessage, type ServerMessage } from '@parley/protocol';
import type { ParleyConfig } from '../config.js';
import type { MediaSession, WsSink } from '../media/session.js';
import { TokenBucket } from '../media/token-bucket.js';
import type { Actor } from '../services/actor.js';
import type { Services } from '../services/index.js';
import { memberOf, newPresence, type Hub, type HubPeer, type Presence } from './hub.js';

/** The transport a control session talks through (a WebSocket in production). */
export interface ControlSocket extends WsSink {
  sendText(text: string): void;
  close(code: number, reason: string): void;
}

/**
 * Server-side state of one WebSocket control session. A discriminated union:
 * each state carries only what is valid in it (docs/protocol.md §2).
 */
export type ControlState =
  | { status: 'connected'; helloTimer: NodeJS.Timeout }
  | { status: 'ready'; actor: Actor; media: MediaSession }
  | { status: 'in_channel'; actor: Actor; media: MediaSession; channelId: number }
  | { status: 'closed' };

export interface ControlSessionDeps {
  hub: Hub;
  services: Services;
  /** The client's address (after trusted-proxy resolution). */
  ip: string;
  config: ParleyConfig;
  serverVersion: string;
  udpPort: () => number;
  now: () => number;
}

type Reply = (msg: ServerMessage) => void;

/** WebSocket close codes we use (4000–4999 are application codes). */
export const CloseCode = {
  Normal: 1000,
  PolicyViolation: 1008,
  HelloTimeout: 4001,
  ServerFull: 4002,
} as const;

export class ControlSession implements HubPeer {
  private state: ControlState;
  private readonly bucket: TokenBucket;
  private limitedAt = -Infinity;

  constructor(
    private readonly socket: ControlSocket,
    private readonly deps: ControlSessionDeps,
  ) {
    const timer = setTimeout(() => {
      this.sendError(ErrorCode.HelloTimeout, 'no hello received in time');
      this.socket.close(CloseCode.HelloTimeout, 'hello timeout');
      this.close();
    }, deps.config.limits.helloTimeoutMs);
    this.state = { status: 'connected', helloTimer: timer };
    const rate = deps.config.limits.controlMessagesPerSecond;
    this.bucket = new TokenBucket(rate, rate * 2, deps.now());
  }

  get status(): ControlState['status'] {
    return this.state.status;
  }

  /** The media session; only valid after hello (HubPeer contract). */
  get media(): MediaSession {
    const s = this.state;
    if (s.status === 'ready' || s.status === 'in_channel') return s.media;
    throw new Error(`no media session in state ${s.status}`);
  }

  readonly presence: Presence = newPresence();

  /** Who this session is; only valid after hello (HubPeer contract). */
  get actor(): Actor {
    const s = this.state;
    if (s.status === 'ready' || s.status === 'in_channel') return s.actor;
    throw new Error(`no actor in state ${s.status}`);
  }

  disconnect(code: string, reason: string, closeCode: number, by?: string): void {
    if (this.state.status === 'closed') return;
    this.send({ type: 'disconnected', code, reason, ...(by === undefined ? {} : { by }) });
    this.socket.close(closeCode, reason.slice(0, 100));
    this.close();
  }

  send(msg: ServerMessage): void {
    if (this.state.status !== 'closed') this.socket.sendText(JSON.stringify(msg));
  }

  /** A binary WebSocket message: media, for the same router as UDP. */
  onBinary(data: Uint8Array): void {
    const s = this.state;
    if (s.status === 'ready' || s.status === 'in_channel') this.deps.hub.plane.handleWs(data, s.media);
    else this.deps.hub.plane.stats.drops.unknown_session++;
  }

  /** A text WebSocket message: one JSON control message. */
  onText(text: string): void {
    if (this.state.status === 'closed') return;
    const now = this.deps.now();
    if (!this.bucket.take(now)) {
      // A second burst within a second of the first: the peer ignores errors.
      if (now - this.limitedAt < 1000) {
        this.socket.close(CloseCode.PolicyViolation, 'rate limit');
        this.close();
        return;
      }
      this.limitedAt = now;
      this.sendError(ErrorCode.RateLimited, 'too many control messages');
      return;
    }
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      const e = parsed.reason;
      this.sendError(e.code, e.message, e.ref);
      return;
    }
    this.dispatch(parsed.value);
  }

  private dispatch(msg: ClientMessage): void {
    const reply: Reply = (m) => this.send(m);
    switch (msg.type) {
      case 'hello':
        return this.onHello(msg, reply);
      case 'join':
        return this.onJoin(msg, reply);
      case 'leave':
        return this.onLeave(msg, reply);
      case 'state':
        return this.onState(msg);
      case 'ping':
        return reply({ type: 'pong', t: msg.t, serverTime: Date.now(), ...ref(msg.ref) });
    }
  }

  private onHello(msg: Extract<ClientMessage, { type: 'hello' }>, reply: Reply): void {
    const s = this.state;
    if (s.status !== 'connected')
      return this.sendError(ErrorCode.BadState, 'hello already received', msg.ref);
    const { hub, config } = this.deps;
    if (hub.plane.sessionCount >= config.limits.maxSessions) {
      this.sendError(ErrorCode.ServerFull, 'server is full', msg.ref);
      this.socket.close(CloseCode.ServerFull, 'server full');
      return this.close();
    }
    clearTimeout(s.helloTimer);
    const media = hub.plane.createSession(this.socket);
    const name = msg.name ?? 'guest';
    const actor: Actor = { userId: null, name, role: 'guest', ip: this.deps.ip };
    this.state = { status: 'ready', actor, media };
    hub.addPeer(this);
    reply({
      type: 'welcome',
      sessionId: media.ssrc,
      name,
      serverVersion: this.deps.serverVersion,
      user: { id: null, name, role: 'guest' },
      resumeToken: '',
      resumed: false,
      channels: hub.channelInfos(),
      ...ref(msg.ref),
    });
  }

  private onJoin(msg: Extract<ClientMessage, { type: 'join' }>, reply: Reply): void {
    const s = this.state;
    if (s.status !== 'ready' && s.status !== 'in_channel') {
      return this.sendError(ErrorCode.BadState, 'send hello first', msg.ref);
    }
    const { hub, config } = this.deps;
    const channel = hub.findChannel(msg.channel);
    if (channel === undefined) {
      return this.sendError(ErrorCode.UnknownChannel, `no channel ${JSON.stringify(msg.channel)}`, msg.ref);
    }
    hub.join(this, channel);
    this.state = { status: 'in_channel', actor: s.actor, media: s.media, channelId: channel.id };
    reply({
      type: 'joined',
      channel: { id: channel.id, name: channel.name },
      self: memberOf(this),
      members: hub.membersOf(channel.id, this),
      media: {
        ssrc: s.media.ssrc,
        key: Buffer.from(s.media.key).toString('base64'),
        udpPort: this.deps.udpPort(),
        codec: 'opus',
        sampleRate: 48000,
        frameMs: config.media.frameMs,
        maxPacketSize: config.media.maxPacketSize,
        maxPacketsPerSecond: config.media.maxPacketsPerSecond,
      },
      ...ref(msg.ref),
    });
  }

  private onLeave(msg: Extract<ClientMessage, { type: 'leave' }>, reply: Reply): void {
    const s = this.state;
    if (s.status !== 'in_channel') return this.sendError(ErrorCode.NotInChannel, 'not in a channel', msg.ref);
    const channelId = s.channelId;
    this.deps.hub.leave(this);
    this.state = { status: 'ready', actor: s.actor, media: s.media };
    reply({ type: 'left', channelId, ...ref(msg.ref) });
  }

  private onState(msg: Extract<ClientMessage, { type: 'state' }>): void {
    const s = this.state;
    if (s.status !== 'in_channel')
      return this.sendError(ErrorCode.NotInChannel, 'join a channel first', msg.ref);
    this.deps.hub.updatePresence(this, {
      ...(msg.muted === undefined ? {} : { selfMuted: msg.muted }),
      ...(msg.deafened === undefined ? {} : { selfDeafened: msg.deafened }),
    });
  }

  private sendError(code: ErrorCode, message: string, r?: string): void {
    this.send({ type: 'error', code, message, ...ref(r) });
  }

  /** Releases everything this session holds; idempotent. */
  close(): void {
    const s = this.state;
    if (s.status === 'closed') return;
    if (s.status === 'connected') clearTimeout(s.helloTimer);
    else {
      this.deps.hub.removePeer(this);
      this.deps.hub.plane.removeSession(s.media);
    }
    this.state = { status: 'closed' };
  }
}

function ref(r: string | undefined): { ref?: string } {
  return r === undefined ? {} : { ref: r };
}
