import { beforeAll, describe, expect, it } from 'vitest';
import { loadOpusNode } from '../audio/opus-node.js';
import { OpusEncoder, type OpusModule } from '../audio/opus.js';
import { dominantFrequency, longestGapMs, rmsDbfs, toneInt16 } from '../audio/analysis.js';
import { mulberry32 } from './impair.js';
import { Receiver } from './receiver.js';

let opus: OpusModule;
beforeAll(async () => {
  opus = await loadOpusNode();
});

function encode(freq: number, frames: number): Uint8Array[] {
  const enc = new OpusEncoder(opus);
  const pcm = toneInt16(freq, (frames * 960) / 48000, 48000, -12);
  const out = Array.from({ length: frames }, (_, f) => enc.encode(pcm.subarray(f * 960, f * 960 + 960)));
  enc.destroy();
  return out;
}

/** Delivers packets with loss/reordering in simulated time and pulls every 20 ms. */
function play(
  rx: Receiver,
  streams: { ssrc: number; packets: Uint8Array[] }[],
  loss: number,
  seed = 1,
): Int16Array {
  const rand = mulberry32(seed);
  const arrivals: { at: number; ssrc: number; seq: number; pkt: Uint8Array }[] = [];
  for (const s of streams) {
    s.packets.forEach((pkt, seq) => {
      if (rand() < loss) return;
      arrivals.push({ at: seq * 20 + rand() * 30, ssrc: s.ssrc, seq, pkt }); // up to 30 ms of jitter: reorders
    });
  }
  arrivals.sort((a, b) => a.at - b.at);
  const frames = streams[0]!.packets.length + 20;
  const out = new Int16Array(frames * 960);
  let k = 0;
  for (let tick = 0; tick < frames; tick++) {
    const now = tick * 20;
    while (k < arrivals.length && arrivals[k]!.at <= now) {
      const a = arrivals[k++]!;
      rx.push(a.ssrc, 1000 + a.seq, a.seq * 960, a.pkt, a.at);
    }
    out.set(rx.pull(now), tick * 960);
  }
  return out;
}

describe('Receiver', () => {
  it('plays a tone continuously through 5 % loss and reordering (FEC + concealment)', () => {
    const rx = new Receiver(opus);
    const out = play(rx, [{ ssrc: 7, packets: encode(1000, 250) }], 0.05);
    const steady = out.subarray(48000 * 0.5, 48000 * 4.5);
    expect(Math.abs(dominantFrequency(steady, 48000) - 1000)).toBeLessThan(10);
    expect(longestGapMs(steady, 48000)).toBeLessThan(40);
    const s = rx.stats();
    expect(s.lost + s.late).toBeGreaterThan(3);
    expect(s.recoveredByFec + s.concealed).toBeGreaterThan(3);
  });

  it('mixes two speakers, and a volume of 0 removes one', () => {
    const a = encode(500, 100);
    const b = encode(1500, 100);
    const both = play(
      new Receiver(opus),
      [
        { ssrc: 1, packets: a },
        { ssrc: 2, packets: b },
      ],
      0,
    ).subarray(48000 * 0.5, 48000 * 1.5);
    const energyAt = (x: Int16Array, f: number): number => {
      let re = 0;
      let im = 0;
      for (let i = 0; i < x.length; i++) {
        re += x[i]! * Math.cos((2 * Math.PI * f * i) / 48000);
        im += x[i]! * Math.sin((2 * Math.PI * f * i) / 48000);
      }
      return Math.hypot(re, im) / x.length;
    };
    expect(energyAt(both, 500)).toBeGreaterThan(1000);
    expect(energyAt(both, 1500)).toBeGreaterThan(1000);
    const rx = new Receiver(opus);
    rx.setVolume(2, 0);
    const onlyA = play(
      rx,
      [
        { ssrc: 1, packets: a },
        { ssrc: 2, packets: b },
      ],
      0,
    ).subarray(48000 * 0.5, 48000 * 1.5);
    expect(Math.abs(dominantFrequency(onlyA, 48000) - 500)).toBeLessThan(5);
    expect(energyAt(onlyA, 1500)).toBeLessThan(energyAt(both, 1500) / 100);
  });

  it('is silent when nobody speaks, and bounds the number of streams', () => {
    const rx = new Receiver(opus, { maxStreams: 2 });
    expect(rx.pull(0).every((s) => s === 0)).toBe(true);
    const pkt = encode(440, 1)[0]!;
    for (let ssrc = 1; ssrc <= 5; ssrc++) rx.push(ssrc, 0, 0, pkt, 0);
    expect(rx.stats()).toMatchObject({ streams: 2, ignoredStreams: 3 });
    expect(rmsDbfs(rx.pull(1000))).toBeGreaterThan(-200);
  });
});
