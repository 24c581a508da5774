/**
 * A malicious channel member controls its own packets — sequence numbers,
 * timestamps, flags (CUT included: docs/protocol.md, "Cut by mute") and
 * payload — but not the others' streams. Whatever it sends, another
 * speaker's audio must come out sample for sample as it would without it,
 * and the listener's counters must stay consistent.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AudioFlag, CUT_FLAGS, REDUNDANT_FLAG } from '@parley/protocol';
import { loadOpusNode } from '../audio/opus-node.js';
import type { OpusModule } from '../audio/opus.js';
import { encodeTone } from '../../../../test/helpers/sdk.js';
import { Receiver } from './receiver.js';

let opus: OpusModule;
let tone: Uint8Array[];
beforeAll(async () => {
  opus = await loadOpusNode();
  tone = encodeTone(opus, 440, 60);
});

const HONEST = 1;
const ATTACKER = 2;

const hostile = fc.record({
  extSeq: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 1_000_000 })),
  timestamp: fc.oneof(
    fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    // Near the honest cadence, a few frames either side: steps of RelativeDelay.
    fc.integer({ min: -20, max: 20 }).map((k) => k * 960),
  ),
  flags: fc.constantFrom(
    CUT_FLAGS,
    CUT_FLAGS,
    AudioFlag.Cut,
    CUT_FLAGS | AudioFlag.TalkStart,
    CUT_FLAGS | REDUNDANT_FLAG,
    0,
    AudioFlag.TalkStart,
    AudioFlag.TalkEnd,
    REDUNDANT_FLAG,
  ),
  payload: fc.oneof(fc.integer({ min: 0, max: 59 }), fc.uint8Array({ maxLength: 40 })),
  /** Honest frames (20 ms each) before this packet. */
  after: fc.integer({ min: 0, max: 59 }),
  /** Milliseconds into that frame. */
  offset: fc.integer({ min: 0, max: 19 }),
});

describe('Receiver: a hostile speaker cannot touch another one (property)', () => {
  it('the honest speaker plays sample for sample as alone, whatever the other sends', () => {
    fc.assert(
      fc.property(fc.array(hostile, { maxLength: 80 }), (evil) => {
        const alone = new Receiver(opus, { pullSamples: 128 });
        const shared = new Receiver(opus, { pullSamples: 128 });
        shared.setVolume(ATTACKER, 0);
        const events: { at: number; who: number; i: number }[] = [];
        for (let k = 0; k < 60; k++) events.push({ at: 40 + k * 20 + ((k * 7) % 5), who: HONEST, i: k });
        evil.forEach((e, i) => events.push({ at: 40 + e.after * 20 + e.offset, who: ATTACKER, i }));
        events.sort((a, b) => a.at - b.at || a.who - b.who);
        let cuts = 0;

        let e = 0;
        for (let pull = 0; pull < 700; pull++) {
          const t = (pull * 128) / 48;
          while (e < events.length && events[e]!.at <= t) {
            const ev = events[e++]!;
            if (ev.who === HONEST) {
              const k = ev.i;
              const p = {
                ssrc: HONEST,
                extSeq: k,
                timestamp: k * 960,
                flags: (k === 0 ? AudioFlag.TalkStart : 0) | (k === 59 ? AudioFlag.TalkEnd : 0),
                payload: tone[k]!,
                arrivalMs: ev.at,
              };
              alone.push(p);
              shared.push(p);
            } else {
              const h = evil[ev.i]!;
              if ((h.flags & CUT_FLAGS) === CUT_FLAGS) cuts++;
              shared.push({
                ssrc: ATTACKER,
                extSeq: h.extSeq,
                timestamp: h.timestamp >>> 0,
                flags: h.flags,
                payload: typeof h.payload === 'number' ? tone[h.payload]! : h.payload,
                arrivalMs: ev.at,
              });
            }
          }
          const a = alone.pull(t);
          const b = shared.pull(t);
          expect(b).toEqual(a);
        }
        const s = shared.stats();
        expect(s.cuts).toBeLessThanOrEqual(cuts);
        expect(s.played).toBeLessThanOrEqual(s.received + s.filled);
        expect(alone.stats().played).toBe(60);
        alone.close();
        shared.close();
      }),
      { numRuns: 25 },
    );
  });
});
