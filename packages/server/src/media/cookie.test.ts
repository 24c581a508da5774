import { describe, expect, it } from 'vitest';
import { HELLO_COOKIE_SIZE } from '@parley/protocol';
import { COOKIE_SLOT_MS, CookieJar } from './cookie.js';

describe('CookieJar', () => {
  const jar = new CookieJar(new Uint8Array(32).fill(7));

  it('checks a cookie for the same ssrc, address and port, in its slot and the next', () => {
    const c = jar.make(42, '192.0.2.1', 4000, 5);
    expect(c).toHaveLength(HELLO_COOKIE_SIZE);
    expect(jar.check(c, 42, '192.0.2.1', 4000, COOKIE_SLOT_MS - 1)).toBe(true);
    expect(jar.check(c, 42, '192.0.2.1', 4000, 2 * COOKIE_SLOT_MS - 1)).toBe(true);
    expect(jar.check(c, 42, '192.0.2.1', 4000, 2 * COOKIE_SLOT_MS)).toBe(false); // expired
  });

  it('refuses it for another ssrc, address, port or secret, and any other length', () => {
    const c = jar.make(42, '2001:db8::1', 4000, 0);
    expect(jar.check(c, 43, '2001:db8::1', 4000, 0)).toBe(false);
    expect(jar.check(c, 42, '2001:db8::2', 4000, 0)).toBe(false);
    expect(jar.check(c, 42, '2001:db8::1', 4001, 0)).toBe(false);
    expect(new CookieJar(new Uint8Array(32)).check(c, 42, '2001:db8::1', 4000, 0)).toBe(false);
    expect(jar.check(c.subarray(1), 42, '2001:db8::1', 4000, 0)).toBe(false);
    expect(jar.check(new Uint8Array(HELLO_COOKIE_SIZE), 42, '2001:db8::1', 4000, 0)).toBe(false);
  });
});
