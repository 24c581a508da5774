/**
 * The Receiver's priority ducking, speaking detection and per-user volume
 * over time, in simulated time with real Opus: two speakers (a 440 Hz
 * priority speaker and a 1 kHz one), their packets every 20 ms.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AudioFlag, FRAME_SAMPLES, SAMPLE_RATE } from '@parley/protocol';
import { rmsDbfs } from '../audio/analysis.js';
import { encodeTone, FakeAudioSource, member } from '../../../../test/helpers/sdk.js';
import { loadOpusNode } from '../audio/opus-node.js';
import type { OpusModule } from '../audio/opus.js';
import { Listener } from './listener.js';
import { Receiver } from './receiver.js';

let opus: OpusModule;
beforeAll(async () => {
  opus = await loadOpusNode();
});

/** Amplitude (dBFS of the sine's RMS) of `hz` in `x`, by projection on that frequency. */
function toneDb(x: Int16Array, hz: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < x.length; i++) {
    const w = (2 * Math.PI * hz * i) / SAMPLE_RATE;
    re += x[i]! * Math.cos(w);
    im += x[i]! * Math.sin(w);
  }
  const amp = (2 * Math.hypot(re, im)) / x.length / 32768;
  return 20 * Math.log10(amp / Math.SQRT2 + 1e-12);
}

interface Sim {
  /** Ticks (20 ms) in which each ssrc sends its next packet. */
  speaks: (ssrc: number, tick: number) => boolean;
  ticks: number;
}

/** Runs the receiver over simulated time; returns the mix and the speaking events. */
function simulate(rx: Receiver, sim: Sim, tones: Record<number, Uint8Array[]>): Int16Array {
  const out = new Int16Array(sim.ticks * FRAME_SAMPLES);
  const seq: Record<number, number> = {};
  for (let t = 0; t < sim.ticks; t++) {
    const now = t * 20;
    for (const key of Object.keys(tones)) {
      const ssrc = Number(key);
      if (!sim.speaks(ssrc, t)) continue;
      const i = (seq[ssrc] = (seq[ssrc] ?? -1) + 1);
      rx.push({
        ssrc,
        extSeq: i,
        timestamp: t * FRAME_SAMPLES,
        payload: tones[ssrc]![i % tones[ssrc]!.length]!,
        arrivalMs: now,
      });
    }
    out.set(rx.pull(now), t * FRAME_SAMPLES);
  }
  return out;
}

const at = (x: Int16Array, fromMs: number, toMs: number): Int16Array =>
  x.subarray((fromMs * SAMPLE_RATE) / 1000, (toMs * SAMPLE_RATE) / 1000);

describe('Receiver: priority speaker ducking', () => {
  it('attenuates the others by 12 dB while the priority speaker is heard, and restores them after', () => {
    const events: [number, boolean][] = [];
    const rx = new Receiver(opus, { onSpeaking: (ssrc, on) => events.push([ssrc, on]) });
    rx.setPriority(1, true);
    const tones = { 1: encodeTone(opus, 440, 50), 2: encodeTone(opus, 1000, 50) };
    // ssrc 2 talks for 3 s; the priority speaker (1) from 1 s to 2 s.
    const x = simulate(rx, { ticks: 150, speaks: (s, t) => (s === 2 ? true : t >= 50 && t < 100) }, tones);
    const before = toneDb(at(x, 500, 1000), 1000);
    const during = toneDb(at(x, 1300, 1900), 1000);
    const after = toneDb(at(x, 2500, 2900), 1000);
    expect(before).toBeGreaterThan(-17);
    expect(during - before).toBeGreaterThan(-13);
    expect(during - before).toBeLessThan(-11);
    expect(Math.abs(after - before)).toBeLessThan(0.5);
    // The priority speaker itself is not ducked.
    expect(Math.abs(toneDb(at(x, 1300, 1900), 440) - before)).toBeLessThan(1);
    expect(rx.stats().duckedFrames).toBeGreaterThan(45);
    expect(events).toContainEqual([1, true]);
    expect(events).toContainEqual([1, false]);
    rx.close();
  });

  it('the duck fades in over one frame instead of stepping (no click)', () => {
    const rx = new Receiver(opus);
    rx.setPriority(1, true);
    const tones = { 1: encodeTone(opus, 440, 50), 2: encodeTone(opus, 1000, 50) };
    const x = simulate(rx, { ticks: 60, speaks: (s, t) => s === 2 || t >= 40 }, tones);
    // Find the frame where the ducking started: the largest sample-to-sample step stays small.
    let maxStep = 0;
    for (let i = 1; i < x.length; i++) maxStep = Math.max(maxStep, Math.abs(x[i]! - x[i - 1]!));
    // Two tones at −12 dBFS: 440 Hz moves ≤ 0.058·A per sample, 1 kHz ≤ 0.13·A; a step in gain would add ~0.75·A.
    expect(maxStep).toBeLessThan(0.25 * 32768 * 10 ** (-12 / 20) * 2);
    rx.close();
  });

  it('a speaker that is not a priority speaker ducks nobody; setPriority(false) lifts it', () => {
    const rx = new Receiver(opus);
    rx.setPriority(1, true);
    rx.setPriority(1, false);
    const tones = { 1: encodeTone(opus, 440, 50), 2: encodeTone(opus, 1000, 50) };
    const x = simulate(rx, { ticks: 100, speaks: () => true }, tones);
    expect(rx.stats().duckedFrames).toBe(0);
    expect(Math.abs(toneDb(at(x, 500, 1900), 1000) - toneDb(at(x, 500, 1900), 440))).toBeLessThan(1);
    rx.close();
  });

  it('Listener takes prioritySpeaker from the members', () => {
    const client = new FakeAudioSource();
    client.members.set(1, { ...member(1, 'boss', 3), prioritySpeaker: true });
    client.members.set(2, member(2, 'bob'));
    const l = new Listener(client, { opus });
    const tones = { 1: encodeTone(opus, 440, 50), 2: encodeTone(opus, 1000, 50) };
    simulate(l.receiver, { ticks: 50, speaks: () => true }, tones);
    expect(l.receiver.stats().duckedFrames).toBeGreaterThan(40);
    l.close();
  });
});

describe('Receiver: per-user volume over silence', () => {
  it('volume 0 silences one speaker only, and stays 0 after 10 s of silence (stream retired and back)', () => {
    const rx = new Receiver(opus, { idleMs: 5000 });
    rx.setVolume(1, 0);
    const tones = { 1: encodeTone(opus, 440, 50), 2: encodeTone(opus, 1000, 50) };
    // ssrc 1 talks 1 s, is silent 10 s, talks 1 s; ssrc 2 talks the whole time.
    const ticks = 600;
    const x = simulate(rx, { ticks, speaks: (s, t) => s === 2 || t < 50 || t >= 550 }, tones);
    expect(toneDb(at(x, 200, 900), 440)).toBeLessThan(-60);
    expect(toneDb(at(x, 200, 900), 1000)).toBeGreaterThan(-17);
    expect(rx.levelOf(1)).toBe(-Infinity);
    expect(toneDb(at(x, 11_300, 11_900), 440)).toBeLessThan(-60);
    expect(toneDb(at(x, 11_300, 11_900), 1000)).toBeGreaterThan(-17);
    expect(rx.stats().streams).toBe(2); // ssrc 1 came back as a new stream: the volume outlived it
    expect(rx.volumeOf(1)).toBe(0);
    rx.close();
  });
});

describe('Receiver: the end of a talk spurt (TALK_END)', () => {
  function spurt(endFlag: boolean): Int16Array {
    const rx = new Receiver(opus);
    const pkts = encodeTone(opus, 440, 25);
    const out = new Int16Array(40 * FRAME_SAMPLES);
    for (let t = 0; t < 40; t++) {
      if (t < 25)
        rx.push({
          ssrc: 5,
          extSeq: t,
          timestamp: t * FRAME_SAMPLES,
          payload: pkts[t]!,
          arrivalMs: t * 20,
          flags: endFlag && t === 24 ? AudioFlag.TalkEnd : 0,
        });
      out.set(rx.pull(t * 20), t * FRAME_SAMPLES);
    }
    rx.close();
    return out;
  }

  it('plays no concealment after a TALK_END: the audio stops with the last frame', () => {
    const withEnd = spurt(true);
    const without = spurt(false);
    // Where the last real frame ends: the same in both (same packets, same timing).
    let last = 0;
    for (let i = 0; i < withEnd.length; i++) if (withEnd[i] !== 0) last = i;
    const lastFrameEnd = Math.ceil((last + 1) / FRAME_SAMPLES) * FRAME_SAMPLES;
    expect(rmsDbfs(withEnd.subarray(lastFrameEnd))).toBe(-200);
    // Without the flag, the receiver conceals what it takes for a lost packet: a tail of tone.
    expect(rmsDbfs(without.subarray(lastFrameEnd, lastFrameEnd + FRAME_SAMPLES))).toBeGreaterThan(-40);
  });
});
