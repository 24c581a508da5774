/**
 * `parley send --vad`: voice activation in the CLI, with the SDK's
 * TalkGate (the browser engine's). A file of tone, 1.5 s of silence, tone:
 * packets stop during the silence (counted where they arrive: `parley
 * record --trace` marks each one) and the recording has both tones.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dominantFrequency, encodeWav, int16ToFloat, rmsDbfs, toneInt16 } from '@parley/client';
import { parseTrace } from '@parley/tools';
import { CLI, runNode, spawnServer, startRecording, type SpawnedServer } from '../helpers/processes.js';
import { readMono16 } from '../helpers/wav.js';

const TONE_S = 0.6;
const SILENCE_S = 1.5;

describe('parley send --vad', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-vad-'));
  const file = join(dir, 'tone-silence-tone.wav');
  let server: SpawnedServer;

  beforeAll(async () => {
    const tone = toneInt16(600, TONE_S, 48000, -12);
    const all = new Int16Array(tone.length * 2 + SILENCE_S * 48000);
    all.set(tone, 0);
    all.set(tone, tone.length + SILENCE_S * 48000);
    writeFileSync(file, encodeWav(all, 48000));
    server = await spawnServer(['--data-dir', join(dir, 'data')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('sends nothing while the file is silent (after the hangover), and both tones arrive', async () => {
    const out = join(dir, 'rec.wav');
    const trace = join(dir, 'rec.trace');
    const recording = (await startRecording(server.url, 'Lobby', out, 6, { extra: ['--trace', trace] })).done;
    const sent = await runNode(CLI, [
      'send',
      file,
      '--server',
      server.url,
      '--channel',
      'Lobby',
      '--vad',
      '-40',
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    // 2 × 30 frames of tone, 15 frames of hangover + the closing frame after the first; the
    // second tone ends the file (no silence after it to close on).
    const m = /sent (\d+) frames \(0 dropped by --loss, (\d+) silent ones held back by --vad\)/.exec(
      sent.stderr,
    );
    expect(m, sent.stderr).not.toBeNull();
    const [framesSent, held] = [Number(m![1]), Number(m![2])];
    expect(framesSent).toBeGreaterThanOrEqual(75);
    expect(framesSent).toBeLessThanOrEqual(78);
    expect(framesSent + held).toBe(((2 * TONE_S + SILENCE_S) * 1000) / 20);

    const rec = await recording;
    expect(rec.code, rec.stderr).toBe(0);
    const arrived = parseTrace(readFileSync(trace, 'utf8')).events.filter((e) => e.ev === 'arrived');
    expect(arrived.length).toBe(framesSent);
    // The longest pause between two packets: the silence minus the hangover (1.5 s − 0.32 s).
    let pause = 0;
    for (let i = 1; i < arrived.length; i++) pause = Math.max(pause, arrived[i]!.t - arrived[i - 1]!.t);
    expect(pause).toBeGreaterThan(1000);
    expect(pause).toBeLessThan(1400);

    const x = int16ToFloat(readMono16(readFileSync(out)).samples);
    const loud: number[] = [];
    for (let i = 0; i + 960 <= x.length; i += 960) if (rmsDbfs(x.subarray(i, i + 960)) > -40) loud.push(i);
    expect(loud.length).toBeGreaterThanOrEqual(2 * TONE_S * 50 - 2);
    expect(Math.abs(dominantFrequency(x.subarray(loud[1], loud[20]), 48000) - 600)).toBeLessThan(5);
  }, 60_000);

  it('refuses a threshold that is not a level', async () => {
    const r = await runNode(CLI, ['send', file, '--server', server.url, '--channel', 'Lobby', '--vad', '12']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--vad must be a number in [-120, 0]');
  });
});
