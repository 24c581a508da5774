import { describe, expect, it } from 'vitest';
import { ipMatches, normalizeIp, normalizeIpOrCidr } from './ip.js';
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
