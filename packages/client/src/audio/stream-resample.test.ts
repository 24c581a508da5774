import { describe, expect, it } from 'vitest';
import { dominantFrequency, rmsDbfs, toneInt16 } from './analysis.js';
import { resampleTo48k } from './resample.js';
import { StreamResampler } from './stream-resample.js';

/** A source of `chunk`-sample pieces of `x`, then silence. */
function chunks(x: Int16Array, chunk: number): () => Int16Array {
  let at = 0;
  return () => {
    const c = new Int16Array(chunk);
    c.set(x.subarray(at, Math.min(x.length, at + chunk)));
    at += chunk;
    return c;
  };
}

function render(r: StreamResampler, samples: number, block: number): Float32Array {
  const out = new Float32Array(samples);
  for (let i = 0; i < samples; i += block) r.render(out.subarray(i, Math.min(samples, i + block)));
  return out;
}

describe('StreamResampler', () => {
  const tone = toneInt16(440, 1, 48000, -12);

  it('48 → 44.1 kHz: the tone keeps its frequency and level', () => {
    const out = render(new StreamResampler(48000, 44100, chunks(tone, 128)), 44100 * 0.9, 128);
    const mid = out.subarray(2000, 38000);
    expect(Math.abs(dominantFrequency(mid, 44100) - 440)).toBeLessThan(2);
    expect(Math.abs(rmsDbfs(mid) - -15.05)).toBeLessThan(0.2);
  });

  it('gives the one-shot resampler’s samples, delayed by its half width, whatever the block sizes', () => {
    const oneShot = resampleTo48k(
      Float32Array.from(tone, (s) => s / 32768),
      48000,
      44100,
    );
    const a = render(new StreamResampler(48000, 44100, chunks(tone, 128)), 20000, 128);
    const b = render(new StreamResampler(48000, 44100, chunks(tone, 480)), 20000, 97);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 6);
    // Away from the edges, the stream is the one-shot conversion (the filters agree to ~1e-4).
    for (let i = 1000; i < 19000; i += 37) expect(a[i]).toBeCloseTo(oneShot[i]!, 3);
  });

  it('asks for input only as it is needed, and keeps only what the next outputs reach', () => {
    let asked = 0;
    const r = new StreamResampler(48000, 44100, () => {
      asked++;
      return new Int16Array(128);
    });
    render(r, 44100, 128);
    // 1 s of output takes 1 s of input (plus the filter's look-ahead).
    expect(asked * 128).toBeGreaterThanOrEqual(48000);
    expect(asked * 128).toBeLessThanOrEqual(48000 + 2 * 128);
    expect(r.buffered).toBeLessThan(128 + 64);
  });
});
