import { LatencyHistogram, type MediaMetrics } from '@parley/protocol';

/**
 * Media-plane counters. Every dropped packet is counted under exactly one
 * named reason (docs/errors.md, "Media drop reasons").
 */
export const DROP_REASONS = [
  // codec (packages/protocol)
  'too_short',
  'too_long',
  'bad_version',
  'unknown_type',
  'unknown_codec',
  'bad_ssrc',
  // session / transport
  'unknown_session',
  'not_bound',
  'spoofed_address',
  'spoofed_session',
  'source_rate_limited',
  'bad_hello',
  'rate_limited',
  'unexpected_type',
  // crypto
  'auth_failed',
  'replayed',
  'too_old',
  // routing
  'not_in_channel',
  'muted',
  'no_speak_permission',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Per-listener copies that could not be delivered. */
export const SEND_FAILURES = ['ws_backpressure', 'udp_send_error'] as const;
export type SendFailure = (typeof SEND_FAILURES)[number];

/** Address validation counters (docs/protocol.md, "Address validation"). */
export const VALIDATION_COUNTERS = [
  'challenges',
  'validated',
  'bad_cookies',
  'reverted',
  'reverted_by_copy',
] as const;
export type ValidationCounter = (typeof VALIDATION_COUNTERS)[number];

export class MediaStats {
  /** Time from a packet's arrival in the relay to its last copy handed to the kernel, µs (routed audio). */
  readonly forwardUs = new LatencyHistogram();
  packetsIn = 0;
  bytesIn = 0;
  /** Audio packets accepted for routing. */
  audioIn = 0;
  /** Copies sent to listeners (audio + replies). */
  packetsOut = 0;
  bytesOut = 0;
  readonly drops: Record<DropReason, number>;
  readonly sendFailures: Record<SendFailure, number>;
  /**
   * `challenges`: HELLO_ACKs with a cookie sent to an unvalidated address;
   * `validated`: addresses bound (a cookie echoed, or the one the session
   * already used); `bad_cookies`: HELLOs whose non-zero cookie did not check
   * (expired, or for another address), answered with a fresh challenge;
   * `reverted`: moves undone by a newer authenticated packet from the
   * address the session had moved from; `reverted_by_copy`: moves undone
   * because the HELLO that made the move came again from that address
   * (docs/protocol.md, "Keepalive and NAT rebinding").
   */
  readonly validation: Record<ValidationCounter, number> = {
    challenges: 0,
    validated: 0,
    bad_cookies: 0,
    reverted: 0,
    reverted_by_copy: 0,
  };

  constructor() {
    this.drops = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
    this.sendFailures = Object.fromEntries(SEND_FAILURES.map((r) => [r, 0])) as Record<SendFailure, number>;
  }

  get dropped(): number {
    let n = 0;
    for (const r of DROP_REASONS) n += this.drops[r];
    return n;
  }

  snapshot(): MediaStatsSnapshot {
    return {
      packetsIn: this.packetsIn,
      bytesIn: this.bytesIn,
      audioIn: this.audioIn,
      packetsOut: this.packetsOut,
      bytesOut: this.bytesOut,
      dropped: this.dropped,
      drops: { ...this.drops },
      sendFailures: { ...this.sendFailures },
      validation: { ...this.validation },
      forwardUs: this.forwardUs.snapshot(),
    };
  }
}

/** What `snapshot()` returns: the media part of GET /api/v1/metrics. */
export type MediaStatsSnapshot = MediaMetrics<DropReason, SendFailure>;
