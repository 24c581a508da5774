import { REPLAY_WINDOW } from './constants.js';

export type ReplayVerdict = 'ok' | 'replayed' | 'too_old';

/**
 * Sliding-window replay protection over extended sequence numbers (a bitmap
 * of the last `size` numbers, like IPsec/WireGuard). `check` is a pure
 * question; `commit` records a number after its packet authenticated, so
 * forged packets can never move the window.
 */
export class ReplayWindow {
  private readonly bits: Uint32Array;
  private readonly size: number;
  private top: number | undefined;

  constructor(size: number = REPLAY_WINDOW) {
    if (size <= 0 || size % 32 !== 0)
      throw new RangeError('replay window size must be a positive multiple of 32');
    this.size = size;
    this.bits = new Uint32Array(size / 32);
  }

  /** Highest accepted number, if any. */
  get highest(): number | undefined {
    return this.top;
  }

  check(ext: number): ReplayVerdict {
    const top = this.top;
    if (top === undefined || ext > top) return 'ok';
    if (top - ext >= this.size) return 'too_old';
    return this.isSet(ext) ? 'replayed' : 'ok';
  }

  commit(ext: number): void {
    const top = this.top;
    if (top === undefined || ext - top >= this.size) {
      this.bits.fill(0);
    } else if (ext > top) {
      for (let n = top + 1; n < ext; n++) this.clear(n);
    } else if (top - ext >= this.size) {
      return;
    }
    this.set(ext);
    if (top === undefined || ext > top) this.top = ext;
  }

  private isSet(n: number): boolean {
    const i = n % this.size;
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  private set(n: number): void {
    const i = n % this.size;
    this.bits[i >>> 5]! |= 1 << (i & 31);
  }

  private clear(n: number): void {
    const i = n % this.size;
    this.bits[i >>> 5]! &= ~(1 << (i & 31));
  }
}
