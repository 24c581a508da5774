/**
 * A Map with a maximum size: setting a new key when full evicts the oldest
 * entry (insertion order; setting an existing key makes it the newest).
 * For state keyed by what a peer or server sends (ssrcs, user keys).
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  /** Entries evicted to make room. */
  evicted = 0;

  constructor(readonly maxSize: number) {
    if (!Number.isInteger(maxSize) || maxSize < 1)
      throw new RangeError(`maxSize must be a whole number ≥ 1, got ${maxSize}`);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Sets `key` as the newest entry, evicting the oldest when full. */
  set(key: K, value: V): void {
    if (!this.map.delete(key) && this.map.size >= this.maxSize) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) {
        this.map.delete(oldest.value);
        this.evicted++;
      }
    }
    this.map.set(key, value);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }
}

/**
 * Linear gains by key, bounded like BoundedMap: 1 (unchanged) is the
 * default and is not stored; 0 is a local mute. Per-ssrc volumes in the
 * Receiver, per-user volumes in UserVolumes.
 */
export class GainMap<K> {
  private readonly gains: BoundedMap<K, number>;

  constructor(maxSize: number) {
    this.gains = new BoundedMap(maxSize);
  }

  /** Keys with a gain other than 1. */
  get size(): number {
    return this.gains.size;
  }

  /** Sets a gain (finite, ≥ 0; throws RangeError otherwise). */
  set(key: K, gain: number): void {
    if (!(gain >= 0) || !Number.isFinite(gain))
      throw new RangeError(`gain must be a finite number ≥ 0, got ${gain}`);
    if (gain === 1) this.gains.delete(key);
    else this.gains.set(key, gain);
  }

  /** The gain of `key` (1 when never set). */
  get(key: K): number {
    return this.gains.get(key) ?? 1;
  }
}
