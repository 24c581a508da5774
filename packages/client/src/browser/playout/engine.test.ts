/**
 * The playout worklet's engine in Node, as the worklet runs it: packets
 * posted as they "arrive" on the context's clock, one render quantum at a
 * time, and what it tells the main thread (status, speaking, tap, report).
 * Checked on the audio itself (frequency, level, silence) and on the
 * messages.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AudioFlag, FRAME_SAMPLES } from '@parley/protocol';
import { dominantFrequency, rmsDbfs } from '../../audio/analysis.js';
import { loadOpusNode } from '../../audio/opus-node.js';
import type { OpusModule } from '../../audio/opus.js';
import { encodeTone } from '../../../../../test/helpers/sdk.js';
import { PlayoutEngine, RENDER_QUANTUM, type PlayoutEngineOptions } from './engine.js';
import type { FromPlayout, StatusMessage, ToPlayout } from './messages.js';
import { TRACE_EVENTS } from '../../core/trace.js';

let opus: OpusModule;
let tone: Uint8Array[];
beforeAll(async () => {
  opus = await loadOpusNode();
  tone = encodeTone(opus, 440, 100); // 2 s at −12 dBFS peak
});

const SSRC = 7;
/** A sine at −12 dBFS peak, as RMS. */
const RMS = -15;

interface Sim {
  engine: PlayoutEngine;
  sent: FromPlayout[];
  /** Renders `ms` of output (in quanta at `rate`), delivering each packet once the clock passes its due time. */
  play(ms: number): Float32Array;
  send(m: ToPlayout): void;
  now(): number;
}

function sim(opts: Partial<PlayoutEngineOptions> = {}, packets = tone, lateMs = 3): Sim {
  const rate = opts.sampleRate ?? 48000;
  const sent: FromPlayout[] = [];
  const engine = new PlayoutEngine(
    opus,
    {
      frameSamples: FRAME_SAMPLES,
      receiver: {},
      statusQuanta: 8,
      statsEvery: 4,
      trace: false,
      maxTraceEvents: 256,
      sampleRate: rate,
      ...opts,
    },
    (m) => sent.push(m),
  );
  let frame = 0;
  let next = 0;
  const now = (): number => (frame / rate) * 1000;
  const send = (m: ToPlayout): void => engine.receive(m, now());
  return {
    engine,
    sent,
    now,
    send,
    play(ms: number): Float32Array {
      const quanta = Math.ceil((ms * rate) / 1000 / RENDER_QUANTUM);
      const out = new Float32Array(quanta * RENDER_QUANTUM);
      for (let q = 0; q < quanta; q++) {
        while (next < packets.length && next * 20 + lateMs <= now()) {
          const last = next === packets.length - 1;
          send({
            t: 'packet',
            ssrc: SSRC,
            extSeq: next,
            timestamp: next * FRAME_SAMPLES,
            flags: last ? AudioFlag.TalkEnd : 0,
            payload: packets[next]!.slice(),
          });
          next++;
        }
        engine.render(out.subarray(q * RENDER_QUANTUM, (q + 1) * RENDER_QUANTUM), frame);
        frame += RENDER_QUANTUM;
      }
      return out;
    },
  };
}

const of = <T extends FromPlayout['t']>(sent: FromPlayout[], t: T): Extract<FromPlayout, { t: T }>[] =>
  sent.filter((m): m is Extract<FromPlayout, { t: T }> => m.t === t);

function levelOf(status: StatusMessage, ssrc: number): number | undefined {
  for (let i = 0; i < status.levels.length; i += 2)
    if (status.levels[i] === ssrc) return status.levels[i + 1];
  return undefined;
}

describe('PlayoutEngine', () => {
  it('plays the packets it is sent: the tone, at its level, pulled once per quantum', () => {
    const s = sim();
    const out = s.play(1500);
    const loud = out.subarray(48000 * 0.2, 48000 * 1.4);
    expect(Math.abs(dominantFrequency(loud, 48000) - 440)).toBeLessThan(3);
    expect(Math.abs(rmsDbfs(loud) - RMS)).toBeLessThan(1.5);
    const status = of(s.sent, 'status');
    // One status per 8 quanta; the output position counts 48 kHz samples pulled.
    expect(status.length).toBe(Math.floor(out.length / RENDER_QUANTUM / 8));
    expect(status.at(-1)!.played).toBe(status.length * 8 * RENDER_QUANTUM);
    expect(levelOf(status.at(-1)!, SSRC)).toBeGreaterThan(RMS - 1.5);
    expect(status.filter((m) => m.stats !== null)).toHaveLength(Math.floor(status.length / 4));
    expect(status.filter((m) => m.stats !== null).at(-1)!.stats).toMatchObject({ streams: 1, lost: 0 });
  });

  it('says when the speaker starts and stops speaking, at once (not with the status)', () => {
    const s = sim();
    s.play(3000); // 2 s of tone, then its TALK_END and silence
    expect(of(s.sent, 'speaking').map((m) => [m.ssrc, m.on])).toEqual([
      [SSRC, true],
      [SSRC, false],
    ]);
    expect(levelOf(of(s.sent, 'status').at(-1)!, SSRC)).toBe(-Infinity);
  });

  it('volume 0 silences that speaker (level −Infinity); deafen plays zeros but keeps the levels', () => {
    const s = sim();
    s.send({ t: 'volume', ssrc: SSRC, gain: 0 });
    const muted = s.play(600);
    expect(muted.every((x) => x === 0)).toBe(true);
    expect(levelOf(of(s.sent, 'status').at(-1)!, SSRC)).toBe(-Infinity);
    s.send({ t: 'volume', ssrc: SSRC, gain: 1 });
    s.send({ t: 'deafen', on: true });
    const deaf = s.play(400);
    expect(deaf.every((x) => x === 0)).toBe(true);
    expect(levelOf(of(s.sent, 'status').at(-1)!, SSRC)).toBeGreaterThan(RMS - 1.5);
    s.send({ t: 'deafen', on: false });
    expect(rmsDbfs(s.play(300).subarray(4800))).toBeGreaterThan(RMS - 1.5);
  });

  it('taps 20 ms frames of what it played, stamped with the clock and the controls handled', () => {
    const s = sim();
    s.play(200); // not tapped yet: 75 quanta, 9600 samples
    s.send({ t: 'tap', on: true }); // control 1
    const out = s.play(400);
    s.send({ t: 'deafen', on: true }); // control 2
    s.play(200);
    const taps = of(s.sent, 'tap');
    expect(taps.length).toBeGreaterThanOrEqual(28);
    for (const t of taps) expect(t.pcm.length).toBe(FRAME_SAMPLES);
    // Contiguous frames, each stamped where it began on the worklet's clock.
    for (let i = 1; i < taps.length; i++) expect(taps[i]!.ctxMs - taps[i - 1]!.ctxMs).toBeCloseTo(20, 6);
    // The first tapped frame is exactly what the output played from there.
    const start = Math.round(taps[0]!.ctxMs * 48) - 9600;
    expect(start).toBe(0);
    const first = Array.from(taps[0]!.pcm.subarray(0, 100), (x) => x / 32768);
    expect(Array.from(out.subarray(start, start + 100))).toEqual(first);
    // Frames begun after the deafen carry its count, and are silent.
    const after = taps.filter((t) => t.ctl >= 2);
    expect(after.length).toBeGreaterThanOrEqual(8);
    for (const t of after) expect(t.pcm.every((x) => x === 0)).toBe(true);
    s.send({ t: 'tap', on: false });
    const n = of(s.sent, 'tap').length;
    s.play(100);
    expect(of(s.sent, 'tap')).toHaveLength(n);
  });

  it('answers a report request with the Receiver report of its streams', () => {
    const s = sim();
    s.play(1000);
    s.send({ t: 'report' });
    const [r] = of(s.sent, 'report');
    expect(r!.streams).toHaveLength(1);
    expect(r!.streams[0]).toMatchObject({ ssrc: SSRC, lost: 0 });
    expect(r!.streams[0]!.expected).toBeGreaterThan(40);
  });

  it('traces arrived, popped, decoded and played on its clock, with the status', () => {
    const s = sim({ trace: true });
    s.play(500);
    const events = of(s.sent, 'status').flatMap((m) => {
      const xs: { ev: string; seq: number; t: number }[] = [];
      const b = m.trace;
      for (let o = 0; b !== null && o < b.length; o += 5)
        xs.push({ ev: TRACE_EVENTS[b[o]!]!, seq: b[o + 2]!, t: b[o + 3]! });
      return xs;
    });
    const arrived = events.find((e) => e.ev === 'arrived' && e.seq === 5)!;
    const played = events.find((e) => e.ev === 'played' && e.seq === 5)!;
    expect(arrived.t).toBeGreaterThanOrEqual(5 * 20 + 3);
    expect(played.t).toBeGreaterThan(arrived.t);
    expect(played.t - arrived.t).toBeLessThan(60);
    expect(new Set(events.map((e) => e.ev))).toEqual(new Set(['arrived', 'popped', 'decoded', 'played']));
  });

  it('resamples the 48 kHz mix for a 44.1 kHz context: the same tone, the same level', () => {
    const s = sim({ sampleRate: 44100 });
    const out = s.play(1500);
    const loud = out.subarray(44100 * 0.2, 44100 * 1.4);
    expect(Math.abs(dominantFrequency(loud, 44100) - 440)).toBeLessThan(3);
    expect(Math.abs(rmsDbfs(loud) - RMS)).toBeLessThan(1.5);
    // Every 48 kHz sample is pulled once: 1.5 s of output took 1.5 s of mix (and a quantum ahead at most).
    const played = of(s.sent, 'status').at(-1)!.played;
    expect(played).toBeGreaterThanOrEqual(
      Math.floor((of(s.sent, 'status').length * 8 * RENDER_QUANTUM * 48000) / 44100) - RENDER_QUANTUM,
    );
  });

  it('after close(): silence, no message, decoders freed (idempotent)', () => {
    const s = sim();
    s.play(300);
    s.send({ t: 'close' });
    s.engine.close();
    const n = s.sent.length;
    const out = s.play(300);
    expect(out.every((x) => x === 0)).toBe(true);
    expect(s.sent).toHaveLength(n);
  });
});
