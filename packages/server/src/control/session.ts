import {
  type Cipher,
  ErrorCode,
  SAMPLE_RATE,
  type ClientMessage,
  type ServerMessage,
} from '@parley/protocol';
import type { ParleyConfig } from '../config.js';
import type { ChannelRow } from '../db/channels.js';
import type { MediaSession } from '../media/session.js';
import type { WsSink } from '../media/ws-shell.js';
import type { Actor } from '../services/actor.js';
import { SYSTEM } from '../services/context.js';
import { fail, ServiceError } from '../services/errors.js';
import type { Services } from '../services/index.js';
import { CloseCode } from './close-codes.js';
import { sameIdentity } from './hello.js';
import { memberOf, newPresence, type Hub, type HubPeer, type Presence } from './hub.js';
import { newResumeToken, resumeDigest, type SessionRegistry } from './registry.js';
import { ResumeLog } from './resume-log.js';
import type { TurnBudget } from './turns.js';

/** The socket side a session talks through (a ControlLink: one WebSocket). */
export interface SessionLink {
  /** The client's address (after trusted-proxy resolution). */
  readonly ip: string;
  /**
   * Sends one control message. Unless `replay`, a socket too slow to take it
   * (its buffer over `control.maxBufferedBytes`) is closed with 4008 and the
   * session detached instead (docs/protocol.md §2.3.3).
   */
  sendText(text: string, replay?: boolean): void;
  /** A binary media message (WebSocket media path). */
  sendMedia(data: Uint8Array): void;
  readonly bufferedAmount: number;
  /** Closes the socket for good; the link does not call the session back. */
  end(code: number, reason: string): void;
}

export interface SessionDeps {
  hub: Hub;
  services: Services;
  config: ParleyConfig;
  serverVersion: string;
  udpPort: () => number;
  registry: SessionRegistry<ControlSession>;
  /** The control plane's share of each event-loop turn, shared by every link and the hub. */
  turns: TurnBudget;
}

/**
 * A session after `hello` (the link handles `connected` and
 * `authenticating`, docs/protocol.md §2.1). Each state carries only what is
 * valid in it: an attached session has a socket, a detached one a grace
 * timer instead. The channel is not stored here: the media router alone
 * knows who is in which channel (`media.channelId`), and `status` reads
 * `ready` or `in_channel` from it.
 */
export type SessionState =
  | { status: 'attached'; link: SessionLink }
  | { status: 'detached'; graceTimer: NodeJS.Timeout }
  | { status: 'closed' };

/** The states of docs/protocol.md §2.1 after `hello`. */
export type SessionStatus = 'ready' | 'in_channel' | 'detached' | 'closed';

type Msg<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>;

/**
 * One participant's control session: its identity, media session, presence
 * and the log of what it was sent (every message after `welcome` carries
 * `seq`). It outlives a broken WebSocket for `auth.resumeGraceMs`, during
 * which a new socket may take it over with `hello.resume`.
 */
export class ControlSession implements HubPeer {
  readonly media: MediaSession;
  readonly presence: Presence = newPresence();
  readonly resumeDigest: Buffer;
  private readonly log = new ResumeLog();
  private state: SessionState;

  private constructor(
    readonly actor: Actor,
    link: SessionLink,
    private readonly resumeToken: string,
    private readonly deps: SessionDeps,
    cipher: Cipher,
  ) {
    this.state = { status: 'attached', link };
    // Media over the WebSocket follows whichever socket is attached.
    this.media = deps.hub.plane.createSession(new LinkSink(() => this.link()), cipher);
    this.resumeDigest = resumeDigest(resumeToken);
  }

  /** A new session for `actor` on `link`: registered, known to the hub, `welcome` sent. */
  static start(
    link: SessionLink,
    actor: Actor,
    deps: SessionDeps,
    ref: string | undefined,
    cipher: Cipher,
  ): ControlSession {
    const session = new ControlSession(actor, link, newResumeToken(), deps, cipher);
    deps.registry.add(session);
    deps.hub.addPeer(session);
    session.sendWelcome(link, false, ref);
    return session;
  }

  get status(): SessionStatus {
    const s = this.state.status;
    if (s !== 'attached') return s;
    return this.media.channelId === null ? 'ready' : 'in_channel';
  }

  /** The attached socket, if any. */
  private link(): SessionLink | null {
    const s = this.state;
    return s.status === 'attached' ? s.link : null;
  }

  /** The last sequence number sent. */
  get lastSeq(): number {
    return this.log.lastSeq;
  }

  /**
   * `link` takes this session over (hello with `resume`): `welcome` with
   * `resumed: true`, then every kept message after `lastSeq`, in order. A
   * socket still attached is closed (4006). Fails with
   * PARLEY_ERR_RESUME_FAILED for another identity, or when messages after
   * `lastSeq` are no longer kept (a detached session then ends: its owner
   * starts afresh).
   */
  resume(link: SessionLink, who: Actor, lastSeq: number, ref: string | undefined): void {
    const s = this.state;
    if (s.status === 'closed' || !sameIdentity(this.actor, who))
      fail(ErrorCode.ResumeFailed, 'no session to resume (unknown or expired)');
    const missed = this.log.since(lastSeq);
    if (missed === null) {
      if (s.status === 'detached') this.close();
      fail(ErrorCode.ResumeFailed, `the messages after seq ${lastSeq} are no longer kept`);
    }
    if (s.status === 'detached') clearTimeout(s.graceTimer);
    else s.link.end(CloseCode.Replaced, 'session resumed on another connection');
    this.actor.ip = who.ip;
    // Logout of the token that resumed it ends it.
    if (who.tokenHash !== undefined) this.actor.tokenHash = who.tokenHash;
    this.state = { status: 'attached', link };
    this.sendWelcome(link, true, ref);
    // Bounded by the log: not checked against the buffer limit, or a resume after 4008 could loop.
    for (const text of missed) link.sendText(text, true);
  }

  /** The socket broke: keep everything for the grace period, recording what is sent meanwhile. */
  detach(link: SessionLink): void {
    const s = this.state;
    if (s.status !== 'attached' || s.link !== link) return;
    const grace = this.deps.config.auth.resumeGraceMs;
    if (grace <= 0) return this.close();
    this.state = { status: 'detached', graceTimer: setTimeout(() => this.close(), grace) };
  }

  // ── HubPeer ──
  send(msg: ServerMessage): void {
    const s = this.state;
    if (s.status === 'closed') return;
    const text = this.log.append((seq) => JSON.stringify({ ...msg, seq }));
    if (s.status === 'attached') s.link.sendText(text);
  }

  sendSerialized(head: string): void {
    const s = this.state;
    if (s.status === 'closed') return;
    // `head` is shared by every recipient: only the tail differs.
    const text = this.log.append((seq) => `${head},"seq":${seq}}`);
    if (s.status === 'attached') s.link.sendText(text);
  }

  disconnect(code: string, reason: string, closeCode: number, by?: string): void {
    if (this.state.status === 'closed') return;
    this.send({ type: 'disconnected', code, reason, ...(by === undefined ? {} : { by }) });
    this.close(closeCode, reason);
  }

  moveTo(channel: ChannelRow): void {
    if (this.state.status === 'closed') return;
    this.deps.hub.join(this, channel);
    this.send(this.joinedMessage(channel, undefined));
  }

  // ── messages ──
  /** A binary WebSocket message: media, for the same router as UDP. */
  onBinary(data: Uint8Array): void {
    if (this.state.status !== 'closed') this.deps.hub.plane.handleWs(data, this.media);
  }

  /** One validated client message after hello; resolves when it has been answered. */
  async handle(msg: ClientMessage): Promise<void> {
    try {
      await this.dispatch(msg);
    } catch (err) {
      if (err instanceof ServiceError) return this.sendError(err.code, err.message, msg.ref);
      this.deps.services.ctx.log.error({ err, type: msg.type }, 'control message failed');
      this.sendError(ErrorCode.Internal, 'internal error', msg.ref);
    }
  }

  sendError(code: ErrorCode, message: string, r?: string): void {
    this.send({ type: 'error', code, message, ...ref(r) });
  }

  private async dispatch(msg: ClientMessage): Promise<void> {
    const { services } = this.deps;
    const actor = this.actor;
    switch (msg.type) {
      case 'hello':
        return fail(ErrorCode.BadState, 'hello already received');
      case 'ping':
        return this.send({ type: 'pong', t: msg.t, serverTime: Date.now(), ...ref(msg.ref) });
      case 'join':
        return this.onJoin(msg);
      case 'leave':
        return this.onLeave(msg);
      case 'state':
        return this.onState(msg);
      case 'chat': {
        const m = await services.chat.post(actor, this.channelOrFail('chat'), msg.text, this);
        return this.send({ type: 'chat', message: m, ...ref(msg.ref) });
      }
      case 'create_temp':
        return this.onCreateTemp(msg);
      case 'members':
        return this.onMembers(msg);
      case 'report':
        return this.onReport(msg);
      case 'kick':
        await services.moderation.kick(actor, msg.ssrc, msg.reason ?? '');
        return this.ok(msg.ref);
      case 'ban':
        await services.moderation.banSession(actor, msg.ssrc, msg.reason ?? '', msg.minutes, msg.ip ?? false);
        return this.ok(msg.ref);
      case 'move':
        await services.moderation.move(actor, msg.ssrc, msg.channel);
        return this.ok(msg.ref);
      case 'server_mute':
        await services.moderation.serverMute(actor, msg.ssrc, msg.muted, msg.deafened);
        return this.ok(msg.ref);
      case 'priority':
        await services.moderation.priority(actor, msg.ssrc, msg.on);
        return this.ok(msg.ref);
    }
  }

  private async onJoin(msg: Msg<'join'>): Promise<void> {
    const { hub, services } = this.deps;
    const found = hub.findChannel(msg.channel);
    if (found === undefined) fail(ErrorCode.UnknownChannel, `no channel ${JSON.stringify(msg.channel)}`);
    await services.channels.checkEntry(this.actor, found, msg.password, this.media.channelId === found.id);
    // The costly part of a join (the `joined` page, the hub's bookkeeping)
    // runs in the control plane's slice of a turn: a crowd joining at once
    // is spread over turns, and media runs in between.
    await this.deps.turns.take();
    // The tree may have changed while the password was checked (or while others went first).
    const channel = hub.findChannel(found.id);
    if (channel === undefined) fail(ErrorCode.UnknownChannel, `no channel ${JSON.stringify(msg.channel)}`);
    if (this.state.status === 'closed') return;
    // Others may have come in while the password was checked: the limit again, synchronously.
    services.channels.assertRoom(this.actor, channel, this.media.channelId === channel.id);
    hub.join(this, channel);
    this.send(this.joinedMessage(channel, msg.ref));
  }

  private onLeave(msg: Msg<'leave'>): void {
    const channelId = this.deps.hub.leave(this);
    if (channelId === null) fail(ErrorCode.NotInChannel, 'not in a channel');
    this.send({ type: 'left', channelId, ...ref(msg.ref) });
  }

  /** The change reaches the channel in its next presence batch (once per tick, however often it flips). */
  private onState(msg: Msg<'state'>): void {
    this.channelOrFail('change your state');
    this.deps.hub.updatePresence(this, {
      ...(msg.muted === undefined ? {} : { selfMuted: msg.muted }),
      ...(msg.deafened === undefined ? {} : { selfDeafened: msg.deafened }),
    });
    this.ok(msg.ref);
  }

  /** A receiver report (docs/protocol.md §2.6): at most one a second; no answer. */
  private onReport(msg: Msg<'report'>): void {
    const channelId = this.channelOrFail('report on its speakers');
    const { hub } = this.deps;
    if (!hub.quality.admit(this.media.ssrc, performance.now()))
      fail(ErrorCode.RateLimited, 'one receiver report a second at most');
    hub.recordReport(this, channelId, msg);
    if (msg.ref !== undefined) this.ok(msg.ref);
  }

  /** One page of our channel's members (docs/protocol.md §2.3.1). */
  private onMembers(msg: Msg<'members'>): void {
    const channelId = this.channelOrFail('list its members');
    const { hub, config } = this.deps;
    const page = hub.membersPage(channelId, msg.after ?? 0, msg.limit ?? config.control.memberPageSize, this);
    this.send({
      type: 'members',
      channelId,
      members: page.members,
      next: page.next,
      count: hub.memberCount(channelId),
      ...ref(msg.ref),
    });
  }

  /** Creates a temporary channel (deleted by ChannelService when it empties) and joins it. */
  private async onCreateTemp(msg: Msg<'create_temp'>): Promise<void> {
    const { hub, services } = this.deps;
    const row = await services.channels.create(
      this.actor,
      { name: msg.name, parentId: msg.parent ?? null, temporary: true },
      { allowTempByMembers: true },
    );
    await this.deps.turns.take();
    const channel = hub.findChannel(row.id);
    if (this.state.status === 'closed' || channel === undefined) {
      // Gone before entering it: nobody will leave it, so remove it now.
      if (channel !== undefined && hub.memberCount(channel.id) === 0)
        await services.channels.remove(SYSTEM, channel.id);
      return;
    }
    hub.join(this, channel);
    this.send(this.joinedMessage(channel, msg.ref));
  }

  private channelOrFail(what: string): number {
    const channelId = this.state.status === 'attached' ? this.media.channelId : null;
    if (channelId === null) fail(ErrorCode.NotInChannel, `join a channel to ${what}`);
    return channelId;
  }

  private ok(r: string | undefined): void {
    this.send({ type: 'ok', ...ref(r) });
  }

  private sendWelcome(link: SessionLink, resumed: boolean, r: string | undefined): void {
    const a = this.actor;
    const welcome: ServerMessage = {
      type: 'welcome',
      sessionId: this.media.ssrc,
      name: a.name,
      serverVersion: this.deps.serverVersion,
      user: { id: a.userId, name: a.name, role: a.role },
      resumeToken: this.resumeToken,
      resumed,
      channels: this.deps.hub.channelInfos(),
      ...ref(r),
    };
    link.sendText(JSON.stringify(welcome));
  }

  private joinedMessage(channel: ChannelRow, r: string | undefined): ServerMessage {
    const { hub, config, services } = this.deps;
    const media = this.media;
    const page = hub.membersPage(channel.id, 0, config.control.memberPageSize, this);
    return {
      type: 'joined',
      channel: { id: channel.id, name: channel.name },
      self: memberOf(this),
      members: page.members,
      memberCount: hub.memberCount(channel.id),
      membersNext: page.next,
      media: {
        ssrc: media.ssrc,
        cipher: media.cipher,
        key: Buffer.from(media.key).toString('base64'),
        udpPort: this.deps.udpPort(),
        codec: 'opus',
        sampleRate: SAMPLE_RATE,
        frameMs: services.ctx.settings.get().frameMs,
        bitrate: services.ctx.settings.get().defaultBitrate,
        maxPacketSize: config.media.maxPacketSize,
        maxPacketsPerSecond: config.media.maxPacketsPerSecond,
      },
      ...ref(r),
    };
  }

  /**
   * Ends the session; idempotent. Leaves the channel (member_left goes out),
   * releases the media session, the grace timer and the registry entry, and
   * closes an attached socket with `code`.
   */
  close(code: number = CloseCode.Normal, reason = 'session closed'): void {
    const s = this.state;
    if (s.status === 'closed') return;
    this.state = { status: 'closed' };
    if (s.status === 'detached') clearTimeout(s.graceTimer);
    const { hub, registry } = this.deps;
    registry.remove(this);
    hub.removePeer(this);
    hub.plane.removeSession(this.media);
    if (s.status === 'attached') s.link.end(code, reason.slice(0, 100));
  }
}

/** The media plane's view of a session's WebSocket: whichever socket is attached, or none. */
class LinkSink implements WsSink {
  constructor(private readonly current: () => SessionLink | null) {}

  send(data: Uint8Array): void {
    this.current()?.sendMedia(data);
  }

  get bufferedAmount(): number {
    return this.current()?.bufferedAmount ?? 0;
  }
}

function ref(r: string | undefined): { ref?: string } {
  return r === undefined ? {} : { ref: r };
}
