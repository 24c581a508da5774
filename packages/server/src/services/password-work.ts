import { ErrorCode } from '@parley/protocol';
import { hashPassword, verifyPassword } from '../auth/secrets.js';
import { fail } from './errors.js';

/** The password hash function (argon2id in production; tests inject a counting one). */
export interface PasswordHashing {
  hash(password: string): Promise<string>;
  verify(stored: string, password: string): Promise<boolean>;
}

export const ARGON2: PasswordHashing = { hash: hashPassword, verify: verifyPassword };

/**
 * Whose work it is: account passwords (login, registration, password
 * changes, account creation) go first; channel passwords never take the
 * last slot, so a crowd guessing channel passwords cannot hold up logins.
 */
export type HashLane = 'account' | 'channel';

export interface PasswordWorkLimits {
  /** Hashes or verifications running at once, server-wide. */
  concurrency: number;
  /** Waiting at most, per lane; beyond, PARLEY_ERR_BUSY. */
  queue: number;
}

export interface PasswordWorkStats {
  running: number;
  /** Most ever running at once. */
  peakRunning: number;
  waiting: number;
  /** Refused with PARLEY_ERR_BUSY, per lane. */
  busy: Record<HashLane, number>;
  done: number;
}

/**
 * Every password hash and verification of the server goes through here: a
 * semaphore of `concurrency` slots with a bounded queue per lane (argon2
 * costs ~20–40 ms of a core and memory each; unbounded, a flood of guesses
 * took 1.3 cores and made logins ten times slower).
 */
export class PasswordWork {
  private running = 0;
  private peak = 0;
  private done = 0;
  private readonly busy: Record<HashLane, number> = { account: 0, channel: 0 };
  private readonly waiting: Record<HashLane, (() => void)[]> = { account: [], channel: [] };

  constructor(
    private readonly impl: PasswordHashing,
    private readonly limits: PasswordWorkLimits,
  ) {}

  hash(password: string, lane: HashLane = 'account'): Promise<string> {
    return this.run(lane, () => this.impl.hash(password));
  }

  verify(stored: string, password: string, lane: HashLane = 'account'): Promise<boolean> {
    return this.run(lane, () => this.impl.verify(stored, password));
  }

  get stats(): PasswordWorkStats {
    return {
      running: this.running,
      peakRunning: this.peak,
      waiting: this.waiting.account.length + this.waiting.channel.length,
      busy: { ...this.busy },
      done: this.done,
    };
  }

  /** Slots a lane may use: the channel lane leaves one for accounts (when there are two or more). */
  private slots(lane: HashLane): number {
    const n = this.limits.concurrency;
    return lane === 'channel' && n > 1 ? n - 1 : n;
  }

  private async run<T>(lane: HashLane, fn: () => Promise<T>): Promise<T> {
    if (this.running < this.slots(lane) && this.waiting[lane].length === 0) this.running += 1;
    else {
      if (this.waiting[lane].length >= this.limits.queue) {
        this.busy[lane] += 1;
        fail(ErrorCode.Busy, 'the server is busy checking passwords: retry in a moment');
      }
      // next() hands this waiter a slot it has already counted.
      await new Promise<void>((resolve) => this.waiting[lane].push(resolve));
    }
    this.peak = Math.max(this.peak, this.running);
    try {
      return await fn();
    } finally {
      this.running -= 1;
      this.done += 1;
      this.next();
    }
  }

  /** Hands the free slot on: accounts first, then channels if their share allows. */
  private next(): void {
    for (const lane of ['account', 'channel'] as const) {
      if (this.running >= this.slots(lane)) continue;
      const wake = this.waiting[lane].shift();
      if (wake !== undefined) {
        this.running += 1;
        return wake();
      }
    }
  }
}
