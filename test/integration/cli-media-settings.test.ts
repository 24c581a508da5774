import { SAMPLE_RATE } from '@parley/protocol';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '@parley/tools';
import { startServer, type TestServer } from '../helpers/server.js';
import { adminToken, call } from '../helpers/api.js';
import { connectClient } from '../helpers/clients.js';
import { dominantFrequency, int16ToFloat, longestGapMs, rmsDbfs } from '@parley/client';
import { readMono16, sine, wav16 } from '../helpers/wav.js';
import { waitFor } from '../helpers/wait.js';

/** One second of seeded white noise at about −16 dBFS RMS: hard to compress, so Opus spends its whole bitrate. */
function noise(seconds: number): Float32Array {
  const out = new Float32Array(SAMPLE_RATE * seconds);
  let x = 2463534242;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 2 ** 32 - 0.5) * 0.5;
  }
  return out;
}

describe('parley send / record follow the server’s media settings', () => {
  let t: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'parley-media-settings-'));
  const file = join(dir, 'noise.wav');
  writeFileSync(file, wav16([noise(1)], SAMPLE_RATE));
  beforeEach(async () => {
    t = await startServer();
  });
  afterEach(async () => {
    await t.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the CLI in-process; resolves with its exit code and what it wrote on stderr. */
  async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
    const err = new PassThrough();
    let stderr = '';
    err.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await runCli(
      [...args, '--server', t.info.url, '--channel', 'Lobby'],
      {
        out: new PassThrough() as unknown as typeof process.stdout,
        err: err as unknown as typeof process.stderr,
      },
      {},
    );
    return { code, stderr };
  }

  async function patchConfig(body: Record<string, unknown>): Promise<void> {
    const admin = await adminToken(t.server);
    expect((await call(t.info.url, 'PATCH', '/api/v1/config', { token: admin, body })).status).toBe(200);
  }

  /** Runs `parley send` and returns the mean sealed audio packet the relay received, in bytes. */
  async function meanPacketBytes(extra: string[]): Promise<number> {
    const stats = t.server.plane.stats;
    const bytes0 = stats.bytesIn;
    const packets0 = stats.packetsIn;
    const sent = await cli(['send', file, ...extra]);
    expect(sent.stderr).toMatch(/sent 50 frames/);
    expect(sent.code).toBe(0);
    // Nearly every packet is audio (a HELLO or two, a PING at most): their bytes are noise here.
    return (stats.bytesIn - bytes0) / (stats.packetsIn - packets0);
  }

  it('is announced in joined.media, follows the setting, and a sender encodes at it unless told otherwise', async () => {
    await patchConfig({ defaultBitrate: 12000 });
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

  it('frames at the server’s frameMs: 40 ms frames go out at 25 packets/s, and the recording is whole', async () => {
    await patchConfig({ frameMs: 40 });
    const tone = join(dir, 'tone.wav');
    writeFileSync(tone, wav16([sine(1000, 2, SAMPLE_RATE, 0.5)], SAMPLE_RATE));
    const out = join(dir, 'rec-40ms.wav');
    const recording = cli(['record', out, '--seconds', '4', '--name', 'rec']);
    await waitFor(async () => {
      const r = await fetch(`${t.info.url}/api/v1/channels`);
      const b = (await r.json()) as { items: { name: string; members: number }[] };
      return (b.items.find((c) => c.name === 'Lobby')?.members ?? 0) >= 1;
    }, 'the recorder to join');
    const audio0 = t.server.plane.stats.audioIn;
    const sent = await cli(['send', tone, '--name', 'tone']);
    // 2 s in 40 ms frames.
    expect(sent.stderr).toMatch(/sent 50 frames/);
    expect(sent.code).toBe(0);
    expect(t.server.plane.stats.audioIn - audio0).toBe(50);
    const rec = await recording;
    expect(rec.code).toBe(0);
    const x = int16ToFloat(readMono16(readFileSync(out)).samples);
    // Where the tone is: 40 ms windows above −40 dBFS.
    const w = 1920;
    const loud: number[] = [];
    for (let i = 0; i + w <= x.length; i += w) if (rmsDbfs(x.subarray(i, i + w)) > -40) loud.push(i);
    const start = loud[0]!;
    const end = loud.at(-1)! + w;
    expect((end - start) / SAMPLE_RATE).toBeGreaterThan(1.8);
    expect((end - start) / SAMPLE_RATE).toBeLessThan(2.3);
    const steady = x.subarray(start + 9600, end - 9600);
    expect(Math.abs(dominantFrequency(steady, SAMPLE_RATE) - 1000)).toBeLessThanOrEqual(10);
    expect(Math.abs(rmsDbfs(steady) - rmsDbfs(sine(1000, 1, SAMPLE_RATE, 0.5)))).toBeLessThanOrEqual(3);
    expect(longestGapMs(steady, SAMPLE_RATE)).toBeLessThan(40);
  });
});
