import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '@parley/client/node';
import { startServer, type TestServer } from '../helpers/server.js';
import { adminToken, call } from '../helpers/api.js';
import { connectClient } from '../helpers/clients.js';
import { wav16 } from '../helpers/wav.js';

/** One second of seeded white noise at about −16 dBFS RMS: hard to compress, so Opus spends its whole bitrate. */
function noise(seconds: number): Float32Array {
  const out = new Float32Array(48000 * seconds);
  let x = 2463534242;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 2 ** 32 - 0.5) * 0.5;
  }
  return out;
}

describe('the Opus bitrate: the server setting defaultBitrate, or --bitrate', () => {
  let t: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'parley-bitrate-'));
  const file = join(dir, 'noise.wav');
  writeFileSync(file, wav16([noise(1)], 48000));
  beforeEach(async () => {
    t = await startServer();
  });
  afterEach(async () => {
    await t.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `parley send` and returns the mean sealed audio packet the relay received, in bytes. */
  async function meanPacketBytes(extra: string[]): Promise<number> {
    const stats = t.server.plane.stats;
    const bytes0 = stats.bytesIn;
    const packets0 = stats.packetsIn;
    const err = new PassThrough();
    let stderr = '';
    err.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await runCli(
      ['send', file, '--server', t.info.url, '--channel', 'Lobby', ...extra],
      {
        out: new PassThrough() as unknown as typeof process.stdout,
        err: err as unknown as typeof process.stderr,
      },
      {},
    );
    expect(stderr).toMatch(/sent 50 frames/);
    expect(code).toBe(0);
    // Nearly every packet is audio (a HELLO or two, a PING at most): their bytes are noise here.
    return (stats.bytesIn - bytes0) / (stats.packetsIn - packets0);
  }

  it('is announced in joined.media, follows the setting, and a sender encodes at it unless told otherwise', async () => {
    const admin = await adminToken(t.server);
    const patched = await call(t.info.url, 'PATCH', '/api/v1/config', {
      token: admin,
      body: { defaultBitrate: 12000 },
    });
    expect(patched.status).toBe(200);
    const probe = await connectClient(t.info.url, 'probe');
    try {
      const joined = await probe.join('Lobby');
      expect(joined.media.bitrate).toBe(12000);
    } finally {
      probe.close();
    }

    // 12 kbps is 30 bytes per 20 ms frame, 64 kbps 160; each packet adds 28 (header + tag).
    const low = await meanPacketBytes([]);
    const high = await meanPacketBytes(['--bitrate', '64000']);
    expect(low).toBeGreaterThan(28 + 30 * 0.6);
    expect(low).toBeLessThan(28 + 30 * 1.4);
    expect(high).toBeGreaterThan(28 + 160 * 0.6);
    expect(high).toBeLessThan(28 + 160 * 1.4);
  });
});
