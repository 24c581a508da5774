/**
 * Presence batching (docs/protocol.md §2.3.1), pure: changes mark a member
 * dirty in a channel, and `flush` says, per channel, who joined, changed or
 * left since the previous flush — each member once, at most `max` entries
 * per channel (the rest stays dirty for the next flush).
 */

/** One channel's batch: who to list in `joined`, `changed`, `left`. */
export interface PresenceBatch<K> {
  channelId: number;
  joined: K[];
  changed: K[];
  left: K[];
  /** Some entries of this channel wait for the next flush. */
  more: boolean;
}

export class PresenceBatcher<K> {
  /** Per channel: the dirty members, each with "was it a member at the previous flush". */
  private readonly dirty = new Map<number, Map<K, boolean>>();

  /** `k` came into `channelId`. */
  joined(channelId: number, k: K): void {
    this.mark(channelId, k, false);
  }

  /** `k` went out of `channelId`. */
  left(channelId: number, k: K): void {
    this.mark(channelId, k, true);
  }

  /** `k`, in `channelId`, changed state. */
  changed(channelId: number, k: K): void {
    this.mark(channelId, k, true);
  }

  /** Something waits for a flush. */
  get pending(): boolean {
    return this.dirty.size > 0;
  }

  /** Dirty entries, all channels together. */
  get size(): number {
    let n = 0;
    for (const m of this.dirty.values()) n += m.size;
    return n;
  }

  /**
   * The batches of every dirty channel, at most `maxFor(channelId)` entries
   * each; `isMember(channelId, k)` tells whether `k` is in the channel now. A
   * member that came and went since the previous flush is listed in `left`:
   * a `joined` snapshot or a `members` page may have shown it meanwhile.
   */
  flush(
    maxFor: (channelId: number) => number,
    isMember: (channelId: number, k: K) => boolean,
  ): PresenceBatch<K>[] {
    const out: PresenceBatch<K>[] = [];
    for (const [channelId, entries] of this.dirty) {
      const max = maxFor(channelId);
      const batch: PresenceBatch<K> = { channelId, joined: [], changed: [], left: [], more: false };
      let taken = 0;
      for (const [k, was] of entries) {
        const is = isMember(channelId, k);
        if (taken >= max) break;
        entries.delete(k);
        taken++;
        if (!is) batch.left.push(k);
        else if (!was) batch.joined.push(k);
        else batch.changed.push(k);
      }
      batch.more = entries.size > 0;
      if (!batch.more) this.dirty.delete(channelId);
      if (taken > 0) out.push(batch);
    }
    return out;
  }

  /** Forgets everything dirty (the last peer went away). */
  clear(): void {
    this.dirty.clear();
  }

  private mark(channelId: number, k: K, was: boolean): void {
    let entries = this.dirty.get(channelId);
    if (entries === undefined) {
      entries = new Map();
      this.dirty.set(channelId, entries);
    }
    // The first mark since the last flush knows what the others were last told.
    if (!entries.has(k)) entries.set(k, was);
  }
}
