/** The per-source limits (defaults: SOURCE_LIMITS). */
export interface SourceLimits {
  /** Packets per second one source address may bring to the crypto without a validated binding. */
  perSecond: number;
  /** Burst above the rate, per source. */
  burst: number;
  /** Source addresses tracked at most; beyond, new sources share one overflow bucket. */
  maxSources: number;
  /** Rate of that shared overflow bucket (its burst is the same number). */
  overflowPerSecond: number;
}

/**
 * Defaults (the config's `media.sourcePacketsPerSecond`, `sourceBurstPackets`,
 * `maxSources`; MediaPlane passes the configured ones): a client's handshake is 2 HELLOs plus retries every 200 ms, so
 * 20 a second with a burst of 40 lets a NAT with a dozen clients joining at
 * once through, and keeps a forger to 20 AEAD opens a second per address.
 */
export const SOURCE_LIMITS: Readonly<SourceLimits> = Object.freeze({
  perSecond: 20,
  burst: 40,
  maxSources: 4096,
  overflowPerSecond: 200,
});

/**
 * A full map is scanned for idle sources at most this often: a flood of
 * ever-new addresses must not buy a scan of the whole map per packet.
 */
const RESCAN_MS = 100;

interface Bucket {
  tokens: number;
  last: number;
}

/**
 * The limit on packets from a UDP source that is not its session's
 * validated address (HELLOs from a new address, before their opening): a
 * token bucket per source address in a bounded map. When the map is full,
 * idle entries (refilled to the brim) are forgotten; if none is, new
 * sources share one overflow bucket. Nothing here is charged to a session.
 * Not on the hot path: packets from a bound address never come here.
 */
export class SourceLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly overflow: Bucket;
  /** When the map was last scanned for idle sources. */
  private scannedAt = -Infinity;

  constructor(
    private readonly limits: Readonly<SourceLimits> = SOURCE_LIMITS,
    now = 0,
  ) {
    this.overflow = { tokens: limits.overflowPerSecond, last: now };
  }

  /** Sources tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `address`; false when it has none left. */
  take(address: string, now: number): boolean {
    const l = this.limits;
    let b = this.buckets.get(address);
    if (b === undefined) {
      if (this.buckets.size >= l.maxSources && now - this.scannedAt >= RESCAN_MS) this.forgetIdle(now);
      if (this.buckets.size >= l.maxSources)
        return draw(this.overflow, now, l.overflowPerSecond, l.overflowPerSecond);
      b = { tokens: l.burst, last: now };
      this.buckets.set(address, b);
    }
    return draw(b, now, l.perSecond, l.burst);
  }

  /** Forgets every source whose bucket has refilled (it sent nothing for burst / rate seconds). */
  forgetIdle(now: number): void {
    this.scannedAt = now;
    const l = this.limits;
    const fullAfterMs = (1000 * l.burst) / l.perSecond;
    for (const [address, b] of this.buckets) if (now - b.last >= fullAfterMs) this.buckets.delete(address);
  }
}

function draw(b: Bucket, now: number, perSecond: number, capacity: number): boolean {
  const elapsed = now - b.last;
  if (elapsed > 0) {
    b.tokens = Math.min(capacity, b.tokens + (elapsed * perSecond) / 1000);
    b.last = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}
