import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HELLO_COOKIE_SIZE } from '@parley/protocol';

/** A cookie is valid in the time slot it was made in and the next one: 10–20 s. */
export const COOKIE_SLOT_MS = 10_000;

/**
 * Address-validation cookies (docs/protocol.md, "Address validation"), as
 * QUIC's Retry tokens: HMAC-SHA256 under a secret of this process over the
 * session's ssrc, the address and port a HELLO came from and a time slot,
 * cut to 16 bytes. The server keeps nothing per unvalidated address: a
 * cookie proves on its return that whoever sent the HELLO receives at that
 * address. Made and checked only for authenticated HELLOs from an address
 * that is not the session's validated one.
 */
export class CookieJar {
  private readonly secret: Buffer;
  private readonly input = Buffer.alloc(4 + 2 + 4 + 64);

  constructor(secret: Uint8Array = randomBytes(32)) {
    this.secret = Buffer.from(secret);
  }

  /** The cookie for `ssrc` at `address:port` in the slot of `now` (monotonic ms). */
  make(ssrc: number, address: string, port: number, now: number): Buffer {
    return this.mac(ssrc, address, port, Math.floor(now / COOKIE_SLOT_MS));
  }

  /** The cookie was made for this ssrc, address and port, in this slot or the one before. */
  check(cookie: Uint8Array, ssrc: number, address: string, port: number, now: number): boolean {
    if (cookie.length !== HELLO_COOKIE_SIZE) return false;
    const slot = Math.floor(now / COOKIE_SLOT_MS);
    return (
      timingSafeEqual(cookie, this.mac(ssrc, address, port, slot)) ||
      timingSafeEqual(cookie, this.mac(ssrc, address, port, slot - 1))
    );
  }

  private mac(ssrc: number, address: string, port: number, slot: number): Buffer {
    const b = this.input;
    b.writeUInt32BE(ssrc >>> 0, 0);
    b.writeUInt16BE(port & 0xffff, 4);
    b.writeUInt32BE(slot >>> 0, 6);
    const n = b.write(address, 10, 'latin1'); // an IPv4 or IPv6 literal: at most 45 characters
    return createHmac('sha256', this.secret)
      .update(b.subarray(0, 10 + n))
      .digest()
      .subarray(0, HELLO_COOKIE_SIZE);
  }
}
