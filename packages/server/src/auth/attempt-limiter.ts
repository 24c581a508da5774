/**
 * Attempts per key (a client address, a channel) in fixed windows, with a
 * bounded number of keys: pure, with an injected clock. Used for channel
 * password guesses (services/channel-guard.ts).
 */

export interface AttemptLimiterOptions {
  /** Attempts allowed per key per window. */
  limit: number;
  windowMs: number;
  /** Keys tracked at most; beyond, expired windows go first, then the oldest window. */
  maxKeys: number;
  now: () => number;
}

interface Window {
  start: number;
  count: number;
}

export class AttemptLimiter {
  /** Insertion order = window start order: the oldest windows come first. */
  private readonly windows = new Map<string, Window>();
  /** Keys dropped, window unexpired, to stay within `maxKeys`. */
  evicted = 0;

  constructor(private readonly opts: AttemptLimiterOptions) {}

  /** Keys tracked now. */
  get size(): number {
    return this.windows.size;
  }

  /** Counts one attempt for `key`: 0 when allowed, else the milliseconds until the next one is. */
  take(key: string): number {
    const now = this.opts.now();
    let w = this.windows.get(key);
    if (w === undefined || now - w.start >= this.opts.windowMs) {
      this.windows.delete(key);
      this.makeRoom(now);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= this.opts.limit) return Math.max(1, w.start + this.opts.windowMs - now);
    w.count += 1;
    return 0;
  }

  /** Gives back one attempt of `key`'s current window (e.g. a right password, when only wrong ones count). */
  refund(key: string): void {
    const w = this.windows.get(key);
    if (w !== undefined && w.count > 0) w.count -= 1;
  }

  private makeRoom(now: number): void {
    if (this.windows.size < this.opts.maxKeys) return;
    for (const [k, w] of this.windows) {
      if (now - w.start < this.opts.windowMs) break;
      this.windows.delete(k);
    }
    while (this.windows.size >= this.opts.maxKeys) {
      const oldest = this.windows.keys().next();
      if (oldest.done === true) break;
      this.windows.delete(oldest.value);
      this.evicted += 1;
    }
  }
}
