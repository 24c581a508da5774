import { describe, expect, it } from 'vitest';
import { FRAME_SAMPLES, SAMPLE_RATE } from '@parley/protocol';
import { rmsDbfs, toneInt16 } from './analysis.js';
import { SpeakingDetector, VoiceActivityDetector } from './vad.js';

/** Frame levels (dBFS RMS) of a signal made of tones and silences, 20 ms frames. */
function levels(parts: ({ ms: number; dbfs: number } | { ms: number; silence: true })[]): number[] {
  const chunks = parts.map((p) =>
    'silence' in p
      ? new Int16Array((p.ms * SAMPLE_RATE) / 1000)
      : toneInt16(300, p.ms / 1000, SAMPLE_RATE, p.dbfs),
  );
  const all = new Int16Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  const out: number[] = [];
  for (let i = 0; i + FRAME_SAMPLES <= all.length; i += FRAME_SAMPLES)
    out.push(rmsDbfs(all.subarray(i, i + FRAME_SAMPLES)));
  return out;
}

const run = (d: { update(db: number): boolean }, ls: number[]): boolean[] => ls.map((l) => d.update(l));

describe('VoiceActivityDetector (energy, attack, hangover)', () => {
  it('opens on the first loud frame, holds 300 ms into the silence, closes, and reopens', () => {
    // 200 ms of tone at −20 dBFS, 1 s of silence, 200 ms of tone.
    const ls = levels([
      { ms: 200, dbfs: -20 },
      { ms: 1000, silence: true },
      { ms: 200, dbfs: -20 },
    ]);
    const open = run(new VoiceActivityDetector(), ls);
    expect(open.slice(0, 10)).toEqual(Array(10).fill(true));
    // Hangover: 15 frames (300 ms) of silence still open, then closed for the rest of the silence.
    expect(open.slice(10, 25)).toEqual(Array(15).fill(true));
    expect(open.slice(25, 60)).toEqual(Array(35).fill(false));
    expect(open.slice(60)).toEqual(Array(10).fill(true));
  });

  it('stays closed below its threshold, and the threshold can move', () => {
    const quiet = levels([{ ms: 400, dbfs: -60 }]); // −63 dBFS RMS
    expect(run(new VoiceActivityDetector(), quiet).some(Boolean)).toBe(false);
    expect(run(new VoiceActivityDetector({ thresholdDb: -70 }), quiet).every(Boolean)).toBe(true);
    const d = new VoiceActivityDetector();
    d.thresholdDb = -70;
    expect(d.update(quiet[0]!)).toBe(true);
  });

  it('with a 60 ms attack, a single loud frame (a click) does not open it; three do', () => {
    const d = new VoiceActivityDetector({ attackMs: 60 });
    expect(run(d, [-10, -90, -90, -10, -10])).toEqual([false, false, false, false, false]);
    expect(d.update(-10)).toBe(true);
  });

  it('reset() closes it at once', () => {
    const d = new VoiceActivityDetector();
    d.update(-10);
    d.reset();
    expect(d.isOpen).toBe(false);
  });
});

describe('SpeakingDetector (indicators)', () => {
  it('clears within 100 ms after the audio stops (80 ms hangover, 20 ms frames)', () => {
    const ls = levels([
      { ms: 400, dbfs: -20 },
      { ms: 400, silence: true },
    ]);
    const on = run(new SpeakingDetector(), ls);
    expect(on.slice(0, 20).every(Boolean)).toBe(true);
    const firstOff = on.indexOf(false, 20);
    expect((firstOff - 20 + 1) * 20).toBeLessThanOrEqual(100);
    expect(on.slice(firstOff).every((x) => !x)).toBe(true);
  });

  it('treats −Infinity (no audio at all) as silence', () => {
    const d = new SpeakingDetector({ hangoverMs: 0 });
    expect(d.update(-10)).toBe(true);
    expect(d.update(-Infinity)).toBe(false);
  });
});
