import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config.js';
import { exposureWarnings, isLoopbackHost, urlScheme } from './tls.js';

const TLS = { certFile: '/etc/parley/fullchain.pem', keyFile: '/etc/parley/privkey.pem' };

function warn(over: Partial<Pick<typeof DEFAULT_CONFIG, 'host' | 'tls' | 'trustProxy'>>) {
  return exposureWarnings({ ...DEFAULT_CONFIG, ...over });
}

describe('isLoopbackHost', () => {
  it('knows 127.0.0.0/8, ::1 and localhost', () => {
    for (const h of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'localhost',
    ]) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
  });
  it('treats everything else as beyond loopback', () => {
    for (const h of [
      '0.0.0.0',
      '::',
      '192.168.1.10',
      '10.0.0.1',
      '128.0.0.1',
      '::2',
      'example.com',
      'voice.local',
    ]) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });
});

describe('exposureWarnings: what a plain-HTTP server beyond loopback must say at start', () => {
  it('says nothing on loopback, with or without TLS or a proxy', () => {
    expect(warn({ host: '127.0.0.1' })).toEqual([]);
    expect(warn({ host: '::1', trustProxy: true })).toEqual([]);
    expect(warn({ host: 'localhost', tls: TLS })).toEqual([]);
  });

  it('warns loudly beyond loopback without TLS and without a trusted proxy', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      const out = warn({ host });
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({ level: 'warn', loud: true });
      expect(out[0]?.message).toMatch(/without TLS/);
      expect(out[0]?.message).toMatch(/media keys, login tokens and passwords travel in clear/);
    }
    expect(warn({ host: '0.0.0.0', trustProxy: [] })[0]).toMatchObject({ loud: true });
  });

  it('says nothing beyond loopback with TLS', () => {
    expect(warn({ host: '0.0.0.0', tls: TLS })).toEqual([]);
    expect(warn({ host: '0.0.0.0', tls: TLS, trustProxy: ['10.0.0.2'] })).toEqual([]);
  });

  it('only reminds, quietly, when a trusted proxy is expected to terminate TLS', () => {
    const out = warn({ host: '10.0.0.5', trustProxy: ['10.0.0.2'] });
    expect(out).toEqual([expect.objectContaining({ level: 'info', loud: false })]);
    expect(out[0]?.message).toMatch(/TLS reverse proxy/);
  });

  it('warns that trustProxy: true lets direct clients forge their address', () => {
    const out = warn({ host: '0.0.0.0', trustProxy: true });
    expect(out.map((w) => [w.level, w.loud])).toEqual([
      ['info', false],
      ['warn', false],
    ]);
    expect(out[1]?.message).toMatch(/X-Forwarded-For/);
    expect(warn({ host: '0.0.0.0', tls: TLS, trustProxy: true })).toEqual([
      expect.objectContaining({ level: 'warn', loud: false }),
    ]);
  });
});

describe('urlScheme', () => {
  it('is https with TLS files, http without', () => {
    expect(urlScheme({ ...DEFAULT_CONFIG, tls: TLS })).toBe('https');
    expect(urlScheme(DEFAULT_CONFIG)).toBe('http');
  });
});
