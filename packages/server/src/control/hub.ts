import type { Member, ServerMessage } from '@parley/protocol';
import type { Channel, ChannelStore } from '../db/channels.js';
import type { MediaPlane } from '../media/plane.js';
import type { MediaSession } from '../media/session.js';

/** What the hub needs from a connected control session. */
export interface HubPeer {
  readonly media: MediaSession;
  readonly name: string;
  send(msg: ServerMessage): void;
}

/**
 * Presence: who is in which channel. Joins, leaves and state changes go
 * through here so that every member of a channel hears about them, and the
 * media plane's routing table follows.
 */
export class Hub {
  private readonly members = new Map<number, Set<HubPeer>>();
  private channelCache: Channel[] = [];

  constructor(
    readonly plane: MediaPlane,
    private readonly store: ChannelStore,
  ) {
    plane.on('speaking', (session, speaking) => {
      if (session.channelId === null) return;
      this.broadcast(session.channelId, {
        type: 'speaking',
        channelId: session.channelId,
        ssrc: session.ssrc,
        speaking,
      });
    });
  }

  /** Loads the channel list from the database (call after any change). */
  async refreshChannels(): Promise<void> {
    this.channelCache = await this.store.list();
  }

  /** Finds a channel by numeric id or by exact name. */
  findChannel(ref: string | number): Channel | undefined {
    if (typeof ref === 'number') return this.channelCache.find((c) => c.id === ref);
    return this.channelCache.find((c) => c.name === ref);
  }

  memberCount(channelId: number): number {
    return this.members.get(channelId)?.size ?? 0;
  }

  /** The other members of a channel, as presence records. */
  membersOf(channelId: number, except?: HubPeer): Member[] {
    const out: Member[] = [];
    for (const p of this.members.get(channelId) ?? []) if (p !== except) out.push(memberOf(p));
    return out;
  }

  join(peer: HubPeer, channel: Channel): void {
    this.leave(peer);
    let set = this.members.get(channel.id);
    if (!set) {
      set = new Set();
      this.members.set(channel.id, set);
    }
    this.broadcast(channel.id, { type: 'member_joined', channelId: channel.id, member: memberOf(peer) });
    set.add(peer);
    this.plane.setChannel(peer.media, channel.id);
  }

  /** Takes a peer out of its channel, if any; returns the channel id it left. */
  leave(peer: HubPeer): number | null {
    const channelId = peer.media.channelId;
    if (channelId === null) return null;
    const set = this.members.get(channelId);
    set?.delete(peer);
    if (set?.size === 0) this.members.delete(channelId);
    this.plane.setChannel(peer.media, null);
    this.broadcast(channelId, { type: 'member_left', channelId, ssrc: peer.media.ssrc });
    return channelId;
  }

  /** Applies self-mute/deafen and tells the channel (the peer included). */
  setState(peer: HubPeer, muted: boolean | undefined, deafened: boolean | undefined): void {
    const media = peer.media;
    if (deafened !== undefined) {
      media.deafened = deafened;
      // Deafening implies muting, as in Mumble and Discord.
      if (deafened) this.plane.setMuted(media, true);
    }
    if (muted !== undefined) this.plane.setMuted(media, muted || media.deafened);
    if (media.channelId !== null) {
      this.broadcast(media.channelId, {
        type: 'member_state',
        channelId: media.channelId,
        member: memberOf(peer),
      });
    }
  }

  broadcast(channelId: number, msg: ServerMessage, except?: HubPeer): void {
    for (const p of this.members.get(channelId) ?? []) if (p !== except) p.send(msg);
  }
}

export function memberOf(p: HubPeer): Member {
  return {
    ssrc: p.media.ssrc,
    name: p.name,
    muted: p.media.muted,
    deafened: p.media.deafened,
    speaking: p.media.speaking,
  };
}
