import { limitKey } from '../net/ip.js';
import type { ParleyConfig } from '../config.js';
import { TokenBucket } from '../media/token-bucket.js';

/** Addresses whose guest buckets are kept at most; beyond, the least recently seen is forgotten. */
export const MAX_TRACKED_ADDRESSES = 10_000;

/** Why a new guest session was refused. */
export type GuestRefusal = 'server' | 'address';

/**
 * Admission of new guest sessions (docs/protocol.md §2.3.2): a server-wide
 * token bucket (`limits.guestsPerSecond`, burst 2×) and one per client
 * address (`limits.guestsPerAddressPerMinute`, burst the same), the latter
 * in a bounded map. Resumes are not admitted here. Pure: the clock is
 * passed in.
 */
export class GuestAdmission {
  private readonly server: TokenBucket;
  private readonly byAddress = new Map<string, TokenBucket>();
  private readonly exempt: ReadonlySet<string>;
  /** Guest hellos refused, by reason. */
  readonly refused: Record<GuestRefusal, number> = { server: 0, address: 0 };

  constructor(
    private readonly limits: ParleyConfig['limits'],
    private readonly now: () => number,
    private readonly maxAddresses = MAX_TRACKED_ADDRESSES,
  ) {
    this.server = new TokenBucket(limits.guestsPerSecond, limits.guestsPerSecond * 2, now());
    this.exempt = new Set(limits.exemptAddresses);
  }

  /** Takes a token for a new guest session from `ip`; the reason when refused, else null. */
  admit(ip: string): GuestRefusal | null {
    const now = this.now();
    // An IPv6 client is counted by its /64 (net/ip.ts limitKey).
    if (!this.exempt.has(ip) && !this.addressBucket(limitKey(ip), now).take(now)) {
      this.refused.address++;
      return 'address';
    }
    if (!this.server.take(now)) {
      this.refused.server++;
      return 'server';
    }
    return null;
  }

  /** Addresses tracked now (at most `maxAddresses`). */
  get trackedAddresses(): number {
    return this.byAddress.size;
  }

  private addressBucket(ip: string, now: number): TokenBucket {
    let b = this.byAddress.get(ip);
    if (b !== undefined) {
      // Most recently seen last: the first key is the one to forget.
      this.byAddress.delete(ip);
    } else {
      const perMinute = this.limits.guestsPerAddressPerMinute;
      b = new TokenBucket(perMinute / 60, perMinute, now);
      if (this.byAddress.size >= this.maxAddresses) {
        const oldest = this.byAddress.keys().next();
        if (oldest.done !== true) this.byAddress.delete(oldest.value);
      }
    }
    this.byAddress.set(ip, b);
    return b;
  }
}
