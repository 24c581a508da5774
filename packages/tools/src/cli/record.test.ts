import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const err = new PassThrough();
  let stderr = '';
  err.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const code = await main(args, {
    out: new PassThrough() as unknown as typeof process.stdout,
    err: err as unknown as typeof process.stderr,
  });
  return { code, stderr };
}

describe('parley record --seconds', () => {
  it('refuses a length whose WAV data would not fit in a 32-bit RIFF size (usage error, exit 2)', async () => {
    // 2147483629 samples (4294967258 bytes) at 48 kHz: 44739.24 s is the most a WAV file holds.
    for (const seconds of ['86400', '44740', '44739.25']) {
      const r = await run(['record', 'out.wav', '--channel', 'Lobby', '--seconds', seconds]);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(/^parley: --seconds .* WAV file holds at most 44739\.24 s/);
    }
  });
});
