import { beforeAll, describe, expect, it } from 'vitest';
import { loadOpusNode } from '../audio/opus-node.js';
import type { OpusModule } from '../audio/opus.js';
import { encodeTone, member } from '../../../../test/helpers/sdk.js';
import { dominantFrequency, longestGapMs, rmsDbfs } from '../audio/analysis.js';
import { mulberry32 } from './impair.js';
import { Receiver } from './receiver.js';
import { UserVolumes, userKey } from './user-volumes.js';
import {
  AudioFlag,
  FRAME_SAMPLES,
  packRedundant,
  REDUNDANT_FLAG,
  SAMPLE_RATE,
  SAMPLES_PER_MS,
  type Member,
} from '@parley/protocol';

let opus: OpusModule;
beforeAll(async () => {
  opus = await loadOpusNode();
});

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
  const out = new Int16Array(frames * FRAME_SAMPLES);
  let k = 0;
  for (let tick = 0; tick < frames; tick++) {
    const now = tick * 20;
    while (k < arrivals.length && arrivals[k]!.at <= now) {
      const a = arrivals[k++]!;
      rx.push({
        ssrc: a.ssrc,
        extSeq: 1000 + a.seq,
        timestamp: a.seq * FRAME_SAMPLES,
        payload: a.pkt,
        arrivalMs: a.at,
      });
    }
    out.set(rx.pull(now), tick * FRAME_SAMPLES);
  }
  return out;
}

describe('Receiver', () => {
  it('plays a tone continuously through 5 % loss and reordering (FEC + concealment)', () => {
    const rx = new Receiver(opus);
    const out = play(rx, [{ ssrc: 7, packets: encodeTone(opus, 1000, 250) }], 0.05);
    const steady = out.subarray(SAMPLE_RATE * 0.5, SAMPLE_RATE * 4.5);
    expect(Math.abs(dominantFrequency(steady, SAMPLE_RATE) - 1000)).toBeLessThan(10);
    expect(longestGapMs(steady, SAMPLE_RATE)).toBeLessThan(40);
    const s = rx.stats();
    expect(s.lost + s.late).toBeGreaterThan(3);
    expect(s.recoveredByFec + s.concealed).toBeGreaterThan(3);
  });

  it('mixes two speakers, and a volume of 0 removes one', () => {
    const a = encodeTone(opus, 500, 100);
    const b = encodeTone(opus, 1500, 100);
    const both = play(
      new Receiver(opus),
      [
        { ssrc: 1, packets: a },
        { ssrc: 2, packets: b },
      ],
      0,
    ).subarray(SAMPLE_RATE * 0.5, SAMPLE_RATE * 1.5);
    const energyAt = (x: Int16Array, f: number): number => {
      let re = 0;
      let im = 0;
      for (let i = 0; i < x.length; i++) {
        re += x[i]! * Math.cos((2 * Math.PI * f * i) / SAMPLE_RATE);
        im += x[i]! * Math.sin((2 * Math.PI * f * i) / SAMPLE_RATE);
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
    ).subarray(SAMPLE_RATE * 0.5, SAMPLE_RATE * 1.5);
    expect(Math.abs(dominantFrequency(onlyA, SAMPLE_RATE) - 500)).toBeLessThan(5);
    expect(energyAt(onlyA, 1500)).toBeLessThan(energyAt(both, 1500) / 100);
  });

  it('is silent when nobody speaks, and bounds the number of streams', () => {
    const rx = new Receiver(opus, { maxStreams: 2 });
    expect(rx.pull(0).every((s) => s === 0)).toBe(true);
    const pkt = encodeTone(opus, 440, 1)[0]!;
    for (let ssrc = 1; ssrc <= 5; ssrc++)
      rx.push({ ssrc, extSeq: 0, timestamp: 0, payload: pkt, arrivalMs: 0 });
    expect(rx.stats()).toMatchObject({ streams: 2, ignoredStreams: 3 });
    expect(rmsDbfs(rx.pull(1000))).toBeGreaterThan(-200);
  });

  /** Packets of one talk spurt: `packets` from extended sequence `seq0`, the first arriving at `t0` ms. */
  const spurt = (ssrc: number, packets: Uint8Array[], seq0: number, t0: number): Arrival[] =>
    packets.map((pkt, k) => ({ at: t0 + k * 20, ssrc, seq: seq0 + k, pkt }));

  it('keeps a speaker muted after the stream goes idle and is retired', () => {
    const rx = new Receiver(opus, { idleMs: 5000 });
    rx.setVolume(2, 0);
    const tone = encodeTone(opus, 1500, 50);
    const second = 1000 + 6000; // after more than idleMs of silence
    const out = run(rx, [...spurt(2, tone, 0, 0), ...spurt(2, tone, 50, second)], second + 1500, (now) => {
      // The silence in between retired the stream.
      if (now === second - 20) expect(rx.stats().streams).toBe(0);
    });
    expect(rmsDbfs(out.subarray(0, SAMPLES_PER_MS * (second + 1500)))).toBe(-200);
    expect(rx.volumeOf(2)).toBe(0);
    // The same stream at volume 1 is loud in both spurts: the mute is what silenced it.
    const loud = run(
      new Receiver(opus),
      [...spurt(2, tone, 0, 0), ...spurt(2, tone, 50, second)],
      second + 1500,
    );
    expect(
      rmsDbfs(loud.subarray(SAMPLES_PER_MS * (second + 200), SAMPLES_PER_MS * (second + 900))),
    ).toBeGreaterThan(-18);
  });

  it('keeps a user’s volume when they come back with a new ssrc (UserVolumes)', () => {
    const ann = (ssrc: number): Member => member(ssrc, 'ann', 7);
    const tone = encodeTone(opus, 1000, 50);
    const unity = run(new Receiver(opus), spurt(10, tone, 0, 0), 1500).subarray(
      SAMPLES_PER_MS * 200,
      SAMPLES_PER_MS * 900,
    );
    const volumes = new UserVolumes();
    volumes.set(userKey(ann(10)), 0.25); // −12 dB
    expect(volumes.get('user:7')).toBe(0.25);
    const rx = new Receiver(opus);
    volumes.applyTo(rx, [ann(10)]); // joined: ann is ssrc 10
    const back = 8000;
    const out = run(rx, [...spurt(10, tone, 0, 0), ...spurt(11, tone, 0, back)], back + 1500, (now) => {
      if (now === back - 100) volumes.applyTo(rx, [ann(11)]); // she left and came back as ssrc 11
    });
    const first = out.subarray(SAMPLES_PER_MS * 200, SAMPLES_PER_MS * 900);
    const again = out.subarray(SAMPLES_PER_MS * (back + 200), SAMPLES_PER_MS * (back + 900));
    expect(rmsDbfs(first) - rmsDbfs(unity)).toBeCloseTo(-12.04, 1);
    expect(rmsDbfs(again) - rmsDbfs(unity)).toBeCloseTo(-12.04, 1);
    expect(Math.abs(dominantFrequency(again, SAMPLE_RATE) - 1000)).toBeLessThan(5);
    expect(volumes.gainOfSsrc(11, [ann(11)])).toBe(0.25);
  });

  it('bounds the volumes it remembers: the oldest set go first', () => {
    const rx = new Receiver(opus, { maxVolumes: 4 });
    for (let ssrc = 1; ssrc <= 6; ssrc++) rx.setVolume(ssrc, 0.5);
    expect([1, 2, 3, 4, 5, 6].map((s) => rx.volumeOf(s))).toEqual([1, 1, 0.5, 0.5, 0.5, 0.5]);
    const volumes = new UserVolumes({ maxUsers: 2 });
    for (const k of ['user:1', 'user:2', 'guest:x']) volumes.set(k, 0);
    expect(volumes.size).toBe(2);
    expect(['user:1', 'user:2', 'guest:x'].map((k) => volumes.get(k))).toEqual([1, 0, 0]);
    expect(() => volumes.set('user:1', -1)).toThrow(RangeError);
    expect(() => rx.setVolume(1, -1)).toThrow(RangeError);
    expect(() => rx.setVolume(1, Number.NaN)).toThrow(RangeError);
  });
});

interface Arrival {
  at: number;
  ssrc: number;
  seq: number;
  pkt: Uint8Array;
}

/** Delivers `arrivals` at their times and pulls every 20 ms for `durationMs`; `onTick` runs before each pull. */
function run(
  rx: Receiver,
  arrivals: Arrival[],
  durationMs: number,
  onTick?: (nowMs: number) => void,
): Int16Array {
  const sorted = [...arrivals].sort((a, b) => a.at - b.at);
  const ticks = Math.ceil(durationMs / 20);
  const out = new Int16Array(ticks * FRAME_SAMPLES);
  let k = 0;
  for (let tick = 0; tick < ticks; tick++) {
    const now = tick * 20;
    while (k < sorted.length && sorted[k]!.at <= now) {
      const a = sorted[k++]!;
      rx.push({
        ssrc: a.ssrc,
        extSeq: a.seq,
        timestamp: a.seq * FRAME_SAMPLES,
        payload: a.pkt,
        arrivalMs: a.at,
      });
    }
    onTick?.(now);
    out.set(rx.pull(now), tick * FRAME_SAMPLES);
  }
  return out;
}

describe('Receiver: redundancy and receiver reports', () => {
  /** Packet i carries frames i−2 and i−1 before its own (docs/protocol.md, "Redundancy"). */
  function withRedundancy(frames: Uint8Array[]): Uint8Array[] {
    return frames.map((f, i) => {
      const blocks = [2, 1]
        .filter((back) => i - back >= 0)
        .map((back) => ({ back, frame: frames[i - back]! }));
      return blocks.length === 0 ? f : packRedundant(blocks, f);
    });
  }

  /** Plays `packets` losing bursts of two every 25 packets (after the first 25); returns the output. */
  function playBursts(
    rx: Receiver,
    packets: Uint8Array[],
    redundant: boolean,
  ): { out: Int16Array; dropped: number } {
    const frames = packets.length + 10;
    const out = new Int16Array(frames * FRAME_SAMPLES);
    let dropped = 0;
    for (let tick = 0; tick < frames; tick++) {
      const i = tick;
      if (i < packets.length) {
        const lostHere = i >= 25 && i % 25 < 2;
        if (lostHere) dropped++;
        else
          rx.push({
            ssrc: 7,
            // The last packet ends the spurt: no concealment after it.
            flags:
              (redundant && i > 0 ? REDUNDANT_FLAG : 0) | (i === packets.length - 1 ? AudioFlag.TalkEnd : 0),
            extSeq: 1000 + i,
            timestamp: i * FRAME_SAMPLES,
            payload: packets[i]!,
            arrivalMs: i * 20,
          });
      }
      out.set(rx.pull(tick * 20), tick * FRAME_SAMPLES);
    }
    return { out, dropped };
  }

  it('fills bursts of two lost packets from the next packet’s copies: no gap, nothing concealed', () => {
    const tone = encodeTone(opus, 1000, 250);
    const rx = new Receiver(opus);
    const { out, dropped } = playBursts(rx, withRedundancy(tone), true);
    const steady = out.subarray(SAMPLE_RATE * 0.3, SAMPLE_RATE * 4.8);
    expect(Math.abs(dominantFrequency(steady, SAMPLE_RATE) - 1000)).toBeLessThan(10);
    expect(longestGapMs(steady, SAMPLE_RATE)).toBeLessThan(20);
    const s = rx.stats();
    expect(dropped).toBe(18);
    expect(s.filled).toBe(dropped);
    expect(s.lost).toBe(0);
    expect(s.concealed).toBe(0);

    // The same bursts without redundancy: every dropped frame is lost (FEC or concealment stands in).
    const plain = new Receiver(opus);
    playBursts(plain, tone, false);
    expect(plain.stats().lost).toBe(dropped);
    expect(plain.stats().filled).toBe(0);
    rx.close();
    plain.close();
  });

  it('drops a packet whose redundancy breaks the layout, counted, and plays the rest', () => {
    const tone = encodeTone(opus, 1000, 20);
    const rx = new Receiver(opus);
    rx.push({
      ssrc: 7,
      flags: REDUNDANT_FLAG,
      extSeq: 1,
      timestamp: 0,
      payload: Uint8Array.of(3, 1, 0, 1),
      arrivalMs: 0,
    });
    rx.push({ ssrc: 7, extSeq: 2, timestamp: FRAME_SAMPLES, payload: tone[1]!, arrivalMs: 20 });
    expect(rx.stats()).toMatchObject({ badRedundancy: 1, received: 1 });
    rx.close();
  });

  it('reports each speaker’s interval: expected, lost, recovered by redundancy, jitter and delay; nothing twice', () => {
    const tone = encodeTone(opus, 1000, 250);
    const rx = new Receiver(opus);
    const { dropped } = playBursts(rx, withRedundancy(tone), true);
    const [r, ...rest] = rx.reportStreams();
    expect(rest).toEqual([]);
    expect(r).toMatchObject({
      ssrc: 7,
      expected: 250,
      lost: 0,
      late: 0,
      recoveredRed: dropped,
      dropped: 0,
    });
    // Time-scaling is counted as the receiver decided it (the same totals as its stats).
    expect(r!.accelerated + r!.stretched).toBe(rx.stats().accelerated + rx.stats().stretched);
    expect(r!.delayMs).toBeGreaterThan(0);
    expect(r!.jitterMs).toBeGreaterThanOrEqual(0);
    // The next interval: nothing new from this speaker.
    expect(rx.reportStreams()).toEqual([]);
    rx.close();
  });

  it('reports the packets its jitter buffer threw away as dropped (a duplicate here)', () => {
    const tone = encodeTone(opus, 1000, 3);
    const rx = new Receiver(opus);
    for (const [seq, at] of [
      [0, 0],
      [1, 20],
      [1, 21],
      [2, 40],
    ] as const)
      rx.push({ ssrc: 9, extSeq: seq, timestamp: seq * FRAME_SAMPLES, payload: tone[seq]!, arrivalMs: at });
    for (let t = 0; t <= 100; t += 20) rx.pull(t);
    expect(rx.reportStreams()).toMatchObject([{ ssrc: 9, dropped: 1, expected: 3, lost: 0 }]);
    rx.close();
  });
});
