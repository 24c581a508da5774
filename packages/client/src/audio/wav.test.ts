import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeWav, parseWav } from './wav.js';

function wav(opts: {
  format: number;
  channels: number;
  rate: number;
  bits: number;
  data: Uint8Array;
  extensible?: boolean;
  junk?: boolean;
}): Uint8Array {
  const fmtSize = opts.extensible ? 40 : 16;
  const junk = opts.junk ? 12 : 0;
  const out = new Uint8Array(12 + junk + 8 + fmtSize + 8 + opts.data.length);
  const v = new DataView(out.buffer);
  const put = (o: number, s: string): void => s.split('').forEach((c, i) => (out[o + i] = c.charCodeAt(0)));
  put(0, 'RIFF');
  v.setUint32(4, out.length - 8, true);
  put(8, 'WAVE');
  let o = 12;
  if (opts.junk) {
    put(o, 'LIST');
    v.setUint32(o + 4, 4, true);
    o += 12;
  }
  put(o, 'fmt ');
  v.setUint32(o + 4, fmtSize, true);
  v.setUint16(o + 8, opts.extensible ? 0xfffe : opts.format, true);
  v.setUint16(o + 10, opts.channels, true);
  v.setUint32(o + 12, opts.rate, true);
  v.setUint16(o + 20, (opts.channels * opts.bits) / 8, true);
  v.setUint16(o + 22, opts.bits, true);
  if (opts.extensible) v.setUint16(o + 32, opts.format, true);
  o += 8 + fmtSize;
  put(o, 'data');
  v.setUint32(o + 4, opts.data.length, true);
  out.set(opts.data, o + 8);
  return out;
}

describe('WAV', () => {
  it('reads 16-bit stereo and down-mixes it', () => {
    const d = new DataView(new ArrayBuffer(8));
    d.setInt16(0, 16384, true);
    d.setInt16(2, 0, true);
    d.setInt16(4, -32768, true);
    d.setInt16(6, -32768, true);
    const r = parseWav(
      wav({ format: 1, channels: 2, rate: 44100, bits: 16, data: new Uint8Array(d.buffer), junk: true }),
    );
    expect(r.ok && r.value.sampleRate).toBe(44100);
    expect(r.ok && Array.from(r.value.samples)).toEqual([0.25, -1]);
  });

  it('reads 8-bit, 24-bit, 32-bit int, 32/64-bit float and WAVE_FORMAT_EXTENSIBLE', () => {
    const u8 = parseWav(
      wav({ format: 1, channels: 1, rate: 8000, bits: 8, data: Uint8Array.of(128, 255, 0) }),
    );
    expect(u8.ok && Array.from(u8.value.samples)).toEqual([0, 127 / 128, -1]);
    const i24 = parseWav(
      wav({
        format: 1,
        channels: 1,
        rate: 96000,
        bits: 24,
        data: Uint8Array.of(0, 0, 0x40, 0xff, 0xff, 0xff),
        extensible: true,
      }),
    );
    expect(i24.ok && Array.from(i24.value.samples)).toEqual([0.5, -1 / 8388608]);
    const i32 = parseWav(
      wav({ format: 1, channels: 1, rate: 48000, bits: 32, data: Uint8Array.of(0, 0, 0, 0xc0) }),
    );
    expect(i32.ok && Array.from(i32.value.samples)).toEqual([-0.5]);
    const f32 = new Float32Array([0.125, -0.75]);
    const rf = parseWav(
      wav({ format: 3, channels: 1, rate: 22050, bits: 32, data: new Uint8Array(f32.buffer) }),
    );
    expect(rf.ok && Array.from(rf.value.samples)).toEqual([0.125, -0.75]);
    const f64 = new Float64Array([0.5]);
    const rd = parseWav(
      wav({ format: 3, channels: 1, rate: 22050, bits: 64, data: new Uint8Array(f64.buffer) }),
    );
    expect(rd.ok && rd.value.format).toBe('float');
  });

  it('gives a one-line reason for what it cannot read', () => {
    expect(parseWav(new TextEncoder().encode('hello there, not audio'))).toEqual({
      ok: false,
      reason: 'not a WAV file (no RIFF/WAVE header)',
    });
    const mp3ish = wav({ format: 85, channels: 1, rate: 44100, bits: 16, data: new Uint8Array(4) });
    const r = parseWav(mp3ish);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/unsupported WAV encoding/);
    const noData = wav({ format: 1, channels: 1, rate: 44100, bits: 16, data: new Uint8Array(0) }).subarray(
      0,
      36,
    );
    expect(parseWav(noData).ok).toBe(false);
  });

  it('round-trips what it writes', () => {
    const s = Int16Array.from([0, 1, -1, 32767, -32768]);
    const r = parseWav(encodeWav(s, 48000));
    expect(r.ok && r.value.sampleRate).toBe(48000);
    expect(r.ok && Array.from(r.value.samples).map((x) => Math.round(x * 32768))).toEqual([
      0, 1, -1, 32767, -32768,
    ]);
  });

  it('never throws on arbitrary or truncated bytes (property)', () => {
    const good = encodeWav(
      Int16Array.from({ length: 50 }, (_, i) => i * 100),
      16000,
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (junk, cut, edits) => {
          parseWav(junk);
          const m = Uint8Array.from(good);
          for (const [i, b] of edits) m[i % m.length] = b;
          parseWav(m.subarray(0, cut % (m.length + 1)));
        },
      ),
    );
  });
});
