/**
 * Per-user volumes and local mutes. A volume belongs to the person, not to
 * a stream: it is stored under the user's key (account id, or guest name)
 * and applied to whatever ssrc that user has now, so it survives the stream
 * going idle and the user leaving and coming back with a new ssrc.
 */
import type { Member } from '@parley/protocol';
import { GainMap } from './bounded-map.js';

/** Anything that takes a per-ssrc gain (the Receiver). */
export interface VolumeTarget {
  setVolume(ssrc: number, gain: number): void;
}

/** The key a volume is stored under: `user:<id>` for an account, `guest:<name>` for a guest. */
export function userKey(member: Pick<Member, 'userId' | 'name'>): string {
  return member.userId === null ? `guest:${member.name}` : `user:${member.userId}`;
}

export interface UserVolumesOptions {
  /** Users whose volume is remembered at most; the oldest set is forgotten first (default 1024). */
  maxUsers?: number;
}

/**
 * Volumes by user key. Call `applyTo(receiver, members)` whenever the
 * channel's member list changes (join, member joined or updated): each
 * member's ssrc gets that user's gain.
 */
export class UserVolumes {
  private readonly gains: GainMap<string>;

  constructor(opts: UserVolumesOptions = {}) {
    this.gains = new GainMap(opts.maxUsers ?? 1024);
  }

  /** Users with a volume other than 1. */
  get size(): number {
    return this.gains.size;
  }

  /** Sets a user's volume (linear gain ≥ 0; 1 = unchanged, 0 = local mute). */
  set(key: string, gain: number): void {
    this.gains.set(key, gain);
  }

  /** A user's volume (1 when never set). */
  get(key: string): number {
    return this.gains.get(key);
  }

  /** The volume of a channel member. */
  gainOf(member: Pick<Member, 'userId' | 'name'>): number {
    return this.get(userKey(member));
  }

  /** The gain for an ssrc, from the channel's members (1 for an ssrc no member has). */
  gainOfSsrc(ssrc: number, members: Iterable<Member>): number {
    for (const m of members) if (m.ssrc === ssrc) return this.gainOf(m);
    return 1;
  }

  /** Gives every member's ssrc its user's gain. */
  applyTo(target: VolumeTarget, members: Iterable<Member>): void {
    for (const m of members) target.setVolume(m.ssrc, this.gainOf(m));
  }
}
