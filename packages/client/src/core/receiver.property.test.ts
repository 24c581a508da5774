/**
 * The receiver is fed by the network: any packets, in any order, at any
 * time, with any payload, must leave it answering every pull with exactly
 * the samples asked, finite and bounded, its buffers bounded, and its
 * counters consistent (docs/playout.md).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { AudioFlag, REDUNDANT_FLAG } from '@parley/protocol';
import { loadOpusNode } from '../audio/opus-node.js';
import type { OpusModule } from '../audio/opus.js';
import { encodeTone } from '../../../../test/helpers/sdk.js';
import { Receiver } from './receiver.js';

let opus: OpusModule;
let real: Uint8Array[];
beforeAll(async () => {
  opus = await loadOpusNode();
  real = encodeTone(opus, 440, 8);
});

const packet = fc.record({
  ssrc: fc.integer({ min: 1, max: 4 }),
  extSeq: fc.integer({ min: 0, max: 400 }),
  timestamp: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  flags: fc.constantFrom(0, AudioFlag.TalkEnd, REDUNDANT_FLAG, REDUNDANT_FLAG | AudioFlag.TalkEnd),
  // A real Opus frame, or arbitrary bytes (corrupt Opus, broken redundancy blocks).
  payload: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ minLength: 0, maxLength: 300 })),
  /** Milliseconds after the previous event. */
  gap: fc.integer({ min: 0, max: 60 }),
  /** Pulls after this packet. */
  pulls: fc.integer({ min: 0, max: 4 }),
});

describe('Receiver under arbitrary packets (property)', () => {
  it('answers every pull with exactly the samples asked, and its counters add up', () => {
    fc.assert(
      fc.property(
        fc.array(packet, { maxLength: 150 }),
        fc.constantFrom(128, 480, 960),
        (packets, pullSamples) => {
          const rx = new Receiver(opus, { pullSamples, maxStreams: 3 });
          let now = 0;
          for (const p of packets) {
            now += p.gap;
            const payload = typeof p.payload === 'number' ? real[p.payload]! : p.payload;
            rx.push({
              ssrc: p.ssrc,
              extSeq: p.extSeq,
              timestamp: p.timestamp,
              flags: p.flags,
              payload,
              arrivalMs: now,
            });
            for (let i = 0; i < p.pulls; i++) {
              now += pullSamples / 48;
              const out = rx.pull(now);
              expect(out.length).toBe(pullSamples);
            }
          }
          const s = rx.stats();
          expect(s.streams).toBeLessThanOrEqual(3);
          expect(s.received).toBeLessThanOrEqual(packets.length);
          // Every frame played was received or filled from redundancy; every scaled frame was played.
          expect(s.played).toBeLessThanOrEqual(s.received + s.filled);
          expect(s.accelerated + s.stretched).toBeLessThanOrEqual(s.played);
          // A stretch adds at most 10 ms per frame; the output is what was pulled, never more.
          expect(s.samplesAdded).toBeLessThanOrEqual(s.stretched * 480);
          expect(s.samplesRemoved).toBeLessThanOrEqual(s.accelerated * 480);
          rx.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});
