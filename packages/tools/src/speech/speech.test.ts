import { describe, expect, it } from 'vitest';
import { SAMPLE_RATE } from '@parley/protocol';
import { mulberry32 } from '@parley/client';
import { align, warp } from './align.js';
import { Fft } from './fft.js';
import { spectralDistance } from './spectral.js';

/** Seeded Gaussian noise of standard deviation `rms` (full scale = 1). */
function noise(samples: number, rms: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(samples);
  for (let i = 0; i < samples; i++)
    out[i] = rms * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return out;
}

/**
 * Something with speech's rhythm, as 16-bit samples: noise shaped into
 * "syllables" of 80–300 ms (raised-cosine envelopes of random peaks) with
 * pauses of 20–200 ms between them; half a second of silence first.
 */
function speechLike(seconds: number, seed: number): Int16Array {
  const rand = mulberry32(seed);
  const carrier = noise(Math.round(seconds * SAMPLE_RATE), 1, seed + 1);
  const out = new Int16Array(carrier.length);
  let at = SAMPLE_RATE / 2;
  for (let guard = 0; guard < 1000 && at < out.length; guard++) {
    const len = Math.round(((80 + 220 * rand()) * SAMPLE_RATE) / 1000);
    const peak = 3000 + 9000 * rand();
    for (let i = 0; i < len && at + i < out.length; i++) {
      const env = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / len);
      out[at + i] = Math.round(Math.max(-32767, Math.min(32767, peak * env * carrier[at + i]! * 0.4)));
    }
    at += len + Math.round(((20 + 180 * rand()) * SAMPLE_RATE) / 1000);
  }
  return out;
}

/** `x` delayed by `lag` samples (zeros first), `extra` samples of zeros after. */
function delayed(x: Int16Array, lag: number, extra = 0): Int16Array {
  const out = new Int16Array(lag + x.length + extra);
  out.set(x, lag);
  return out;
}

/** `x` played `lag` samples late, with `gap` samples of silence inserted at `at`. */
function slipped(x: Int16Array, lag: number, at: number, gap: number): Int16Array {
  const out = new Int16Array(lag + x.length + gap);
  out.set(x.subarray(0, at), lag);
  out.set(x.subarray(at), lag + at + gap);
  return out;
}

describe('Fft', () => {
  it('matches a direct DFT', () => {
    const n = 64;
    const x = noise(n, 1, 3);
    const re = Float64Array.from(x);
    const im = new Float64Array(n);
    new Fft(n).transform(re, im);
    let worst = 0;
    for (let k = 0; k < n; k++) {
      let r = 0;
      let i = 0;
      for (let t = 0; t < n; t++) {
        r += x[t]! * Math.cos((2 * Math.PI * k * t) / n);
        i -= x[t]! * Math.sin((2 * Math.PI * k * t) / n);
      }
      worst = Math.max(worst, Math.abs(r - re[k]!), Math.abs(i - im[k]!));
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it('takes only powers of two, and arrays of its size', () => {
    expect(() => new Fft(48)).toThrow(RangeError);
    expect(() => new Fft(1)).toThrow(RangeError);
    expect(() => new Fft(8).transform(new Float64Array(4), new Float64Array(4))).toThrow(RangeError);
  });
});

describe('spectralDistance', () => {
  const src = noise(2 * SAMPLE_RATE, 0.1, 7);

  it('is 0 dB for identical signals, every frame speech, no hole', () => {
    const d = spectralDistance(src, src.slice());
    expect(d.lsdDb).toBe(0);
    expect(d.heardLsdDb).toBe(0);
    // 20 ms frames every 10 ms over 2 s.
    expect(d.speechFrames).toBe(199);
    expect(d.frames).toHaveLength(199);
    expect(d.frames.every((f) => f === 0)).toBe(true);
    expect(d.holes).toBe(0);
  });

  it('is the attenuation itself for a quieter copy (6.02 dB at half the amplitude)', () => {
    const d = spectralDistance(
      src,
      src.map((s) => s / 2),
    );
    expect(d.lsdDb).toBeCloseTo(20 * Math.log10(2), 2);
    expect(d.holes).toBe(0);
  });

  it('is about 7.9 dB between two independent white noises of one level', () => {
    // The difference of two log-periodograms: 10/ln 10 · π/√3 = 7.88 dB RMS.
    const d = spectralDistance(src, noise(src.length, 0.1, 8));
    expect(d.lsdDb).toBeGreaterThan(7.6);
    expect(d.lsdDb).toBeLessThan(8.2);
  });

  it('counts the frames a silent stretch of the recording covers as holes', () => {
    const rec = src.slice();
    rec.fill(0, SAMPLE_RATE, SAMPLE_RATE * 1.2);
    const d = spectralDistance(src, rec);
    // Frames starting at 1.00, 1.01, … 1.18 s lie wholly in the 200 ms of silence.
    expect(d.holes).toBe(19);
    // The frames in the silence are the worst: the speech's level over the floor.
    expect(Math.min(...d.frames.subarray(100, 119))).toBeGreaterThan(30);
    expect(d.holeShare).toBeCloseTo(19 / 199, 6);
    // Frames half in it are heard, 3 dB down; the rest are exact.
    expect(d.heardLsdDb).toBeGreaterThan(0);
    expect(d.heardLsdDb).toBeLessThan(d.lsdDb);
  });

  it('compares only where the source speaks, and a short recording ends in silence', () => {
    const speech = new Float32Array(2 * SAMPLE_RATE);
    speech.set(src.subarray(0, SAMPLE_RATE));
    const d = spectralDistance(speech, src.subarray(0, SAMPLE_RATE + 480));
    // Frames starting at 0.00 … 0.99 s (the last half in the silence, 3 dB down).
    expect(d.speechFrames).toBe(100);
    expect(d.lsdDb).toBeLessThan(0.5);
    expect(spectralDistance(speech, new Float32Array(0)).holeShare).toBe(1);
    expect(spectralDistance(new Float32Array(SAMPLE_RATE), src).speechFrames).toBe(0);
  });
});

describe('align', () => {
  const src = speechLike(3, 21);

  it('finds a recording’s delay to the sample, every block the same', () => {
    const a = align(src, delayed(src, 1234, 4800));
    expect(a.lag).toBe(1234);
    expect(a.correlation).toBeGreaterThan(0.99);
    expect(new Set(a.blockLags)).toEqual(new Set([1234]));
  });

  it('follows playout that slips by a frame, and the re-timed recording matches again', () => {
    // 20 ms of silence inserted at 1.5 s: what a jitter buffer growing by a frame plays.
    const rec = slipped(src, 600, 1.5 * SAMPLE_RATE, 960);
    const a = align(src, rec);
    expect(a.lag).toBe(600);
    expect(a.blockLags[0]).toBe(600);
    expect(a.blockLags[a.blockLags.length - 1]).toBe(600 + 960);
    const d = spectralDistance(src, warp(rec, a, src.length));
    expect(d.holeShare).toBeLessThan(0.03);
    expect(
      spectralDistance(src, warp(rec, { ...a, blockLags: a.blockLags.map(() => 600) }, src.length)).lsdDb,
    ).toBeGreaterThan(4 * d.lsdDb);
  });

  it('finds playout again after a jump further than it tracks (300 ms)', () => {
    const a = align(src, slipped(src, 600, 1.5 * SAMPLE_RATE, 300 * 48));
    expect(a.blockLags[0]).toBe(600);
    expect(a.blockLags[a.blockLags.length - 1]).toBe(600 + 300 * 48);
  });

  it('keeps its lag through a hole in the recording', () => {
    const rec = delayed(src, 2000);
    rec.fill(0, 2000 + SAMPLE_RATE * 1.5, 2000 + SAMPLE_RATE * 1.65);
    const a = align(src, rec);
    expect(new Set(a.blockLags)).toEqual(new Set([2000]));
  });

  it('does not follow one block that resembles another instant (a match its neighbours do not confirm)', () => {
    // A 250 ms hole from 1.45 s, and in it 80 ms of what came 70 ms earlier (as concealment can
    // resemble another instant): the block at 1.5 s matches that best, at +70 ms; the block
    // after it matches nothing, the ones around them the truth.
    const rec = delayed(src, 2000);
    const s = (sec: number): number => Math.round(sec * SAMPLE_RATE);
    rec.fill(0, 2000 + s(1.45), 2000 + s(1.7));
    rec.set(src.subarray(s(1.46), s(1.54)), 2000 + s(1.53));
    const a = align(src, rec);
    expect(new Set(a.blockLags)).toEqual(new Set([2000]));
  });

  it('searches only [0, maxLagMs]: a recording of something else is not matched', () => {
    const other = speechLike(4, 99);
    const a = align(src, other, { maxLagMs: 300 });
    expect(a.correlation).toBeLessThan(0.2);
    expect(new Set(a.blockLags)).toEqual(new Set([0]));
    // The same speech 400 ms late is out of that range, in the default one.
    expect(align(src, delayed(src, 400 * 48), { maxLagMs: 300 }).lag).toBeLessThanOrEqual(300 * 48);
    expect(align(src, delayed(src, 400 * 48)).lag).toBe(400 * 48);
    expect(warp(new Int16Array(0), a, 10)).toEqual(new Int16Array(10));
  });
});
