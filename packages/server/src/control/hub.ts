import { EventEmitter } from 'node:events';
import type { ChannelInfo, Member, PresenceMessage, ReportMessage, ServerMessage } from '@parley/protocol';
import { ALL_PERMS, effectivePerms, Perm, type Override } from '../auth/permissions.js';
import type { Channel, ChannelRow, ChannelStore } from '../db/channels.js';
import type { MediaPlane } from '../media/plane.js';
import type { MediaRouter } from '../media/router.js';
import type { MediaSession } from '../media/session.js';
import type { Actor } from '../services/actor.js';
import { PresenceBatcher } from './presence.js';
import { QualityBook } from './quality-book.js';
import type { TurnBudget } from './turns.js';

/** Per-peer presence flags, owned by the hub. */
export interface Presence {
  selfMuted: boolean;
  selfDeafened: boolean;
  serverMuted: boolean;
  serverDeafened: boolean;
  prioritySpeaker: boolean;
}

export const newPresence = (): Presence => ({
  selfMuted: false,
  selfDeafened: false,
  serverMuted: false,
  serverDeafened: false,
  prioritySpeaker: false,
});

/** What the hub needs from a connected control session. */
export interface HubPeer {
  readonly media: MediaSession;
  readonly actor: Actor;
  readonly presence: Presence;
  /** Sends one server → client message (sequenced and kept for resume by the session). */
  send(msg: ServerMessage): void;
  /**
   * Sends a message already serialized once for many peers: `head` is a
   * JSON object without `seq` and without its closing brace; the peer
   * appends its own `,"seq":N}`.
   */
  sendSerialized(head: string): void;
  /** Ends the session: sends `disconnected`, closes the socket with `closeCode`, releases everything. */
  disconnect(code: string, reason: string, closeCode: number, by?: string): void;
  /** Moves the peer into a channel and sends it a fresh `joined` (moves, deleted channels). */
  moveTo(channel: ChannelRow): void;
}

/** The control plane's presence options (config `control`). */
export interface PresenceOptions {
  /** One presence batch per channel per tick of this length. */
  presenceTickMs: number;
  /** Entries in one batch at most. */
  presenceBatchMax: number;
  /**
   * Entries × recipients per channel per tick at most: a batch to a large
   * channel holds fewer entries (at least one), so a tick's work is bounded.
   */
  presenceCopiesPerTick: number;
}

/** One page of a channel's members in join order. */
export interface MemberPage {
  members: Member[];
  /** Cursor of the next page (a join serial); null on the last. */
  next: number | null;
}

export interface HubEvents {
  /** The last person left a channel. */
  empty: [channelId: number];
}

export const toChannelInfo = (c: Channel): ChannelInfo => ({
  id: c.id,
  name: c.name,
  parentId: c.parentId,
  position: c.position,
  description: c.description,
  userLimit: c.userLimit,
  hasPassword: c.hasPassword,
  temporary: c.temporary,
});

/**
 * Live state of the control plane: the channel tree and its permission
 * overrides (cached from the database) and who is connected. Who is in
 * which channel is the media router's alone (MediaRouter.membersOf): the
 * hub keeps each peer by its media session and asks the router. Joins,
 * leaves and state changes go through here so that every member hears
 * about them and the router's membership, mute and "may speak" flags
 * follow. Synchronous: services persist first, then tell the hub.
 */
export class Hub extends EventEmitter<HubEvents> {
  /** Connected peers, by their media session. */
  private readonly peers = new Map<MediaSession, HubPeer>();
  private readonly router: MediaRouter;
  private channels = new Map<number, ChannelRow>();
  private overrides = new Map<number, Override[]>();
  /** Members whose joins, leaves and state changes wait for the next presence tick. */
  private readonly presence = new PresenceBatcher<HubPeer>();
  private tick: NodeJS.Timeout | null = null;
  /** Copies of flushed batches still to hand out (in slices of the event-loop turn), in order. */
  private readonly deliveries: { head: string; recipients: HubPeer[]; next: number }[] = [];
  private delivering: NodeJS.Immediate | null = null;
  /** Join order: a serial per peer, given when it enters a channel (the `members` cursor). */
  private readonly serials = new Map<HubPeer, number>();
  private nextSerial = 1;
  /**
   * Presence batches sent (one per channel per tick) and their copies (one
   * per member); sockets closed for being too slow (4008).
   */
  readonly controlStats = { presenceBatches: 0, presenceCopies: 0, tooSlow: 0 };
  /** The latest receiver reports (docs/protocol.md §2.6). */
  readonly quality = new QualityBook();
  /** Speakers whose listeners reported since their last `quality` message. */
  private readonly qualityDirty = new Set<number>();
  private qualityTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly plane: MediaPlane,
    private readonly store: ChannelStore,
    private readonly opts: PresenceOptions = {
      presenceTickMs: 50,
      presenceBatchMax: 100,
      presenceCopiesPerTick: 10_000,
    },
    /** The control plane's share of each event-loop turn: batch copies beyond it go out at the next turn. */
    private readonly turns?: TurnBudget,
  ) {
    super();
    this.router = plane.router;
    this.router.on('speaking', (session, _speaking, channelId) => {
      const peer = this.peers.get(session);
      if (peer !== undefined) this.markPresence(channelId, peer, 'changed');
    });
  }

  /** Stops the presence timer and deliveries; what was dirty or undelivered is dropped. Idempotent. */
  close(): void {
    this.stopTick();
    if (this.qualityTimer !== null) clearTimeout(this.qualityTimer);
    this.qualityTimer = null;
    this.qualityDirty.clear();
    this.presence.clear();
    if (this.delivering !== null) clearImmediate(this.delivering);
    this.delivering = null;
    this.deliveries.length = 0;
  }

  /** Reloads channels and overrides from the database (after any change), and re-applies permissions. */
  async refreshChannels(): Promise<void> {
    const [rows, overrides] = await Promise.all([this.store.all(), this.store.overrides()]);
    this.channels = new Map(rows.map((c) => [c.id, c]));
    this.overrides = overrides;
    for (const p of this.peers.values()) this.applyMedia(p);
  }

  /** Forgets deleted channels at once (before the reload), so nobody can join them meanwhile. */
  forgetChannels(ids: readonly number[]): void {
    for (const id of ids) {
      this.channels.delete(id);
      this.overrides.delete(id);
    }
  }

  // ── channels ──
  channelList(): ChannelRow[] {
    return [...this.channels.values()];
  }

  channelInfos(): ChannelInfo[] {
    return this.channelList().map(toChannelInfo);
  }

  /** Finds a channel by numeric id or by exact name. */
  findChannel(ref: string | number): ChannelRow | undefined {
    if (typeof ref === 'number') return this.channels.get(ref);
    for (const c of this.channels.values()) if (c.name === ref) return c;
    return undefined;
  }

  /** Ids of `id` and every descendant, children after parents. */
  subtree(id: number): number[] {
    const out: number[] = [];
    const visit = (cid: number): void => {
      out.push(cid);
      for (const c of this.channels.values()) if (c.parentId === cid) visit(c.id);
    };
    if (this.channels.has(id)) visit(id);
    return out;
  }

  /** Override lists from the top-level ancestor down to the channel. */
  chain(channelId: number): Override[][] {
    const out: Override[][] = [];
    let c = this.channels.get(channelId);
    for (let guard = 0; c !== undefined && guard < 1000; guard++) {
      out.unshift(this.overrides.get(c.id) ?? []);
      c = c.parentId === null ? undefined : this.channels.get(c.parentId);
    }
    return out;
  }

  /** Effective permission bits of an actor in a channel (null = server-wide defaults). */
  permsOf(actor: Actor, channelId: number | null): number {
    if (actor.role === 'admin') return ALL_PERMS;
    return effectivePerms(actor.role, channelId === null ? [] : this.chain(channelId));
  }

  may(actor: Actor, perm: number, channelId: number | null): boolean {
    return (this.permsOf(actor, channelId) & perm) === perm;
  }

  // ── peers ──
  addPeer(p: HubPeer): void {
    this.peers.set(p.media, p);
  }

  removePeer(p: HubPeer): void {
    this.leave(p);
    this.quality.endSession(p.media.ssrc);
    this.peers.delete(p.media);
    this.serials.delete(p);
    // Nobody left to tell: no timer outlives the last session.
    if (this.peers.size === 0) this.close();
  }

  allPeers(): HubPeer[] {
    return [...this.peers.values()];
  }

  peerBySsrc(ssrc: number): HubPeer | undefined {
    const media = this.router.session(ssrc);
    return media === undefined ? undefined : this.peers.get(media);
  }

  peersOfUser(userId: number): HubPeer[] {
    return this.allPeers().filter((p) => p.actor.userId === userId);
  }

  onlineUserIds(): number[] {
    const ids = new Set<number>();
    for (const p of this.peers.values()) if (p.actor.userId !== null) ids.add(p.actor.userId);
    return [...ids];
  }

  memberCount(channelId: number): number {
    return this.router.memberCount(channelId);
  }

  /** The members of a channel in the order they came in, as presence records (optionally without one). */
  membersOf(channelId: number, except?: HubPeer): Member[] {
    return this.peersIn(channelId, except).map(memberOf);
  }

  /** The peers in a channel, in the order they came in (optionally without one). */
  peersIn(channelId: number, except?: HubPeer): HubPeer[] {
    const out: HubPeer[] = [];
    for (const m of this.router.membersOf(channelId)) {
      const p = this.peers.get(m);
      if (p !== undefined && p !== except) out.push(p);
    }
    return out;
  }

  /**
   * One page of a channel's members in join order, after cursor `after`
   * (0 = from the first), without `except`; `next` is the cursor of the rest.
   */
  membersPage(channelId: number, after: number, limit: number, except?: HubPeer): MemberPage {
    const members: Member[] = [];
    let last = after;
    let more = false;
    for (const p of this.peersIn(channelId, except)) {
      const serial = this.serials.get(p) ?? 0;
      if (serial <= after) continue;
      if (members.length === limit) {
        more = true;
        break;
      }
      members.push(memberOf(p));
      last = serial;
    }
    return { members, next: more ? last : null };
  }

  /** Puts a peer in a channel (leaving its current one); checks are the caller's. */
  join(peer: HubPeer, channel: ChannelRow): void {
    this.leave(peer);
    this.router.setChannel(peer.media, channel.id);
    this.serials.set(peer, this.nextSerial++);
    this.applyMedia(peer);
    this.markPresence(channel.id, peer, 'joined');
  }

  /** Takes a peer out of its channel, if any; returns the channel id it left. */
  leave(peer: HubPeer): number | null {
    const channelId = peer.media.channelId;
    if (channelId === null) return null;
    this.quality.forget(peer.media.ssrc);
    this.router.setChannel(peer.media, null);
    this.applyMedia(peer);
    this.markPresence(channelId, peer, 'left');
    if (this.router.memberCount(channelId) === 0) this.emit('empty', channelId);
    return channelId;
  }

  /** Changes presence flags; the channel (the peer included) hears of it in the next batch. */
  updatePresence(peer: HubPeer, patch: Partial<Presence>): void {
    const pr = peer.presence;
    Object.assign(pr, patch);
    // Deafening implies muting, as in Mumble and Discord.
    if (patch.selfDeafened === true) pr.selfMuted = true;
    this.applyMedia(peer);
    const channelId = peer.media.channelId;
    if (channelId !== null) this.markPresence(channelId, peer, 'changed');
  }

  // ── presence batches (docs/protocol.md §2.3.1) ──
  private markPresence(channelId: number, peer: HubPeer, what: 'joined' | 'changed' | 'left'): void {
    this.presence[what](channelId, peer);
    // While a flush is still being handed out, the next tick waits for it.
    if (this.delivering === null)
      this.tick ??= setTimeout(() => this.flushPresence(), this.opts.presenceTickMs);
  }

  private stopTick(): void {
    if (this.tick !== null) clearTimeout(this.tick);
    this.tick = null;
  }

  /** Sends every dirty channel its batch: serialized once, then to each member. */
  flushPresence(): void {
    this.stopTick();
    const isMember = (channelId: number, p: HubPeer): boolean =>
      p.media.channelId === channelId && this.peers.get(p.media) === p;
    const { presenceBatchMax, presenceCopiesPerTick } = this.opts;
    const maxFor = (channelId: number): number =>
      Math.max(
        1,
        Math.min(presenceBatchMax, Math.floor(presenceCopiesPerTick / this.router.memberCount(channelId))),
      );
    for (const b of this.presence.flush(maxFor, isMember)) {
      const recipients = this.peersIn(b.channelId);
      if (recipients.length === 0) continue;
      const msg: PresenceMessage = {
        type: 'presence',
        channelId: b.channelId,
        count: this.router.memberCount(b.channelId),
        joined: b.joined.map(memberOf),
        changed: b.changed.map(memberOf),
        left: b.left.map((p) => p.media.ssrc),
        more: b.more,
      };
      // Serialized once; each recipient only appends its own `seq`.
      const head = JSON.stringify(msg).slice(0, -1);
      this.controlStats.presenceBatches++;
      this.controlStats.presenceCopies += recipients.length;
      this.deliveries.push({ head, recipients, next: 0 });
    }
    this.deliver();
  }

  /**
   * Hands out the flushed copies: one write per member, so a large channel's
   * batch is spread over event-loop turns (TurnBudget) and media runs in
   * between. The next tick is armed once everything went out.
   */
  private deliver(): void {
    this.delivering = null;
    for (let d = this.deliveries[0]; d !== undefined; d = this.deliveries[0]) {
      while (d.next < d.recipients.length) {
        if (this.turns?.yieldIfDue() != null) {
          this.delivering = setImmediate(() => this.deliver());
          return;
        }
        d.recipients[d.next++]!.sendSerialized(d.head);
      }
      this.deliveries.shift();
    }
    if (this.presence.pending && this.peers.size > 0)
      this.tick ??= setTimeout(() => this.flushPresence(), this.opts.presenceTickMs);
  }

  // ── receiver reports (docs/protocol.md §2.6) ──
  /** Records a listener's report about the speakers of its channel; their aggregates go out within 5 s. */
  recordReport(peer: HubPeer, channelId: number, msg: ReportMessage): void {
    const hears = (ssrc: number): boolean => this.peerBySsrc(ssrc)?.media.channelId === channelId;
    const now = performance.now();
    for (const speaker of this.quality.record(peer.media.ssrc, channelId, msg.rttMs, msg.streams, hears, now))
      this.qualityDirty.add(speaker);
    if (this.qualityDirty.size > 0)
      this.qualityTimer ??= setTimeout(() => this.sendQuality(), QUALITY_PUSH_MS);
  }

  /** One `quality` message to each speaker whose listeners reported since the last one. */
  private sendQuality(): void {
    this.qualityTimer = null;
    const now = performance.now();
    for (const speaker of this.qualityDirty) {
      const agg = this.quality.aggregate(speaker, now);
      if (agg !== null) this.peerBySsrc(speaker)?.send({ type: 'quality', ...agg });
    }
    this.qualityDirty.clear();
  }

  /** Media routing follows presence and permissions: the router only reads these flags. */
  private applyMedia(peer: HubPeer): void {
    const pr = peer.presence;
    const media = peer.media;
    media.deafened = pr.selfDeafened || pr.serverDeafened;
    this.router.setMuted(media, pr.selfMuted || pr.serverMuted || media.deafened);
    const channelId = media.channelId;
    media.canSpeak = channelId !== null && this.may(peer.actor, Perm.Speak, channelId);
  }

  /** To every member of a channel (optionally but one). */
  broadcast(channelId: number, msg: ServerMessage, except?: HubPeer): void {
    for (const p of this.peersIn(channelId, except)) p.send(msg);
  }

  /** To every connected session (channel tree changes). */
  broadcastAll(msg: ServerMessage): void {
    for (const p of this.peers.values()) p.send(msg);
  }
}

/** A speaker hears of its listeners' reports at most this often. */
export const QUALITY_PUSH_MS = 5000;

export function memberOf(p: HubPeer): Member {
  const pr = p.presence;
  return {
    ssrc: p.media.ssrc,
    userId: p.actor.userId,
    name: p.actor.name,
    role: p.actor.role,
    muted: pr.selfMuted,
    deafened: pr.selfDeafened,
    serverMuted: pr.serverMuted,
    serverDeafened: pr.serverDeafened,
    prioritySpeaker: pr.prioritySpeaker,
    speaking: p.media.speaking,
  };
}
