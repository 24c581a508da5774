import { beforeAll, describe, expect, it } from 'vitest';
import { FRAME_SAMPLES, quantile, SAMPLE_RATE, SAMPLES_PER_MS } from '@parley/protocol';
import { loadOpusNode } from '@parley/client/node';
import {
  BufferSource,
  OpusEncoder,
  Receiver,
  rmsDbfs,
  StreamSender,
  toneInt16,
  TRACE_EVENTS,
  TraceRecorder,
  type OpusModule,
  type TraceEvent,
  type TraceEventName,
  type VoiceClient,
} from '@parley/client';
import { clickLatencies, clickTrain, codecDelayMs, findOnsets } from './clicks.js';
import { matchFrames, parseTrace, stageFigures } from './frames.js';
import { latencyReport } from './report.js';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => (t = v) };
}

/**
 * Events of one frame: the sender's at `t0`, stage durations `d` (encode,
 * seal, network, jitter buffer, decode, playout) after it.
 */
function frameEvents(ssrc: number, seq: number, t0: number, d: number[], pos?: number): TraceEvent[] {
  const out: TraceEvent[] = [];
  let t = t0;
  TRACE_EVENTS.forEach((ev, i) => {
    if (i > 0) t += d[i - 1]!;
    const e: TraceEvent = { ev, ssrc, seq, t };
    if (ev === 'capture' && pos !== undefined) e.pos = pos;
    out.push(e);
  });
  return out;
}

describe('TraceRecorder', () => {
  it('records events with its clock, serializes them as JSON lines and reads them back', () => {
    const clock = manualClock(1_795_000_000_000.125);
    const tr = new TraceRecorder({ now: clock.now });
    tr.mark('capture', 7, 65_540, undefined, 1920);
    clock.set(1_795_000_000_000.6);
    tr.mark('encoded', 7, 65_540);
    tr.mark('sent', 7, 65_540, 1_795_000_000_001);
    const text = tr.toJsonLines({ role: 'send' });
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0]!)).toMatchObject({ ev: 'meta', v: 1, role: 'send', events: 3, dropped: 0 });
    expect(JSON.parse(lines[1]!)).toEqual({
      ev: 'capture',
      ssrc: 7,
      seq: 65_540,
      t: 1_795_000_000_000.125,
      pos: 1920,
    });
    const { events, meta } = parseTrace(text);
    expect(meta).toHaveLength(1);
    expect(events.map((e) => e.ev)).toEqual(['capture', 'encoded', 'sent']);
    expect(events[1]!.t).toBeCloseTo(1_795_000_000_000.6, 3);
    expect(events[2]).toEqual({ ev: 'sent', ssrc: 7, seq: 65_540, t: 1_795_000_000_001 });
  });

  it('stops at maxEvents and counts what it did not keep (also past its first buffer size)', () => {
    const tr = new TraceRecorder({ maxEvents: 5000, now: () => 1 });
    for (let i = 0; i < 6000; i++) tr.mark('arrived', 1, i);
    expect(tr.size).toBe(5000);
    expect(tr.dropped).toBe(1000);
    expect(tr.events().at(-1)).toEqual({ ev: 'arrived', ssrc: 1, seq: 4999, t: 1 });
    expect(parseTrace(tr.toJsonLines()).meta[0]).toMatchObject({ events: 5000, dropped: 1000 });
  });

  it('defaults to wall-clock milliseconds with sub-millisecond precision', () => {
    const tr = new TraceRecorder();
    const t = tr.now();
    expect(Math.abs(t - Date.now())).toBeLessThan(50);
    expect(t % 1).not.toBe(0);
  });
});

describe('parseTrace', () => {
  it('skips blank lines and events of a later version, and names a bad line', () => {
    const good = '{"ev":"meta","v":1}\n\n{"ev":"arrived","ssrc":1,"seq":2,"t":3}\n{"ev":"rendered","x":1}\n';
    expect(parseTrace(good).events).toEqual([{ ev: 'arrived', ssrc: 1, seq: 2, t: 3 }]);
    expect(() => parseTrace('{"ev":"arrived","ssrc":1,"seq":2,"t":3}\n{oops')).toThrow(/line 2: not JSON/);
    expect(() => parseTrace('{"ev":"sent","ssrc":"1","seq":2,"t":3}')).toThrow(/line 1/);
  });
});

describe('matchFrames and stageFigures', () => {
  const d = [0.5, 0.1, 0.7, 61, 0.2, 0.05];

  it('matches the two sides by (ssrc, seq mod 2^16) and gives each stage', () => {
    const events: TraceEvent[] = [];
    for (let i = 0; i < 10; i++) {
      // The sender's counter has wrapped (65 536 + i), the listener's has not (i).
      const f = frameEvents(
        42,
        i,
        1000 + 20 * i,
        d.map((x, k) => (k === 3 ? x + i : x)),
      );
      for (const e of f)
        events.push(
          e.ev === 'capture' || e.ev === 'encoded' || e.ev === 'sent' ? { ...e, seq: 65_536 + i } : e,
        );
    }
    const frames = matchFrames(events);
    expect(frames).toHaveLength(10);
    const fig = stageFigures(frames);
    expect(fig).toMatchObject({ frames: 10, complete: 10, disordered: 0 });
    expect(fig.stages.map((s) => s.name)).toEqual([
      'encode',
      'seal',
      'network + server',
      'jitter buffer',
      'decode',
      'playout',
    ]);
    expect(fig.stages[0]!.p50).toBeCloseTo(0.5, 9);
    expect(fig.stages[2]!.mean).toBeCloseTo(0.7, 9);
    // jitter buffer: 61 + i for i = 0..9 → nearest-rank p50 = 65, p95 = 70, mean 65.5
    expect(fig.stages[3]).toMatchObject({ n: 10, p50: 65, p95: 70, max: 70 });
    expect(fig.stages[3]!.min).toBeCloseTo(61, 9);
    expect(fig.stages[3]!.mean).toBeCloseTo(65.5, 9);
    expect(fig.total.mean).toBeCloseTo(0.5 + 0.1 + 0.7 + 65.5 + 0.2 + 0.05, 9);
  });

  it('leaves out frames missing an event, and counts frames whose stages are out of order', () => {
    const events = [
      ...frameEvents(1, 1, 0, d),
      ...frameEvents(1, 2, 20, d).filter((e) => e.ev !== 'popped'), // concealed: never popped
      ...frameEvents(1, 3, 40, [0.5, 0.1, -0.2, 61, 0.2, 0.05]), // arrived before sent: clocks disagree
    ];
    const fig = stageFigures(matchFrames(events));
    expect(fig).toMatchObject({ frames: 3, complete: 2, disordered: 1 });
    expect(fig.stages.every((s) => s.n === 1)).toBe(true);
  });

  it('keeps the first of repeated events (a duplicate arrival)', () => {
    const events = [...frameEvents(1, 1, 0, d), { ev: 'arrived' as TraceEventName, ssrc: 1, seq: 1, t: 500 }];
    expect(stageFigures(matchFrames(events)).stages[2]!.p50).toBeCloseTo(0.7, 9);
  });

  it('quantile is nearest-rank', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.95)).toBe(4);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('clicks', () => {
  it('finds every click of a train where it starts', () => {
    const train = clickTrain({ seconds: 3 });
    expect(train.onsets).toHaveLength(6);
    expect(train.onsets[0]).toBe(12_000);
    expect(train.onsets[1]! - train.onsets[0]!).toBe(24_000 + 240); // 500 ms, staggered by 5 ms
    const found = findOnsets(train.samples);
    expect(found).toHaveLength(6);
    // Half of the peak is reached 1/12 of a 1 kHz period in: 4 samples at 48 kHz.
    found.forEach((f, i) => expect(f - train.onsets[i]!).toBe(4));
    expect(findOnsets(new Int16Array(SAMPLE_RATE))).toEqual([]);
  });

  it('measures a codec delay: a 100-sample delay line reads as 100 samples (+ the detector bias, as live)', () => {
    const train = clickTrain({ seconds: 2 });
    const line = new Int16Array(100);
    const decoder = {
      decode(p: Uint8Array): Int16Array {
        const pcm = new Int16Array(p.buffer, p.byteOffset, p.byteLength / 2);
        const out = new Int16Array(pcm.length);
        const all = new Int16Array(line.length + pcm.length);
        all.set(line);
        all.set(pcm, line.length);
        out.set(all.subarray(0, pcm.length));
        line.set(all.subarray(pcm.length));
        return out;
      },
    };
    const encoder = { encode: (pcm: Int16Array) => new Uint8Array(pcm.slice().buffer) };
    // Compared with the true onsets, like the live measurement: the detector's
    // 4-sample bias is in both, so it cancels out of audio − (chain + codec).
    expect(codecDelayMs(encoder, decoder, train)).toBeCloseTo(104 / SAMPLES_PER_MS, 9);
  });

  it('measures mouth-to-ear from the audio and agrees with the frame chain + framing + codec delay', () => {
    const chain = 70; // capture → played of every frame
    const codecSamples = 312; // the decoded click comes out 6.5 ms later in its frames
    const sourceOnsets = [12_000, 36_480, 60_960];
    const events: TraceEvent[] = [];
    for (let n = 0; n < 100; n++) {
      const capture = 5000 + 20 * n + (n % 3) * 0.3; // timers run a little late
      events.push({ ev: 'capture', ssrc: 9, seq: n, t: capture, pos: n * FRAME_SAMPLES });
      // The recording started 13 frames and 0.4 ms earlier: frame n is output frame n + 13.
      events.push({ ev: 'played', ssrc: 9, seq: n, t: capture + chain, pos: (n + 13) * FRAME_SAMPLES });
    }
    const recordedOnsets = sourceOnsets.map((s) => s + 13 * FRAME_SAMPLES + codecSamples);
    const clicks = clickLatencies({ sourceOnsets, recordedOnsets, frames: matchFrames(events) });
    expect(clicks).toHaveLength(3);
    for (const c of clicks) {
      expect(c.chainMs).toBeCloseTo(chain, 9);
      expect(c.audioMs).toBeCloseTo(chain + 20 + 6.5, 9);
    }
    // A frame that waited one frame longer somewhere the trace does not see: a 20 ms step.
    const late = recordedOnsets.map((r) => r + FRAME_SAMPLES);
    const shifted = clickLatencies({ sourceOnsets, recordedOnsets: late, frames: matchFrames(events) });
    const rep = latencyReport({
      figures: stageFigures(matchFrames(events)),
      clicks: shifted,
      frameMs: 20,
      codecDelayMs: 6.5,
    });
    expect(rep.residual.p50).toBeCloseTo(20, 0);
  });

  it('builds the table: network and server split, shares of the sum, the audio total beside it', () => {
    const d = [0.5, 0.1, 1.0, 61, 0.2, 0.05];
    const events: TraceEvent[] = [];
    for (let n = 0; n < 50; n++) {
      const f = frameEvents(3, n, 1000 + 20 * n, d, n * FRAME_SAMPLES);
      f[6]!.pos = n * FRAME_SAMPLES; // played at the same place in the output
      events.push(...f);
    }
    const frames = matchFrames(events);
    const figures = stageFigures(frames);
    const total = d.reduce((a, b) => a + b, 0);
    const clicks = clickLatencies({ sourceOnsets: [4800], recordedOnsets: [4800 + 312], frames });
    const rep = latencyReport({
      figures,
      clicks,
      frameMs: 20,
      codecDelayMs: 6.5,
      server: { mean: 0.2, p50: 0.18, p95: 0.3 },
    });
    expect(rep.rows.map((r) => r.stage)).toEqual([
      'framing',
      'encode',
      'seal',
      'network',
      'server',
      'jitter buffer',
      'decode',
      'playout',
      'codec delay',
    ]);
    expect(rep.rows[3]!.mean).toBeCloseTo(0.8, 9);
    expect(rep.rows[4]).toMatchObject({ p50: 0.18, p95: 0.3, mean: 0.2 });
    expect(rep.sumOfStages).toBeCloseTo(20 + total + 6.5, 9);
    expect(rep.rows.reduce((a, r) => a + r.share, 0)).toBeCloseTo(1, 9);
    expect(rep.audio.p50).toBeCloseTo(rep.sumOfStages, 6);
    expect(rep.residual.max).toBeCloseTo(0, 6);
  });
});

describe('tracing in the sender and the receiver', () => {
  let opus: OpusModule;
  beforeAll(async () => {
    opus = await loadOpusNode();
  });

  it('the sender marks capture (with the source position), encoded and sent, with the sealed ssrc and seq', async () => {
    let seq16 = 65_534; // wraps after two frames
    const sent: Uint8Array[] = [];
    const client = {
      sealAudio(opusFrame: Uint8Array): Uint8Array {
        const p = new Uint8Array(12 + opusFrame.length);
        const v = new DataView(p.buffer);
        v.setUint16(2, seq16);
        seq16 = (seq16 + 1) & 0xffff;
        v.setUint32(8, 1234);
        p.set(opusFrame, 12);
        return p;
      },
      sendPacket: (p: Uint8Array) => void sent.push(p),
    } as unknown as VoiceClient;
    let now = 0;
    const timers: (() => void)[] = [];
    const tracer = new TraceRecorder({ now: () => (now += 0.25) });
    const sender = new StreamSender(
      client,
      { encode: (pcm) => new Uint8Array(pcm.length / 96) },
      new BufferSource(new Int16Array(FRAME_SAMPLES * 4), FRAME_SAMPLES),
      {
        tracer,
        clock: { now: () => now, setTimeout: (fn) => timers.push(fn), clearTimeout: () => undefined },
      },
    );
    const done = sender.run();
    while (timers.length > 0) {
      now += 20;
      timers.shift()!();
    }
    await done;
    expect(sent).toHaveLength(4);
    const ev = tracer.events();
    expect(ev.map((e) => e.ev)).toEqual(
      Array.from({ length: 4 }, () => ['capture', 'encoded', 'sent']).flat(),
    );
    expect(ev.filter((e) => e.ev === 'capture').map((e) => [e.seq, e.pos])).toEqual([
      [65_534, 0],
      [65_535, 960],
      [65_536, 1920],
      [65_537, 2880],
    ]);
    expect(ev.every((e) => e.ssrc === 1234)).toBe(true);
    for (let i = 1; i < ev.length; i++) expect(ev[i]!.t).toBeGreaterThan(ev[i - 1]!.t);
  });

  it('the receiver marks arrived, popped, decoded and played (with the output position)', () => {
    const tracer = new TraceRecorder();
    const rx = new Receiver(opus, { tracer, jitter: { initialDelayMs: 20 } });
    const enc = new OpusEncoder(opus);
    const frames = Array.from({ length: 5 }, () => enc.encode(new Int16Array(FRAME_SAMPLES)));
    enc.destroy();
    frames.forEach((f, i) =>
      rx.push({ ssrc: 77, extSeq: 100 + i, timestamp: i * FRAME_SAMPLES, payload: f, arrivalMs: i * 20 }),
    );
    const played: number[] = [];
    for (let tick = 0; tick < 5; tick++) {
      rx.pull(40 + tick * 20);
      rx.played(tick * FRAME_SAMPLES);
      played.push(tick * FRAME_SAMPLES);
    }
    rx.close();
    const fig = stageFigures(matchFrames(tracer.events()));
    const byEv = (ev: TraceEventName) => tracer.events().filter((e) => e.ev === ev);
    expect(byEv('arrived').map((e) => e.seq)).toEqual([100, 101, 102, 103, 104]);
    expect(byEv('popped').map((e) => e.seq)).toEqual([100, 101, 102, 103, 104]);
    expect(byEv('decoded')).toHaveLength(5);
    expect(byEv('played').map((e) => [e.seq, e.pos])).toEqual(played.map((p, i) => [100 + i, p]));
    // No sender events here: no frame is complete, but each receiver stage is in order.
    expect(fig.complete).toBe(0);
    for (const f of matchFrames(tracer.events())) {
      expect(f.t.popped!).toBeGreaterThanOrEqual(f.t.arrived!);
      expect(f.t.decoded!).toBeGreaterThanOrEqual(f.t.popped!);
      expect(f.t.played!).toBeGreaterThanOrEqual(f.t.decoded!);
    }
  });

  it('a tracer changes nothing in the audio: the same packets give the same output with and without one', () => {
    const enc = new OpusEncoder(opus);
    const tone = toneInt16(1000, 0.2, SAMPLE_RATE, -12);
    const frames = Array.from({ length: 10 }, (_, i) =>
      enc.encode(tone.subarray(i * FRAME_SAMPLES, i * FRAME_SAMPLES + FRAME_SAMPLES)),
    );
    enc.destroy();
    const play = (rx: Receiver): Int16Array => {
      frames.forEach((f, i) =>
        rx.push({ ssrc: 5, extSeq: 200 + i, timestamp: i * FRAME_SAMPLES, payload: f, arrivalMs: i * 20 }),
      );
      const out = new Int16Array(10 * FRAME_SAMPLES);
      for (let tick = 0; tick < 10; tick++) {
        out.set(rx.pull(60 + tick * 20), tick * FRAME_SAMPLES);
        rx.played(tick * FRAME_SAMPLES);
      }
      rx.close();
      return out;
    };
    const tracer = new TraceRecorder();
    const traced = play(new Receiver(opus, { tracer }));
    const plain = play(new Receiver(opus));
    expect(tracer.events().filter((e) => e.ev === 'played').length).toBeGreaterThan(0);
    expect(rmsDbfs(plain)).toBeGreaterThan(-30); // the tone is there
    expect(traced).toEqual(plain);
  });
});
