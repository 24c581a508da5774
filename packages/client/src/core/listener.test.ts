import { beforeAll, describe, expect, it } from 'vitest';
import { FRAME_SAMPLES, SAMPLE_RATE, type ReportMessage } from '@parley/protocol';
import { encodeTone, FakeAudioSource, member } from '../../../../test/helpers/sdk.js';
import { loadOpusNode } from '../audio/opus-node.js';
import type { OpusModule } from '../audio/opus.js';
import { dominantFrequency, rmsDbfs } from '../audio/analysis.js';
import { Listener } from './listener.js';

let opus: OpusModule;
beforeAll(async () => {
  opus = await loadOpusNode();
});

/** Timers under the test's control: `advance(ms)` runs what is due, in order. */
class ManualClock {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  readonly deps = {
    now: (): number => this.t,
    setTimeout: (fn: () => void, ms: number): unknown => {
      const id = this.next++;
      this.timers.set(id, { at: this.t + ms, fn });
      return id;
    },
    clearTimeout: (h: unknown): void => void this.timers.delete(h as number),
  };
  get pending(): number {
    return this.timers.size;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!first || e[1].at < first[1].at)) first = e;
      if (!first) break;
      this.timers.delete(first[0]);
      this.t = first[1].at;
      first[1].fn();
    }
    this.t = end;
  }
}

/** Two speakers (440 Hz and 1 kHz), one packet each per 20 ms of the manual clock, into a Listener. */
function run(setup: (l: Listener, c: FakeAudioSource) => void, seconds = 2) {
  const client = new FakeAudioSource();
  client.members.set(11, member(11, 'ana', 5));
  client.members.set(22, member(22, 'bob', null));
  const clock = new ManualClock();
  const out: number[] = [];
  const listener = new Listener(client, {
    opus,
    output: (frame) => out.push(...frame),
    clock: clock.deps,
  });
  setup(listener, client);
  const n = seconds * 50;
  const a = encodeTone(opus, 440, n);
  const b = encodeTone(opus, 1000, n);
  listener.start();
  for (let i = 0; i < n; i++) {
    for (const [ssrc, pkts] of [
      [11, a],
      [22, b],
    ] as const)
      for (const fn of client.audio)
        fn({
          ssrc,
          extSeq: i,
          timestamp: i * FRAME_SAMPLES,
          flags: 0,
          payload: pkts[i]!,
          arrivalMs: clock.t,
        });
    clock.advance(20);
  }
  return { listener, client, clock, pcm: Int16Array.from(out) };
}

describe('Listener (client + receiver + clock + output)', () => {
  it('writes one mixed frame per tick: both speakers are heard', () => {
    const { listener, pcm } = run(() => undefined);
    expect(pcm.length).toBe(listener.position);
    expect(pcm.length).toBeGreaterThanOrEqual(99 * FRAME_SAMPLES);
    const steady = pcm.subarray(SAMPLE_RATE * 0.5, SAMPLE_RATE * 1.5);
    expect(rmsDbfs(steady)).toBeGreaterThan(-20);
    listener.close();
  });

  it("a user's volume follows the user, not the ssrc: local mute of bob leaves only ana's 440 Hz", () => {
    const { listener, pcm } = run((l) => l.setUserVolume({ userId: null, name: 'bob' }, 0));
    const steady = pcm.subarray(SAMPLE_RATE * 0.5, SAMPLE_RATE * 1.5);
    expect(Math.abs(dominantFrequency(steady, SAMPLE_RATE) - 440)).toBeLessThan(5);
    expect(listener.volumes.get('guest:bob')).toBe(0);
    listener.close();
  });

  it('applies a remembered volume to a user who comes back with a new ssrc', () => {
    const { listener, pcm } = run((l, c) => {
      l.setUserVolume({ userId: 5, name: 'ana' }, 0);
      // ana leaves and comes back as ssrc 33, then speaks from it
      c.members.delete(11);
      const back = member(33, 'ana', 5);
      c.members.set(33, back);
      c.emit({
        type: 'presence',
        channelId: 1,
        count: 3,
        joined: [back],
        changed: [],
        left: [11],
        more: false,
      });
    });
    expect(listener.receiver.volumeOf(33)).toBe(0);
    // ssrc 11 (no member any more) still plays at its old gain (0): only bob's 1 kHz
    const steady = pcm.subarray(SAMPLE_RATE * 0.5, SAMPLE_RATE * 1.5);
    expect(Math.abs(dominantFrequency(steady, SAMPLE_RATE) - 1000)).toBeLessThan(10);
    listener.close();
  });

  it('record(seconds, sink) delivers exactly that many samples of the mix, then stops its clock', async () => {
    const client = new FakeAudioSource();
    const clock = new ManualClock();
    const listener = new Listener(client, { opus, clock: clock.deps });
    expect(() => listener.start()).toThrow(RangeError); // no output to start into
    let samples = 0;
    const done = listener.record(0.25, (frame) => (samples += frame.length));
    clock.advance(1000);
    expect(await done).toBe(12_000);
    expect(samples).toBe(12_000);
    expect(clock.pending).toBe(0);
    listener.close();
  });

  it('close() leaves no timer and no listener on the client, and is idempotent', () => {
    const { listener, client, clock } = run(() => undefined, 1);
    expect(clock.pending).toBe(1);
    listener.close();
    listener.close();
    expect(clock.pending).toBe(0);
    expect(client.audio.size).toBe(0);
    expect(client.events.size).toBe(0);
    listener.start(); // no effect once closed
    expect(clock.pending).toBe(0);
  });

  it('sends a receiver report every 5 s about the speakers heard (with the RTT), and none after close()', () => {
    const reports: ReportMessage[] = [];
    const client = Object.assign(new FakeAudioSource(), {
      rttMs: 12,
      sendReport: (r: Omit<ReportMessage, 'type' | 'ref'>) => reports.push({ type: 'report', ...r }),
    });
    const clock = new ManualClock();
    const listener = new Listener(client, { opus, output: () => undefined, clock: clock.deps });
    listener.start();
    const tone = encodeTone(opus, 440, 300);
    for (let i = 0; i < 300; i++) {
      // Every tenth packet is lost.
      if (i % 10 !== 5)
        client.push({
          ssrc: 11,
          extSeq: i,
          timestamp: i * FRAME_SAMPLES,
          flags: 0,
          payload: tone[i]!,
          arrivalMs: clock.t,
        });
      clock.advance(20);
    }
    // 6 s: one report, at 5 s, about the one speaker.
    expect(reports).toHaveLength(1);
    const r = reports[0]!;
    expect(r).toMatchObject({ intervalMs: 5000, rttMs: 12 });
    expect(r.streams).toHaveLength(1);
    const s = r.streams[0]!;
    expect(s.ssrc).toBe(11);
    expect(s.expected).toBeGreaterThan(230);
    expect(s.lost / s.expected).toBeCloseTo(0.1, 1);
    listener.close();
    clock.advance(10_000);
    expect(reports).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });
});
