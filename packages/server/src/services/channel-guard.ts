import { ErrorCode } from '@parley/protocol';
import { AttemptLimiter } from '../auth/attempt-limiter.js';
import type { ParleyConfig } from '../config.js';
import { limitKey } from '../net/ip.js';
import { fail } from './errors.js';
import type { PasswordWork } from './password-work.js';

const MINUTE = 60_000;

/**
 * Channel password checks under limits (issue 10, item 6): per client
 * address, every check that reaches the hash (`auth.channelPasswordPerMinute`);
 * per channel, the wrong ones from everyone together
 * (`auth.channelPasswordFailuresPerMinute`: a crowd entering with the right
 * password is never held up). Both maps hold at most
 * `auth.attemptTrackedKeys` keys. Over a limit: PARLEY_ERR_TOO_MANY_ATTEMPTS,
 * before any hashing. The verification itself runs in the server's bounded
 * password work (PasswordWork, lane `channel`).
 */
export class ChannelPasswordGuard {
  private readonly perAddress: AttemptLimiter;
  private readonly perChannel: AttemptLimiter;

  constructor(
    auth: ParleyConfig['auth'],
    private readonly work: PasswordWork,
    now: () => number = Date.now,
  ) {
    this.perAddress = new AttemptLimiter({
      limit: auth.channelPasswordPerMinute,
      windowMs: MINUTE,
      maxKeys: auth.attemptTrackedKeys,
      now,
    });
    this.perChannel = new AttemptLimiter({
      limit: auth.channelPasswordFailuresPerMinute,
      windowMs: MINUTE,
      maxKeys: auth.attemptTrackedKeys,
      now,
    });
  }

  /** Counters for monitoring: keys tracked and keys forgotten early. */
  get stats(): { addresses: number; channels: number; evicted: number } {
    return {
      addresses: this.perAddress.size,
      channels: this.perChannel.size,
      evicted: this.perAddress.evicted + this.perChannel.evicted,
    };
  }

  /** Is `password` the channel's (`hash`)? Throws PARLEY_ERR_TOO_MANY_ATTEMPTS or PARLEY_ERR_BUSY. */
  async verify(ip: string | null, channelId: number, hash: string, password: string): Promise<boolean> {
    const fromAddress = this.perAddress.take(ip === null ? 'unknown' : limitKey(ip.trim()));
    if (fromAddress > 0) {
      fail(
        ErrorCode.TooManyAttempts,
        `too many channel password attempts from your address: retry in ${Math.ceil(fromAddress / 1000)} s`,
      );
    }
    const channelKey = String(channelId);
    const onChannel = this.perChannel.take(channelKey);
    if (onChannel > 0) {
      fail(
        ErrorCode.TooManyAttempts,
        `too many wrong passwords for this channel: retry in ${Math.ceil(onChannel / 1000)} s`,
      );
    }
    let ok = false;
    try {
      ok = await this.work.verify(hash, password, 'channel');
      return ok;
    } catch (err) {
      this.perChannel.refund(channelKey); // refused as busy: no guess was made
      throw err;
    } finally {
      // Only wrong passwords count against the channel.
      if (ok) this.perChannel.refund(channelKey);
    }
  }
}
