import { beforeAll, describe, expect, it } from 'vitest';
import { FRAME_SAMPLES, SAMPLE_RATE } from '@parley/protocol';
import { loadOpusNode } from './opus-node.js';
import { OpusDecoder, OpusEncoder, type OpusModule } from './opus.js';
import { dominantFrequency, rmsDbfs, toneInt16 } from './analysis.js';

let opus: OpusModule;
beforeAll(async () => {
  opus = await loadOpusNode();
});

function encodeTone(enc: OpusEncoder, freq: number, frames: number): Uint8Array[] {
  const pcm = toneInt16(freq, (frames * FRAME_SAMPLES) / SAMPLE_RATE, SAMPLE_RATE, -12);
  const out: Uint8Array[] = [];
  for (let f = 0; f < frames; f++)
    out.push(enc.encode(pcm.subarray(f * FRAME_SAMPLES, f * FRAME_SAMPLES + FRAME_SAMPLES)));
  return out;
}

function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

describe('Opus (libopus wasm, our wrapper)', () => {
  it('round-trips a 1 kHz tone at its frequency and level', () => {
    const enc = new OpusEncoder(opus);
    const dec = new OpusDecoder(opus);
    const packets = encodeTone(enc, 1000, 100);
    expect(packets.every((p) => p.length > 10 && p.length < 200)).toBe(true);
    const pcm = concat(packets.map((p) => dec.decode(p))).subarray(FRAME_SAMPLES * 10); // past the codec's start-up
    expect(Math.abs(dominantFrequency(pcm, SAMPLE_RATE) - 1000)).toBeLessThan(2);
    const sourceRms = rmsDbfs(toneInt16(1000, 1, SAMPLE_RATE, -12));
    expect(Math.abs(rmsDbfs(pcm) - sourceRms)).toBeLessThan(1);
    enc.destroy();
    dec.destroy();
  });

  it('conceals exactly one frame, and recovers a lost frame from the next packet’s FEC', () => {
    const enc = new OpusEncoder(opus, { packetLossPerc: 20 });
    const dec = new OpusDecoder(opus);
    const packets = encodeTone(enc, 600, 60);
    for (let i = 0; i <= 30; i++) dec.decode(packets[i]!);
    const fec = dec.decodeFec(packets[32]!, FRAME_SAMPLES); // frame 31 lost, recovered from 32's FEC data
    expect(fec.length).toBe(FRAME_SAMPLES);
    const source = rmsDbfs(toneInt16(600, 0.02, SAMPLE_RATE, -12));
    expect(rmsDbfs(fec)).toBeGreaterThan(source - 10);
    expect(
      Math.abs(
        dominantFrequency(concat([fec, dec.decode(packets[32]!), dec.decode(packets[33]!)]), SAMPLE_RATE) -
          600,
      ),
    ).toBeLessThan(25);
    const plc = dec.conceal(FRAME_SAMPLES); // frame 34 lost with nothing after it
    expect(plc.length).toBe(FRAME_SAMPLES);
    expect(rmsDbfs(plc)).toBeGreaterThan(source - 10);
    expect(dec.stats).toMatchObject({ decoded: 33, concealed: 1, recoveredByFec: 1, corrupt: 0 });
  });

  it('turns garbage into one concealed frame instead of throwing', () => {
    const dec = new OpusDecoder(opus);
    expect(dec.decode(Uint8Array.of(0xff, 0xff, 0xff, 0x01, 0x02)).length).toBe(FRAME_SAMPLES);
    expect(dec.decode(new Uint8Array(0)).length).toBe(FRAME_SAMPLES);
    expect(dec.decode(new Uint8Array(5000)).length).toBe(FRAME_SAMPLES);
    expect(dec.stats.corrupt).toBe(3);
  });
});
