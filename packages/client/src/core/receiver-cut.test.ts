/**
 * A spurt cut by mute (docs/protocol.md, "Cut by mute"; docs/playout.md):
 * in simulated time, with the browser's 128-sample pulls. The checks are
 * on the audio: the cut speaker's sound ends within a pull and a fade of
 * the cut's arrival, without a click or a concealed tail, while another
 * speaker's audio is not touched by a sample; the next spurt plays whole;
 * a stale copy of the cut changes nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AudioFlag, CUT_FLAGS, FRAME_SAMPLES, SAMPLE_RATE } from '@parley/protocol';
import { dominantFrequency, longestGapMs, rmsDbfs } from '../audio/analysis.js';
import { loadOpusNode } from '../audio/opus-node.js';
import type { OpusModule } from '../audio/opus.js';
import { encodeTone } from '../../../../test/helpers/sdk.js';
import { Receiver, type ReceivedAudio } from './receiver.js';

let opus: OpusModule;
let a440: Uint8Array[];
let b1000: Uint8Array[];
beforeAll(async () => {
  opus = await loadOpusNode();
  a440 = encodeTone(opus, 440, 150); // 3 s
  b1000 = encodeTone(opus, 1000, 150);
});

const PULL = 128;
const PULL_MS = PULL / 48;
const A = 7;
const B = 9;
/**
 * The cut: A mutes after its frame 49 (sent at 980 ms); the cut goes out twice, seq 50 and 51
 * (docs/protocol.md, "Cut by mute"), and arrives at CUT_AT.
 */
const CUT_SEQ = 50;
const CUT_AT = 1003;
/** A unmutes at 1500 ms: its frame 75 goes out as seq 52 (TALK_START). */
const RESUME_FRAME = 75;
/** A copy of the cut arriving during the next spurt (stale). */
const STALE_AT = 1900;
const END_MS = 3200;

interface Sent {
  at: number;
  p: Omit<ReceivedAudio, 'arrivalMs'>;
}

/** A spurt from frame `first` to the last one (149): TALK_START on the first, TALK_END on the last. */
const talkFlags = (f: number, first: number): number =>
  (f === first ? AudioFlag.TalkStart : 0) | (f === 149 ? AudioFlag.TalkEnd : 0);

/**
 * A's packets: frames 0–49 (49 reordered, arriving after the cut), the cut's copies (`both`, or
 * only the `second` when the first was lost), then frames 75–149 as seq 52…; and B's, every frame.
 */
function schedule(
  withA: boolean,
  withB: boolean,
  { stale = false, copies = 'both' }: { stale?: boolean; copies?: 'both' | 'second' } = {},
): Sent[] {
  const out: Sent[] = [];
  const audio = (
    ssrc: number,
    extSeq: number,
    frame: number,
    frames: Uint8Array[],
    flags: number,
  ): Sent['p'] => ({
    ssrc,
    extSeq,
    timestamp: frame * FRAME_SAMPLES,
    flags,
    payload: frames[frame]!,
  });
  if (withA) {
    for (let f = 0; f < CUT_SEQ; f++)
      out.push({
        at: f === CUT_SEQ - 1 ? CUT_AT + 5 : f * 20 + 3,
        p: audio(A, f, f, a440, f === 0 ? AudioFlag.TalkStart : 0),
      });
    const cut = (extSeq: number) => ({
      ssrc: A,
      extSeq,
      timestamp: CUT_SEQ * FRAME_SAMPLES,
      flags: CUT_FLAGS,
      payload: new Uint8Array(0),
    });
    if (copies === 'both') out.push({ at: CUT_AT, p: cut(CUT_SEQ) });
    out.push({ at: CUT_AT, p: cut(CUT_SEQ + 1) });
    if (stale) out.push({ at: STALE_AT, p: cut(CUT_SEQ + 1) });
    for (let f = RESUME_FRAME; f < 150; f++) {
      const seq = CUT_SEQ + 2 + (f - RESUME_FRAME);
      out.push({ at: f * 20 + 3, p: audio(A, seq, f, a440, talkFlags(f, RESUME_FRAME)) });
    }
  }
  if (withB)
    for (let f = 0; f < 150; f++) out.push({ at: f * 20 + 11, p: audio(B, f, f, b1000, talkFlags(f, 0)) });
  return out.sort((x, y) => x.at - y.at);
}

/** Plays the schedule through a Receiver that holds ≥ 60 ms (a jittery path's buffer); the output, and the stats. */
function play(sent: Sent[]) {
  const rx = new Receiver(opus, { pullSamples: PULL, jitter: { minDelayMs: 60 } });
  const ticks = Math.ceil(END_MS / PULL_MS);
  const out = new Int16Array(ticks * PULL);
  let k = 0;
  for (let i = 0; i < ticks; i++) {
    const t = i * PULL_MS;
    while (k < sent.length && sent[k]!.at <= t) {
      const s = sent[k++]!;
      rx.push({ ...s.p, arrivalMs: s.at });
    }
    out.set(rx.pull(t), i * PULL);
  }
  const stats = rx.stats();
  rx.close();
  return { out, stats };
}

/** Samples of the output from `ms` for `len` ms. */
const at = (x: Int16Array, ms: number, len: number): Int16Array =>
  x.subarray(Math.round((ms * SAMPLE_RATE) / 1000), Math.round(((ms + len) * SAMPLE_RATE) / 1000));

/** The output sample where the cut took effect: the first pull at or after its arrival. */
const CUT_PULL_SAMPLE = Math.ceil(CUT_AT / PULL_MS) * PULL;

describe('Receiver: a spurt cut by mute', () => {
  it.each(['both', 'second'] as const)(
    'ends the speaker within a pull and a 2.5 ms fade of the cut arriving (copies arrived: %s): no click, no concealed tail, nothing held played',
    (copies) => {
      const { out, stats } = play(schedule(true, false, { copies }));
      // A was heard up to the cut. Each frame is needed 60 ms after it arrives: at the cut, frame 47
      // is playing, 48 is held (dropped, never played) and 49 is still on its way.
      expect(rmsDbfs(out.subarray(CUT_PULL_SAMPLE - 960, CUT_PULL_SAMPLE))).toBeGreaterThan(-20);
      expect(stats.cuts).toBe(1);
      expect(stats.cut).toBe(1);
      expect(stats.played).toBe(48 + (150 - RESUME_FRAME));
      // Frame 49 came after the cut: late, not played.
      expect(stats.late).toBe(1);
      expect(stats.concealed).toBe(0);
      // From the cut's pull: at most 120 faded samples, then exact silence until the next spurt (1500 ms + 60).
      const after = out.subarray(CUT_PULL_SAMPLE, Math.round(1500 * 48));
      let last = -1;
      for (let i = 0; i < after.length; i++) if (after[i] !== 0) last = i;
      expect(last).toBeLessThan(120);
      // The fade steps no more than the tone itself does between two samples (a click would).
      const tone = out.subarray(CUT_PULL_SAMPLE - 960, CUT_PULL_SAMPLE);
      const maxStep = (x: Int16Array, from: number, to: number) => {
        let m = 0;
        for (let i = Math.max(1, from); i < to; i++) m = Math.max(m, Math.abs(x[i]! - x[i - 1]!));
        return m;
      };
      expect(maxStep(out, CUT_PULL_SAMPLE - 1, CUT_PULL_SAMPLE + 130)).toBeLessThanOrEqual(
        maxStep(tone, 0, tone.length) + 1,
      );
    },
  );

  it("leaves another speaker's audio untouched, sample for sample", () => {
    const both = play(schedule(true, true)).out;
    const bAlone = play(schedule(false, true)).out;
    // Past the fade, until A's next spurt: the mix is B alone.
    const from = CUT_PULL_SAMPLE + 120;
    const to = Math.round(1500 * 48);
    expect(Array.from(both.subarray(from, to))).toEqual(Array.from(bAlone.subarray(from, to)));
    expect(Math.abs(dominantFrequency(both.subarray(from, to), SAMPLE_RATE) - 1000)).toBeLessThan(2);
  });

  it('the next spurt plays whole, and a stale copy of the cut arriving in it changes nothing', () => {
    const { out, stats } = play(schedule(true, false, { stale: true }));
    expect(stats.cuts).toBe(1);
    // A's second spurt: from 1500 ms + its 60 ms wait, a whole 440 Hz tone to its end (no gap at the stale cut).
    const spurt = at(out, 1600, 1350);
    expect(longestGapMs(spurt, SAMPLE_RATE)).toBe(0);
    expect(Math.abs(dominantFrequency(spurt, SAMPLE_RATE) - 440)).toBeLessThan(1);
    expect(rmsDbfs(at(out, STALE_AT, 40))).toBeGreaterThan(-20);
    expect(stats.concealed).toBe(0);
  });
});
