import { randomInt } from 'node:crypto';
import type { ChannelRoom, MediaSession } from './session.js';

const MAX_SSRC = 0x7fffffff;
const EMPTY: readonly MediaSession[] = Object.freeze([]);

/**
 * The media sessions by ssrc and the channels they are in, kept by
 * MediaRouter and nowhere else: a room per non-empty channel, its members
 * in the order they came in, and each session's `room` pointing at the
 * room that lists it (`join` and `leave` write both in one step). Arrays
 * rather than sets: the router walks a room once per audio packet, and
 * joins and leaves are rare.
 */
export class SessionTable {
  private readonly sessions = new Map<number, MediaSession>();
  private readonly rooms = new Map<number, ChannelRoom>();
  private nextSsrc: number;

  /** `firstSsrc`: the first ssrc handed out (default random); later ones count up from it. */
  constructor(firstSsrc: number = randomInt(1, MAX_SSRC)) {
    this.nextSsrc = firstSsrc;
  }

  /** An ssrc no session has (1 … 2³¹ − 1). */
  freeSsrc(): number {
    for (;;) {
      const ssrc = this.nextSsrc;
      this.nextSsrc = ssrc >= MAX_SSRC ? 1 : ssrc + 1;
      if (!this.sessions.has(ssrc)) return ssrc;
    }
  }

  /** Registers a new session under its ssrc. */
  add(s: MediaSession): void {
    this.sessions.set(s.ssrc, s);
  }

  /** Forgets a session (take it out of its channel first). */
  delete(s: MediaSession): void {
    this.sessions.delete(s.ssrc);
  }

  /** The session with this ssrc, if any. */
  get(ssrc: number): MediaSession | undefined {
    return this.sessions.get(ssrc);
  }

  /** How many sessions there are. */
  get size(): number {
    return this.sessions.size;
  }

  /** Every session (a live iterator: copy it before removing any). */
  all(): IterableIterator<MediaSession> {
    return this.sessions.values();
  }

  /** Puts `s` (in no channel) into channel `channelId`'s room, made on first use. */
  join(s: MediaSession, channelId: number): void {
    let room = this.rooms.get(channelId);
    if (room === undefined) {
      room = { id: channelId, members: [] };
      this.rooms.set(channelId, room);
    }
    room.members.push(s);
    s.room = room;
  }

  /** Takes `s` out of its room, keeping the others' order; an emptied room is forgotten. Returns the room left. */
  leave(s: MediaSession): ChannelRoom | null {
    const room = s.room;
    if (room === null) return null;
    const i = room.members.indexOf(s);
    if (i >= 0) room.members.splice(i, 1);
    if (room.members.length === 0) this.rooms.delete(room.id);
    s.room = null;
    return room;
  }

  /** The members of a channel (empty when nobody is in it). */
  members(channelId: number): readonly MediaSession[] {
    return this.rooms.get(channelId)?.members ?? EMPTY;
  }
}
