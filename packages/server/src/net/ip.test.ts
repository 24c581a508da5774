import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ipMatches, limitKey, normalizeIp, normalizeIpOrCidr } from './ip.js';
import { originAllowed } from '../http/origin.js';

describe('client addresses', () => {
  it('writes an IPv4-mapped IPv6 address as IPv4, IPv6 in its canonical form', () => {
    expect(normalizeIp('::ffff:127.0.0.78')).toBe('127.0.0.78');
    expect(normalizeIp('::FFFF:7f00:4e')).toBe('127.0.0.78');
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp(' 10.0.0.1 ')).toBe('10.0.0.1');
  });

  it('reads addresses and CIDR ranges, refusing anything else', () => {
    expect(normalizeIpOrCidr('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(normalizeIpOrCidr('::ffff:10.0.0.0/104')).toBe('10.0.0.0/8');
    expect(normalizeIpOrCidr('2001:db8::/32')).toBe('2001:db8::/32');
    expect(normalizeIpOrCidr('::ffff:127.0.0.1')).toBe('127.0.0.1');
    for (const bad of ['10.0.0.0/33', '::/129', 'host', '10.0.0.0/8/1', '10.0.0.0/x', '']) {
      expect(normalizeIpOrCidr(bad)).toBeUndefined();
    }
  });

  it('matches an address or a range, whatever form the address comes in', () => {
    expect(ipMatches('127.0.0.78', '::ffff:127.0.0.78')).toBe(true);
    expect(ipMatches('::ffff:127.0.0.78', '127.0.0.78')).toBe(true);
    expect(ipMatches('10.0.0.0/8', '10.200.3.4')).toBe(true);
    expect(ipMatches('10.0.0.0/8', '::ffff:10.200.3.4')).toBe(true);
    expect(ipMatches('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(ipMatches('2001:db8::/32', '2001:db8:1::5')).toBe(true);
    expect(ipMatches('2001:db8::/32', '2001:db9::5')).toBe(false);
    expect(ipMatches('10.0.0.0/8', 'not an address')).toBe(false);
  });
});

describe('limitKey: who a per-address limit counts', () => {
  it('counts IPv4 by address and IPv6 by its /64', () => {
    expect(limitKey('10.1.2.3')).toBe('10.1.2.3');
    expect(limitKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(limitKey('2001:db8:1:2::5')).toBe('2001:db8:1:2::/64');
    expect(limitKey('2001:DB8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(limitKey('2001:0db8:0001:0002:0:0:0:1%eth0')).toBe('2001:db8:1:2::/64');
    expect(limitKey('::1')).toBe('0:0:0:0::/64');
    expect(limitKey('fe80::1')).toBe('fe80:0:0:0::/64');
    expect(limitKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(limitKey('2001:db8::')).toBe('2001:db8:0:0::/64');
  });

  // Eight random groups, written in every form a socket may report: full, or with a zero run compressed.
  const v6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
  const write = (g: number[], compress: boolean): string => {
    const hex = g.map((x) => x.toString(16));
    if (!compress) return hex.join(':');
    return new URL(`http://[${hex.join(':')}]/`).hostname.slice(1, -1);
  };

  it('gives one key to the addresses of a /64 and different keys to different /64s, in any written form', () => {
    fc.assert(
      fc.property(v6, v6, fc.boolean(), fc.boolean(), (a, b, ca, cb) => {
        if (a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0 && a[4] === 0 && a[5] === 0xffff) return; // mapped IPv4
        if (b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0 && b[4] === 0 && b[5] === 0xffff) return;
        const sameNet = [...a.slice(0, 4), ...b.slice(4)];
        expect(limitKey(write(a, ca))).toBe(limitKey(write(sameNet, cb)));
        const differs = a.slice(0, 4).some((x, i) => x !== b[i]);
        expect(limitKey(write(a, ca)) === limitKey(write(b, cb))).toBe(!differs);
        // The key is a range that holds the address.
        expect(ipMatches(limitKey(write(a, ca)), write(a, !ca))).toBe(true);
      }),
    );
  });
});

describe('WebSocket origins', () => {
  it('lets in no Origin, the same origin and the listed ones; refuses the rest', () => {
    expect(originAllowed(undefined, '127.0.0.1:8710', [])).toBe(true);
    expect(originAllowed('http://127.0.0.1:8710', '127.0.0.1:8710', [])).toBe(true);
    expect(originAllowed('https://chat.example', 'chat.example', [])).toBe(true);
    expect(originAllowed('http://127.0.0.1:5173', '127.0.0.1:8710', [])).toBe(false);
    expect(originAllowed('http://127.0.0.1:5173', '127.0.0.1:8710', ['http://127.0.0.1:5173'])).toBe(true);
    expect(originAllowed('https://evil.example', '127.0.0.1:8710', ['*'])).toBe(true);
    expect(originAllowed('null', '127.0.0.1:8710', [])).toBe(false);
    expect(originAllowed('file://', '127.0.0.1:8710', [])).toBe(false);
  });
});
