/**
 * Token bucket rate limiter with an injected clock (milliseconds). One per
 * session, charged only for packets that authenticate: `ready(now)` before
 * the opening (a session over its rate costs no cryptography), `spend()`
 * after it. O(1), allocates nothing.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Refills up to `now`; true when a token is there to spend. */
  ready(now: number): boolean {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
      this.last = now;
    }
    return this.tokens >= 1;
  }

  /** Spends the token `ready` found (an authenticated packet). */
  spend(): void {
    this.tokens -= 1;
  }

  /** `ready` and `spend` in one: false when the bucket is empty. */
  take(now: number): boolean {
    if (!this.ready(now)) return false;
    this.tokens -= 1;
    return true;
  }
}
