import { SAMPLE_RATE } from '@parley/protocol';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dominantFrequency, int16ToFloat, longestGapMs, rmsDbfs } from '@parley/client';
import { CLI, runNode, spawnServer, startRecording, type SpawnedServer } from '../helpers/processes.js';
import { readMono16, sine, wav16 } from '../helpers/wav.js';

const TONE_SECONDS = 3;
// 3 s of tone plus the sending CLI's start (process, Opus, join): a few seconds on a loaded 2-core machine.
const RECORD_SECONDS = 8;
const AMPLITUDE = 0.5; // −6 dBFS peak, −9 dBFS RMS

/** Where the tone is in a recording: the span of 20 ms windows above −40 dBFS. */
function toneSpan(x: Float32Array, rate: number): { start: number; end: number } {
  const w = rate / 50;
  let start = -1;
  let end = -1;
  for (let i = 0; i + w <= x.length; i += w) {
    if (rmsDbfs(x.subarray(i, i + w)) > -40) {
      if (start < 0) start = i;
      end = i + w;
    }
  }
  return { start, end };
}

describe('parley send → server → parley record (real processes, real Opus, real sockets)', () => {
  let server: SpawnedServer;
  const dir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  // 44.1 kHz stereo on purpose: the CLI resamples and down-mixes.
  const tone = join(dir, 'tone-1k.wav');
  const sourceRms = rmsDbfs(sine(1000, 1, SAMPLE_RATE, AMPLITUDE));

  beforeAll(async () => {
    const left = sine(1000, TONE_SECONDS, 44100, AMPLITUDE);
    writeFileSync(tone, wav16([left, left], 44100));
    server = await spawnServer(['--data-dir', join(dir, 'data'), '--channel', 'Games']);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function sendWhileRecording(channel: string, extra: string[]): Promise<Float32Array> {
    const out = join(dir, `rec-${channel}-${extra.join('')}.wav`);
    const recording = (await startRecording(server.url, channel, out, RECORD_SECONDS)).done;
    const sent = await runNode(CLI, [
      'send',
      tone,
      '--server',
      server.url,
      '--channel',
      channel,
      '--name',
      'tone',
      ...extra,
    ]);
    expect(sent.stderr).toMatch(/sent 150 frames/);
    expect(sent.code).toBe(0);
    const dropped = Number(/\((\d+) dropped by --loss\)/.exec(sent.stderr)?.[1] ?? NaN);
    // No impairment asked: nothing dropped; 5 % asked: about 7 of 150 (the seeded pattern drops some).
    if (extra.includes('--loss')) expect(dropped).toBeGreaterThanOrEqual(4);
    else expect(dropped).toBe(0);
    const rec = await recording;
    expect(rec.stderr).toContain(`recorded ${RECORD_SECONDS} s`);
    expect(rec.code).toBe(0);
    const { sampleRate, samples } = readMono16(readFileSync(out));
    expect(sampleRate).toBe(SAMPLE_RATE);
    expect(samples.length).toBe(RECORD_SECONDS * SAMPLE_RATE);
    return int16ToFloat(samples);
  }

  function checkTone(x: Float32Array): void {
    const rate = SAMPLE_RATE;
    const { start, end } = toneSpan(x, rate);
    expect(start).toBeGreaterThan(0); // silence before the sender joined
    const durationS = (end - start) / rate;
    expect(durationS).toBeGreaterThan(TONE_SECONDS - 0.2);
    expect(durationS).toBeLessThan(TONE_SECONDS + 0.3);
    // Steady part: skip the first and last 200 ms.
    const steady = x.subarray(start + 0.2 * rate, end - 0.2 * rate);
    expect(Math.abs(dominantFrequency(steady, rate) - 1000)).toBeLessThanOrEqual(10);
    expect(Math.abs(rmsDbfs(steady) - sourceRms)).toBeLessThanOrEqual(3);
    expect(longestGapMs(steady, rate)).toBeLessThan(40);
    // Silence where there must be silence: before the tone and after it.
    expect(rmsDbfs(x.subarray(0, Math.max(1, start - 0.02 * rate)))).toBeLessThan(-60);
    expect(rmsDbfs(x.subarray(Math.min(x.length - 1, end + 0.1 * rate)))).toBeLessThan(-60);
  }

  it('records the 1 kHz tone at its level, continuous', async () => {
    checkTone(await sendWhileRecording('Lobby', []));
  });

  // A fixed loss pattern (--seed): 5 % of the packets, isolated losses and pairs, which FEC and
  // concealment must bridge. (Three or more lost in a row dip below -40 dBFS for ~40 ms: Opus
  // concealment fades; see docs/benchmarks.md "Audio quality".)
  it('keeps it continuous with 5 % packet loss (FEC + concealment)', async () => {
    checkTone(await sendWhileRecording('Games', ['--loss', '0.05', '--jitter', '15', '--seed', '1']));
  });
});

describe('parley CLI errors: one line, non-zero exit', () => {
  let server: SpawnedServer;
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
  beforeAll(async () => {
    server = await spawnServer(['--data-dir', join(dir, 'data')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  function oneLine(stderr: string): string {
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    return lines[0]!;
  }

  it('reports an unreachable server', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await runNode(CLI, [
      'record',
      join(dir, 'x.wav'),
      '--server',
      `http://127.0.0.1:${port}`,
      '--channel',
      'Lobby',
      '--seconds',
      '1',
    ]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/^parley: cannot reach server http:\/\/127\.0\.0\.1:\d+/);
  });

  it('reports an unknown channel', async () => {
    const r = await runNode(CLI, [
      'record',
      join(dir, 'x.wav'),
      '--server',
      server.url,
      '--channel',
      'Atlantis',
      '--seconds',
      '1',
    ]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe('parley: unknown channel "Atlantis"');
  });

  it('reports a missing file and a file that is not WAV', async () => {
    const missing = await runNode(CLI, [
      'send',
      join(dir, 'nope.wav'),
      '--server',
      server.url,
      '--channel',
      'Lobby',
    ]);
    expect(missing.code).toBe(1);
    expect(oneLine(missing.stderr)).toMatch(/^parley: cannot read .*nope\.wav \(ENOENT\)$/);
    const text = join(dir, 'notes.wav');
    writeFileSync(text, 'these are not samples');
    const notWav = await runNode(CLI, ['send', text, '--server', server.url, '--channel', 'Lobby']);
    expect(notWav.code).toBe(1);
    expect(oneLine(notWav.stderr)).toMatch(/^parley: .*notes\.wav: .*(RIFF|WAV)/i);
  });

  it('rejects bad usage with exit 2', async () => {
    const r = await runNode(CLI, ['send', join(dir, 'x.wav'), '--server', server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^parley: --channel is required/);
  });
});
