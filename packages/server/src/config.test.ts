import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from './config.js';

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
