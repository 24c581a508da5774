import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseWav, MAX_WAV_SAMPLES } from '../audio/wav.js';
import { openFiles, resourceBaseline } from '../../../../test/helpers/leaks.js';
import { WavFileWriter } from './wav-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WavFileWriter', () => {
  it('streams frames to disk and writes the RIFF and data sizes at close', async () => {
    const file = join(dir, 'a.wav');
    const w = await WavFileWriter.open(file, 48000);
    // Placeholder sizes until close: the header is there from the start.
    expect(readFileSync(file).length).toBe(44);
    const frames = 50;
    for (let k = 0; k < frames; k++)
      w.write(Int16Array.from({ length: 960 }, (_, i) => ((k * 960 + i) % 32768) - 16384));
    w.write(Int16Array.of(32767, -32768, 1)); // a partial last frame
    await w.close();
    await w.close(); // idempotent
    const samples = frames * 960 + 3;
    expect(w.samplesWritten).toBe(samples);
    const bytes = readFileSync(file);
    expect(bytes.length).toBe(44 + samples * 2);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(v.getUint32(4, true)).toBe(36 + samples * 2); // RIFF size
    expect(v.getUint32(40, true)).toBe(samples * 2); // data size
    const wav = parseWav(bytes);
    expect(wav.ok).toBe(true);
    if (!wav.ok) return;
    expect(wav.value).toMatchObject({ sampleRate: 48000, channels: 1, bitsPerSample: 16, format: 'pcm' });
    expect(wav.value.samples.length).toBe(samples);
    expect(wav.value.samples[1000]! * 32768).toBe((1000 % 32768) - 16384);
    expect(Array.from(wav.value.samples.subarray(-3), (x) => x * 32768)).toEqual([32767, -32768, 1]);
    expect(() => w.write(new Int16Array(1))).toThrow(/closed/);
  });

  it('refuses samples past what a WAV file holds', async () => {
    const w = await WavFileWriter.open(join(dir, 'b.wav'), 48000, { maxSamples: 1000 });
    w.write(new Int16Array(960));
    expect(() => w.write(new Int16Array(41))).toThrow(RangeError);
    await w.close();
    expect(w.samplesWritten).toBe(960);
    expect(MAX_WAV_SAMPLES).toBe(2147483629); // (2³² − 1 − 36) / 2 bytes, rounded down
  });

  it('holds no file open after close(), even after a failed write, and close() may be called again', async () => {
    const file = join(dir, 'c.wav');
    const before = resourceBaseline({ files: true, timers: true });
    const w = await WavFileWriter.open(file, 48000);
    expect(openFiles().get(file)).toBe(1);
    w.write(new Int16Array(960));
    await Promise.all([w.close(), w.close()]);
    expect(openFiles().get(file)).toBeUndefined();
    await before.expectNothingLeft('WavFileWriter.close()');

    // A write that fails (a disk error, simulated): close() rejects, and still closes the file.
    const again = resourceBaseline({ files: true });
    const broken = await WavFileWriter.open(file, 48000);
    (broken as unknown as { fh: { write: () => Promise<never> } }).fh.write = () =>
      Promise.reject(new Error('EIO (test)'));
    broken.write(new Int16Array(960));
    await expect(broken.close()).rejects.toThrow(/EIO/);
    await expect(broken.close()).rejects.toThrow(/EIO/);
    await again.expectNothingLeft('WavFileWriter.close() after a failed write');
  });
});
