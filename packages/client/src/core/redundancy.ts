/**
 * Sending with redundancy (docs/protocol.md, "Redundancy"): `RedundantFramer`
 * puts copies of the previous one or two frames before each frame, and
 * `RedundancyPolicy` chooses the depth and Opus's expected loss from what
 * the listeners report (the server's `quality` messages, §2.6). Pure; the
 * StreamSender and the browser engine use both.
 */
import {
  HEADER_SIZE,
  DEFAULT_MAX_PACKET_SIZE,
  MAX_REDUNDANT_BLOCK,
  packRedundant,
  REDUNDANT_FLAG,
  TAG_SIZE,
  type QualityAggregate,
  type RedundantBlock,
} from '@parley/protocol';

export type RedundancyDepth = 0 | 1 | 2;

export class RedundantFramer {
  private depthNow: RedundancyDepth = 0;
  /** The frames of the last packets sent, newest last (copies). */
  private readonly history: Uint8Array[] = [];
  private readonly maxPayload: number;
  /** Blocks left out because they would not fit the packet. */
  omitted = 0;

  constructor(opts: { maxPacketSize?: number } = {}) {
    this.maxPayload = (opts.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE) - HEADER_SIZE - TAG_SIZE;
  }

  get depth(): RedundancyDepth {
    return this.depthNow;
  }

  setDepth(depth: RedundancyDepth): void {
    this.depthNow = depth;
  }

  /** A new talk spurt: earlier frames are not worth carrying. */
  reset(): void {
    this.history.length = 0;
  }

  /** What to seal for `frame`, and the flag to add (0 when sent plain). */
  wrap(frame: Uint8Array): { payload: Uint8Array; flags: number } {
    const blocks: RedundantBlock[] = [];
    let size = 1 + frame.length;
    // Oldest first: back = 2, then 1.
    for (let back = Math.min(this.depthNow, this.history.length); back >= 1; back--) {
      const copy = this.history[this.history.length - back]!;
      if (copy.length > MAX_REDUNDANT_BLOCK || size + 3 + copy.length > this.maxPayload) {
        this.omitted++;
        continue;
      }
      blocks.push({ back, frame: copy });
      size += 3 + copy.length;
    }
    this.history.push(frame.slice());
    if (this.history.length > 2) this.history.shift();
    if (blocks.length === 0 || frame.length === 0) return { payload: frame, flags: 0 };
    return { payload: packRedundant(blocks, frame), flags: REDUNDANT_FLAG };
  }
}

/** Quiet this long (worst listener under 0.5 % loss) before redundancy goes off again. */
const OFF_AFTER_MS = 30_000;

/**
 * The sender's choice from its listeners' aggregate: the worst listener's
 * loss at 1 % or more → depth 1; at 5 % or more → depth 2; off again after
 * 30 s under 0.5 %. Opus's expected loss follows the worst listener.
 */
export class RedundancyPolicy {
  private depthNow: RedundancyDepth = 0;
  private quietSince: number | null = null;

  get depth(): RedundancyDepth {
    return this.depthNow;
  }

  /** Takes a `quality` aggregate at `now` (ms); returns the depth and the expected loss to use. */
  update(agg: QualityAggregate, now: number): { depth: RedundancyDepth; expectedLossPct: number } {
    const worst = agg.lossPct.max;
    if (worst >= 5) this.depthNow = 2;
    else if (worst >= 1) this.depthNow = this.depthNow === 2 ? 2 : 1;
    if (worst < 0.5) {
      this.quietSince ??= now;
      if (now - this.quietSince >= OFF_AFTER_MS) this.depthNow = 0;
    } else this.quietSince = null;
    return { depth: this.depthNow, expectedLossPct: Math.min(30, Math.round(worst)) };
  }
}
