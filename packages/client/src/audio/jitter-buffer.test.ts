import { describe, expect, it } from 'vitest';
import { JitterBuffer, type PopResult } from './jitter-buffer.js';

const FRAME = 20;
const p = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >> 8) & 0xff);

/** Pops `n` ticks starting at `t0`, one per 20 ms. */
function drain(jb: JitterBuffer, t0: number, n: number): PopResult[] {
  const out: PopResult[] = [];
  for (let i = 0; i < n; i++) out.push(jb.pop(t0 + i * FRAME));
  return out;
}

const played = (rs: PopResult[]): (number | string)[] =>
  rs.filter((r) => r.kind !== 'waiting').map((r) => (r.kind === 'frame' ? r.extSeq : `lost${r.extSeq}`));

describe('JitterBuffer', () => {
  it('waits for the initial delay, then plays in order', () => {
    const jb = new JitterBuffer({ initialDelayMs: 60 });
    jb.push(100, 0, p(0), 0);
    expect(jb.pop(0).kind).toBe('waiting');
    expect(jb.pop(40).kind).toBe('waiting');
    for (let i = 1; i < 10; i++) jb.push(100 + i, i * 960, p(i), i * FRAME);
    const rs = drain(jb, 60, 10);
    expect(played(rs)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect(jb.stats).toMatchObject({ received: 10, played: 10, lost: 0, late: 0 });
  });

  it('does not conceal a burst twice: frames concealed in an underrun stand in for the lost ones', () => {
    const jb = new JitterBuffer({ initialDelayMs: 20, idleAfterUnderruns: 10 });
    for (let s = 0; s < 3; s++) jb.push(s, s * 960, p(s), s * FRAME);
    expect(played(drain(jb, 40, 3))).toEqual([0, 1, 2]);
    // 3, 4 and 5 are lost: two ticks find nothing (concealment), then 6 arrives.
    const under = drain(jb, 100, 2);
    expect(under.map((r) => r.kind)).toEqual(['missing', 'missing']);
    jb.push(6, 6 * 960, p(6), 135);
    const r = jb.pop(140);
    // 3 and 4 were covered by the two concealed ticks; 5 is recovered from 6's FEC; then 6 plays.
    expect(r).toMatchObject({ kind: 'missing', extSeq: 5 });
    expect(r.kind === 'missing' && r.next !== undefined).toBe(true);
    expect(played([jb.pop(160)])).toEqual([6]);
    expect(jb.stats).toMatchObject({ lost: 3, underruns: 2, played: 4 });
  });

  it('puts reordered packets back in order', () => {
    const jb = new JitterBuffer({ initialDelayMs: 60 });
    const order = [0, 2, 1, 3, 5, 4, 6, 7];
    order.forEach((s, i) => jb.push(s, s * 960, p(s), i * 5));
    expect(played(drain(jb, 100, 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('reports a lost frame with its successor for FEC, and counts it', () => {
    const jb = new JitterBuffer({ initialDelayMs: 40 });
    for (const s of [0, 1, 3, 4]) jb.push(s, s * 960, p(s), s * FRAME);
    const rs = drain(jb, 80, 4);
    expect(played(rs)).toEqual([0, 1, 'lost2', 3]);
    const miss = rs[2];
    expect(miss?.kind === 'missing' && miss.next).toEqual(p(3));
    expect(jb.stats.lost).toBe(1);
  });

  it('counts duplicates and late packets, and drops them', () => {
    const jb = new JitterBuffer({ initialDelayMs: 20 });
    expect(jb.push(10, 0, p(10), 0)).toBe('ok');
    expect(jb.push(10, 0, p(10), 1)).toBe('duplicate');
    jb.push(11, 960, p(11), 20);
    drain(jb, 40, 2);
    expect(jb.push(10, 0, p(10), 60)).toBe('late');
    expect(jb.stats).toMatchObject({ duplicate: 1, late: 1, played: 2 });
  });

  it('crosses the 16-bit wrap seamlessly (extended numbers)', () => {
    const jb = new JitterBuffer({ initialDelayMs: 20 });
    const seqs = [65533, 65534, 65535, 65536, 65537, 65538];
    seqs.forEach((s, i) => jb.push(s, i * 960, p(i), i * FRAME));
    expect(played(drain(jb, 40, 6))).toEqual(seqs);
  });

  it('measures jitter across the 32-bit timestamp wrap as anywhere else', () => {
    // The same arrivals, once with timestamps far from the wrap and once crossing it.
    const jitterWith = (ts0: number): number => {
      const jb = new JitterBuffer({ capacity: 1024 });
      const jitters = [0, 12, 3, 9, 0, 15, 4];
      for (let k = 0; k < 40; k++)
        jb.push(k, (ts0 + k * 960) >>> 0, p(k), k * FRAME + jitters[k % jitters.length]!);
      return jb.jitter;
    };
    const plain = jitterWith(1_000_000);
    expect(plain).toBeGreaterThan(3);
    expect(jitterWith(2 ** 32 - 20 * 960)).toBe(plain);
  });

  it('bounds memory: a jump beyond capacity discards the oldest frames', () => {
    const jb = new JitterBuffer({ capacity: 8, initialDelayMs: 1000 });
    for (let s = 0; s < 8; s++) jb.push(s, s * 960, p(s), 0);
    expect(jb.size).toBe(8);
    expect(jb.push(20, 20 * 960, p(20), 0)).toBe('ok');
    expect(jb.size).toBe(1);
    expect(jb.stats.overflow).toBe(8);
  });

  it('rejects a packet a whole ring older than the newest before playout starts, instead of hanging the next pop', () => {
    // 936 and 1000 share a slot of a 64-frame ring: 936 used to overwrite 1000
    // without fixing the count, and the next pop() searched for a frame forever.
    const jb = new JitterBuffer({ initialDelayMs: 20 });
    expect(jb.push(1000, 1000 * 960, p(1000), 0)).toBe('ok');
    expect(jb.push(936, 936 * 960, p(936), 1)).toBe('late');
    expect(jb.size).toBe(1);
    expect(jb.buffered()).toEqual([1000]);
    expect(jb.pop(40)).toMatchObject({ kind: 'frame', extSeq: 1000, payload: p(1000) });
    expect(jb.stats).toMatchObject({ received: 2, late: 1, played: 1, overflow: 0 });
    expect(jb.size).toBe(0);
  });

  it('conceals an underrun without skipping, so a late frame still plays; then goes idle', () => {
    const jb = new JitterBuffer({ initialDelayMs: 20, idleAfterUnderruns: 3 });
    jb.push(0, 0, p(0), 0);
    expect(jb.pop(20)).toMatchObject({ kind: 'frame', extSeq: 0 });
    expect(jb.pop(40)).toEqual({ kind: 'missing', extSeq: 1 }); // underrun: conceal, keep waiting for 1
    jb.push(1, 960, p(1), 50);
    expect(jb.pop(60)).toMatchObject({ kind: 'frame', extSeq: 1 });
    expect(drain(jb, 80, 4).map((r) => r.kind)).toEqual(['missing', 'missing', 'missing', 'waiting']);
    expect(jb.isPlaying).toBe(false);
    expect(jb.stats.underruns).toBe(5);
  });

  it('adapts: the target is the 97th percentile of the delay against the fastest packet, plus 2 ms, both ways', () => {
    const jb = new JitterBuffer({ initialDelayMs: 40, maxDelayMs: 400 });
    let seq = 0;
    // 0–30 ms of jitter on a 20 ms cadence
    const jitters = [0, 30, 5, 25, 0, 30, 10, 28, 2, 30];
    for (let i = 0; i < 200; i++, seq++)
      jb.push(seq, seq * 960, p(seq), seq * FRAME + jitters[i % jitters.length]!);
    expect(jb.jitter).toBeGreaterThan(8);
    expect(jb.targetDelayMs).toBeCloseTo(32, 5); // 30 ms late at worst, + 2
    // Calm: once the 200-packet window holds no jittery packet, the target is the margin alone.
    for (let i = 0; i < 190; i++, seq++) jb.push(seq, seq * 960, p(seq), seq * FRAME);
    // The last 10 jittery packets are still in the window: its 97th percentile is their 7th largest (5 ms).
    expect(jb.targetDelayMs).toBeCloseTo(7, 5);
    for (let i = 0; i < 10; i++, seq++) jb.push(seq, seq * 960, p(seq), seq * FRAME);
    expect(jb.jitter).toBeLessThan(1);
    expect(jb.targetDelayMs).toBeCloseTo(2, 5);
    // Redundancy two packets deep: two frames more.
    jb.setExtraDelay(40);
    expect(jb.targetDelayMs).toBeCloseTo(42, 5);
  });

  it('uses the initial delay until 16 packets are measured', () => {
    const jb = new JitterBuffer({ initialDelayMs: 25 });
    for (let seq = 0; seq < 15; seq++) jb.push(seq, seq * 960, p(seq), seq * FRAME);
    expect(jb.targetDelayMs).toBe(25);
    jb.push(15, 15 * 960, p(15), 15 * FRAME);
    expect(jb.targetDelayMs).toBeCloseTo(2, 5);
  });

  it('knows when a frame would arrive on the fastest recent path, across the 32-bit timestamp wrap', () => {
    const jb = new JitterBuffer();
    const ts0 = 2 ** 32 - 960 * 5;
    // Transit 100 ms, one packet 12 ms later than that.
    for (let seq = 0; seq < 10; seq++)
      jb.push(seq, (ts0 + seq * 960) >>> 0, p(seq), 100 + seq * FRAME + (seq === 4 ? 12 : 0));
    const r = drain(jb, 200, 1)[0]!;
    expect(r.kind).toBe('frame');
    if (r.kind !== 'frame') return;
    expect(jb.fastestArrivalMs(r.sendMs)).toBeCloseTo(100, 6); // frame 0 came on the fastest path
    expect(jb.fastestArrivalMs(r.sendMs + 9 * FRAME)).toBeCloseTo(100 + 9 * FRAME, 6); // after the wrap
  });

  it('never drops a frame to shrink: a burst after a network stall is played whole (the Receiver time-scales)', () => {
    const jb = new JitterBuffer({ initialDelayMs: 20 });
    let seq = 0;
    for (; seq < 30; seq++) jb.push(seq, seq * 960, p(seq), 0); // a burst after a network stall
    const got: number[] = [];
    for (let t = 1; t <= 300; t++, seq++) {
      jb.push(seq, seq * 960, p(seq), t * FRAME);
      const r = jb.pop(t * FRAME);
      if (r.kind === 'frame') got.push(r.extSeq);
    }
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(jb.stats).toMatchObject({ skipped: 0, lost: 0, underruns: 0 });
  });

  it('a late first packet starts at once: the wait counts from when it would have come on the fastest path', () => {
    const jb = new JitterBuffer({ initialDelayMs: 30 });
    // A first spurt measures the path (transit 0), then goes idle.
    for (let seq = 0; seq < 100; seq++) jb.push(seq, seq * 960, p(seq), seq * FRAME);
    drain(jb, 0, 110);
    expect(jb.isPlaying).toBe(false);
    // The next spurt's first packet is 10 ms late: with a 2 ms target it plays on the first pop.
    jb.push(140, 140 * 960, p(140), 140 * FRAME + 10);
    expect(jb.pop(140 * FRAME + 10)).toMatchObject({ kind: 'frame', extSeq: 140 });
  });
});

describe('JitterBuffer.fill (redundancy)', () => {
  const frame = (n: number): Uint8Array => Uint8Array.of(n);

  it('plays a lost frame from the copy a later packet carried, and never replaces or revives one', () => {
    const jb = new JitterBuffer({ initialDelayMs: 40 });
    jb.push(0, 0, frame(0), 0);
    jb.push(1, 960, frame(1), 20);
    // Packets 2 and 3 are lost; 4 carries copies of 2 and 3.
    jb.push(4, 4 * 960, frame(4), 80);
    expect(jb.fill(2, frame(2), 80)).toBe(true);
    expect(jb.fill(3, frame(3), 80)).toBe(true);
    // Not twice, not over a frame that is there, not ahead of the packet that carried it.
    expect(jb.fill(3, frame(99), 80)).toBe(false);
    expect(jb.fill(1, frame(99), 80)).toBe(false);
    expect(jb.fill(4, frame(99), 80)).toBe(false);
    const played: number[] = [];
    for (let t = 80; t <= 200; t += 20) {
      const r = jb.pop(t);
      if (r.kind === 'frame') played.push(r.payload[0]!);
    }
    expect(played).toEqual([0, 1, 2, 3, 4]);
    expect(jb.stats).toMatchObject({ filled: 2, lost: 0, received: 3, played: 5 });
    // Already played: a late copy is refused.
    expect(jb.fill(2, frame(2), 200)).toBe(false);
  });
});

describe('JitterBuffer mid-spurt bursts', () => {
  const frame = (n: number): Uint8Array => Uint8Array.of(n);

  /** Frames 0–9 arrive, 10–15 are lost, 16–25 arrive; returns what each pop gave. */
  function burst(midSpurt: boolean): string[] {
    const jb = new JitterBuffer({ initialDelayMs: 40 });
    jb.midSpurt(midSpurt);
    const out: string[] = [];
    for (let i = 0; i < 40; i++) {
      const t = i * 20;
      if (i < 26 && (i < 10 || i >= 16)) jb.push(i, i * 960, frame(i), t);
      const r = jb.pop(t);
      out.push(r.kind === 'frame' ? `f${r.extSeq}` : r.kind === 'missing' ? 'm' : 'w');
    }
    return out;
  }

  it('conceals through a burst of six lost packets mid-spurt and plays on at once; after a spurt’s end it goes idle', () => {
    const mid = burst(true);
    // Playout never stops during the burst: concealment, then frame 16 the moment the buffer has it.
    const firstFrame = mid.indexOf('f0');
    const during = mid.slice(firstFrame, mid.indexOf('f16'));
    expect(during).not.toContain('w');
    expect(mid).toContain('f16');
    // Without a spurt in progress, the same burst makes the stream idle and re-buffer (waiting pops).
    const idle = burst(false);
    expect(idle.slice(idle.indexOf('f0'), idle.indexOf('f16'))).toContain('w');
    // The re-buffer costs no less time: frame 16 plays no earlier than mid-spurt.
    expect(idle.indexOf('f16')).toBeGreaterThanOrEqual(mid.indexOf('f16'));
  });
});
