import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AudioFlag } from '@parley/protocol';
import { TalkGate, type GateDecision } from './talk-gate.js';

const LOUD = -20;
const QUIET = -90;
const flagsOf = (ds: GateDecision[]): (number | null)[] => ds.map((d) => (d.send ? d.flags : null));

describe('TalkGate', () => {
  it('voice activation: sends only while talking, TALK_START first, TALK_END last', () => {
    const g = new TalkGate({ hangoverMs: 40 });
    const ds = [LOUD, LOUD, LOUD, QUIET, QUIET, QUIET, QUIET, QUIET, LOUD].map((l) => g.decide(l));
    expect(flagsOf(ds)).toEqual([
      AudioFlag.TalkStart,
      0,
      0,
      0, // hangover
      0, // hangover
      AudioFlag.TalkEnd, // the frame that closes the gate ends the spurt
      null,
      null,
      AudioFlag.TalkStart,
    ]);
  });

  it('push-to-talk: sends while pressed, whatever the level; the release ends the spurt', () => {
    const g = new TalkGate({ mode: 'push-to-talk' });
    const out: (number | null)[] = [];
    out.push(...flagsOf([g.decide(LOUD)]));
    g.setPushToTalk(true);
    out.push(...flagsOf([g.decide(QUIET), g.decide(LOUD)]));
    g.setPushToTalk(false);
    out.push(...flagsOf([g.decide(LOUD), g.decide(LOUD)]));
    expect(out).toEqual([null, AudioFlag.TalkStart, 0, AudioFlag.TalkEnd, null]);
  });

  it('open: every frame; mute cuts the spurt at once (the caller sends the cut), unmute starts a new spurt', () => {
    const g = new TalkGate({ mode: 'open' });
    expect(flagsOf([g.decide(QUIET), g.decide(QUIET)])).toEqual([AudioFlag.TalkStart, 0]);
    expect(g.setMuted(true)).toBe(true);
    expect(g.isTalking).toBe(false);
    expect(g.setMuted(true)).toBe(false); // already cut: no second cut
    expect(flagsOf([g.decide(LOUD), g.decide(LOUD)])).toEqual([null, null]);
    expect(g.setMuted(false)).toBe(false);
    expect(flagsOf([g.decide(LOUD)])).toEqual([AudioFlag.TalkStart]);
  });

  it('muting between spurts cuts nothing', () => {
    const g = new TalkGate({ mode: 'push-to-talk' });
    expect(flagsOf([g.decide(LOUD)])).toEqual([null]);
    expect(g.setMuted(true)).toBe(false);
  });

  it('any sequence of levels, modes, push-to-talk and mute gives well-formed spurts', () => {
    type Op =
      | { k: 'frame'; db: number }
      | { k: 'mode'; m: 'voice-activity' | 'push-to-talk' | 'open' }
      | { k: 'ptt'; on: boolean }
      | { k: 'mute'; on: boolean };
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({ k: fc.constant('frame' as const), db: fc.integer({ min: -120, max: 0 }) }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          k: fc.constant('mode' as const),
          m: fc.constantFrom('voice-activity' as const, 'push-to-talk' as const, 'open' as const),
        }),
      },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('ptt' as const), on: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('mute' as const), on: fc.boolean() }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const g = new TalkGate();
        let inSpurt = false;
        let muted = false;
        for (const o of ops) {
          if (o.k === 'mode') g.mode = o.m;
          else if (o.k === 'ptt') g.setPushToTalk(o.on);
          else if (o.k === 'mute') {
            // A cut ends the spurt in progress, and only then.
            expect(g.setMuted(o.on)).toBe(o.on && inSpurt);
            if (o.on) inSpurt = false;
            muted = o.on;
          } else {
            const d = g.decide(o.db);
            // Muted: nothing is sent.
            if (muted) expect(d.send).toBe(false);
            if (!d.send) {
              expect(inSpurt).toBe(false);
              continue;
            }
            if (d.flags === AudioFlag.TalkStart) {
              expect(inSpurt).toBe(false);
              inSpurt = true;
            } else {
              expect(inSpurt).toBe(true);
              if (d.flags === AudioFlag.TalkEnd) inSpurt = false;
              else expect(d.flags).toBe(0);
            }
            expect(g.isTalking).toBe(inSpurt);
          }
        }
      }),
    );
  });
});
