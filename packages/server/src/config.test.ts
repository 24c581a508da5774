import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, finalizeConfig, loadConfig } from './config.js';

describe('config layering: defaults ← file ← env ← flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-config-'));

  it('uses the defaults on a bare start', () => {
    const { config } = loadConfig([], {}, dir);
    expect(config.httpPort).toBe(8710);
    expect(config.udpPort).toBe(8710);
    expect(config.host).toBe('127.0.0.1');
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.media).toEqual(DEFAULT_CONFIG.media);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.media)).toBe(true);
  });

  it('lets each layer override the one before, and adds channels up', () => {
    const file = join(dir, 'parley.json');
    writeFileSync(
      file,
      JSON.stringify({ httpPort: 9000, udpPort: 9001, channels: ['Music'], media: { frameMs: 40 } }),
    );
    const { config } = loadConfig(
      ['--config', file, '--udp-port', '0', '--channel', 'Games', '--channel', 'Raid'],
      { PARLEY_HTTP_PORT: '9100', PARLEY_UDP_PORT: '9101', PARLEY_CHANNELS: 'Quiz' },
      dir,
    );
    expect(config.httpPort).toBe(9100); // env over file
    expect(config.udpPort).toBe(0); // flag over env
    expect(config.media.frameMs).toBe(40); // file over default
    expect(config.media.maxPacketSize).toBe(DEFAULT_CONFIG.media.maxPacketSize); // deep merge keeps the rest
    expect(config.channels).toEqual(['Music', 'Quiz', 'Games', 'Raid']);
  });

  it('names the bad option in its error', () => {
    expect(() => loadConfig(['--http-port', 'eighty'], {}, dir)).toThrow(
      /--http-port must be a non-negative integer/,
    );
    expect(() => loadConfig(['--http-port', '70000'], {}, dir)).toThrow(/httpPort/);
    expect(() => loadConfig(['--bogus'], {}, dir)).toThrow(ConfigError);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ media: { maxPacketSize: 5 } }));
    expect(() => loadConfig(['--config', bad], {}, dir)).toThrow(/media\.maxPacketSize/);
    writeFileSync(bad, JSON.stringify({ surprise: 1 }));
    expect(() => loadConfig(['--config', bad], {}, dir)).toThrow(ConfigError);
  });
});

describe('config: TLS, trusted proxies, CORS, security headers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-config-tls-'));
  // Only existence and readability are checked here; http/tls.ts checks the PEM contents.
  writeFileSync(join(dir, 'cert.pem'), 'certificate');
  writeFileSync(join(dir, 'key.pem'), 'key');

  it('defaults to plain HTTP, no trusted proxy, same-origin only, security headers on', () => {
    const { config } = loadConfig([], {}, dir);
    expect(config.tls).toEqual({});
    expect(config.trustProxy).toBe(false);
    expect(config.http).toEqual({ ...DEFAULT_CONFIG.http, cors: { origins: [] }, securityHeaders: true });
    expect(Object.isFrozen(config.http.cors.origins)).toBe(true);
  });

  it('takes the certificate and key from flags or env, relative to the working directory', () => {
    const fromFlags = loadConfig(['--tls-cert', 'cert.pem', '--tls-key', 'key.pem'], {}, dir).config;
    expect(fromFlags.tls).toEqual({ certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') });
    const fromEnv = loadConfig(
      [],
      { PARLEY_TLS_CERT: 'cert.pem', PARLEY_TLS_KEY: join(dir, 'key.pem') },
      dir,
    );
    expect(fromEnv.config.tls).toEqual({ certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') });
    // A flag overrides one file of the env pair and keeps the other.
    writeFileSync(join(dir, 'other.pem'), 'certificate');
    const mixed = loadConfig(
      ['--tls-cert', 'other.pem'],
      { PARLEY_TLS_CERT: 'cert.pem', PARLEY_TLS_KEY: 'key.pem' },
      dir,
    );
    expect(mixed.config.tls).toEqual({ certFile: join(dir, 'other.pem'), keyFile: join(dir, 'key.pem') });
  });

  it('refuses half a TLS pair and unreadable files, naming the option', () => {
    expect(() => loadConfig(['--tls-cert', 'cert.pem'], {}, dir)).toThrow(
      /tls\.keyFile: TLS needs both tls\.certFile .* and tls\.keyFile/,
    );
    expect(() => loadConfig([], { PARLEY_TLS_KEY: 'key.pem' }, dir)).toThrow(/tls\.certFile: TLS needs both/);
    expect(() => loadConfig(['--tls-cert', 'missing.pem', '--tls-key', 'key.pem'], {}, dir)).toThrow(
      /tls\.certFile: cannot read .*missing\.pem/,
    );
    expect(() => loadConfig(['--tls-cert', 'cert.pem', '--tls-key', '.'], {}, dir)).toThrow(
      /tls\.keyFile: cannot read/,
    );
    expect(() => loadConfig(['--tls-cert', 'cert.pem'], {}, dir)).toThrow(ConfigError);
  });

  it('reads trustProxy as true/false or a list of addresses and CIDRs', () => {
    expect(loadConfig([], { PARLEY_TRUST_PROXY: 'true' }, dir).config.trustProxy).toBe(true);
    expect(
      loadConfig(['--trust-proxy', 'false'], { PARLEY_TRUST_PROXY: 'true' }, dir).config.trustProxy,
    ).toBe(false);
    expect(
      loadConfig(['--trust-proxy', '127.0.0.1, 10.0.0.0/8,::1,fd00::/8'], {}, dir).config.trustProxy,
    ).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']);
    const file = join(dir, 'proxy.json');
    writeFileSync(file, JSON.stringify({ trustProxy: ['loopback', '192.168.1.10'] }));
    expect(loadConfig(['--config', file], {}, dir).config.trustProxy).toEqual(['loopback', '192.168.1.10']);
    expect(Object.isFrozen(loadConfig(['--config', file], {}, dir).config.trustProxy)).toBe(true);
  });

  it('refuses a trustProxy entry that is not an address or CIDR', () => {
    for (const bad of ['10.0.0.300', 'proxy.example.com', '10.0.0.0/33', '::1/129', '10.0.0.0/8/1', 'yes']) {
      expect(() => loadConfig(['--trust-proxy', bad], {}, dir), bad).toThrow(
        /trustProxy: .* is not an IP address/,
      );
    }
    const file = join(dir, 'proxy-bad.json');
    writeFileSync(file, JSON.stringify({ trustProxy: 'yes' }));
    expect(() => loadConfig(['--config', file], {}, dir)).toThrow(/trustProxy/);
  });

  it('reads CORS origins from env or file and keeps the rest of `http`', () => {
    const env = { PARLEY_CORS_ORIGINS: 'https://app.example, http://localhost:5173' };
    const { config } = loadConfig([], env, dir);
    expect(config.http.cors.origins).toEqual(['https://app.example', 'http://localhost:5173']);
    expect(config.http.securityHeaders).toBe(true);
    const file = join(dir, 'http.json');
    writeFileSync(file, JSON.stringify({ http: { securityHeaders: false } }));
    const merged = loadConfig(['--config', file], env, dir).config;
    expect(merged.http).toEqual({
      ...DEFAULT_CONFIG.http,
      cors: { origins: ['https://app.example', 'http://localhost:5173'] },
      securityHeaders: false,
    });
    expect(loadConfig([], { PARLEY_CORS_ORIGINS: '*' }, dir).config.http.cors.origins).toEqual(['*']);
  });

  it('checks the HTTP edge options: headers timeout within the request timeout, exempt addresses', () => {
    expect(finalizeConfig().http).toMatchObject({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 10_000,
      maxConnectionsPerAddress: 64,
      connectionCapExempt: ['127.0.0.1', '::1'],
    });
    expect(() => finalizeConfig({ http: { headersTimeoutMs: 40_000 } })).toThrow(/http\.headersTimeoutMs/);
    expect(() => finalizeConfig({ http: { connectionCapExempt: ['loopback'] } })).toThrow(
      /http\.connectionCapExempt/,
    );
    expect(
      finalizeConfig({ http: { connectionCapExempt: ['10.0.0.0/8'] } }).http.connectionCapExempt,
    ).toEqual(['10.0.0.0/8']);
  });

  it('refuses a CORS origin with a path, another scheme or no scheme', () => {
    for (const bad of [
      'https://app.example/',
      'https://app.example/path',
      'ftp://app.example',
      'app.example',
    ]) {
      expect(() => loadConfig([], { PARLEY_CORS_ORIGINS: bad }, dir), bad).toThrow(
        /http\.cors\.origins: .* is not an origin/,
      );
    }
  });
});
