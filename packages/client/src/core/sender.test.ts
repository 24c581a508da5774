import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AudioFlag, CUT_FLAGS } from '@parley/protocol';
import { BufferSource, CUT_COPIES, StreamSender } from './sender.js';
import { TalkGate } from './talk-gate.js';
import type { VoiceClient } from './voice-client.js';

describe('StreamSender and the end of its source', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Sends `frames` frames of a BufferSource; the flags each packet was sealed with. */
  async function flagsOf(frames: number, loop: boolean, extraSamples = 0): Promise<number[]> {
    const flags: number[] = [];
    const client = {
      sealAudio: (opus: Uint8Array, _ts: number, f: number) => (flags.push(f), opus),
      sendPacket: () => undefined,
    } as unknown as VoiceClient;
    const encoder = { encode: () => Uint8Array.of(0xfc, 1, 2) };
    const source = new BufferSource(new Int16Array(960 * frames + extraSamples), 960, loop);
    const sender = new StreamSender(client, encoder, source);
    const done = sender.run();
    await vi.advanceTimersByTimeAsync(20 * (frames + 3));
    sender.stop();
    await done;
    return flags;
  }

  it('marks the last frame of a file TALK_END (and the first TALK_START), so listeners stop there', async () => {
    const flags = await flagsOf(5, false);
    expect(flags).toHaveLength(5);
    expect(flags[0]! & AudioFlag.TalkStart).toBe(AudioFlag.TalkStart);
    expect(flags.slice(0, 4).every((f) => (f & AudioFlag.TalkEnd) === 0)).toBe(true);
    expect(flags[4]! & AudioFlag.TalkEnd).toBe(AudioFlag.TalkEnd);
    // A partial last frame is the last too.
    const partial = await flagsOf(2, false, 100);
    expect(partial.map((f) => (f & AudioFlag.TalkEnd) !== 0)).toEqual([false, false, true]);
  });

  it('never marks a looping source’s frames TALK_END', async () => {
    const flags = await flagsOf(3, true);
    expect(flags.length).toBeGreaterThan(3);
    expect(flags.some((f) => (f & AudioFlag.TalkEnd) !== 0)).toBe(false);
  });
});

describe('StreamSender.setMuted: a spurt cut by mute (docs/protocol.md, "Cut by mute")', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** What was sealed: flags, timestamp and payload length, in order. */
  async function mutedRun(gate?: TalkGate): Promise<{ flags: number; ts: number; bytes: number }[]> {
    const sealed: { flags: number; ts: number; bytes: number }[] = [];
    const client = {
      sealAudio: (opus: Uint8Array, ts: number, flags: number) => (
        sealed.push({ flags, ts, bytes: opus.length }),
        opus
      ),
      sendPacket: () => undefined,
    } as unknown as VoiceClient;
    const encoder = { encode: () => Uint8Array.of(0xfc, 1, 2) };
    // A loud looping source: voice activation passes every frame.
    const source = new BufferSource(new Int16Array(960 * 4).fill(8000), 960, true);
    const sender = new StreamSender(client, encoder, source, {
      initialTimestamp: 0,
      ...(gate ? { gate } : {}),
    });
    const done = sender.run();
    await vi.advanceTimersByTimeAsync(20 * 3 + 5); // frames 0–3 sent (the clock's first tick is at 0)
    sender.setMuted(true);
    const atCut = sealed.length;
    sender.setMuted(true); // again: nothing more
    expect(sealed.length).toBe(atCut);
    await vi.advanceTimersByTimeAsync(20 * 3);
    expect(sealed.length).toBe(atCut); // muted: nothing sent
    sender.setMuted(false);
    await vi.advanceTimersByTimeAsync(20 * 2);
    sender.stop();
    await done;
    return sealed;
  }

  for (const withGate of [false, true]) {
    it(`${withGate ? 'with a voice-activation gate' : 'without a gate'}: at once, one empty TALK_END | CUT with the next frame's timestamp; the next spurt starts with TALK_START`, async () => {
      const sealed = await mutedRun(
        withGate ? new TalkGate({ mode: 'voice-activity', thresholdDb: -40 }) : undefined,
      );
      const cutAt = sealed.findIndex((p) => p.flags === CUT_FLAGS);
      expect(cutAt).toBeGreaterThan(0);
      // Twice, back to back (a copy lost on UDP costs nothing), and nothing else at the mute.
      expect(sealed.filter((p) => p.flags === CUT_FLAGS)).toHaveLength(CUT_COPIES);
      expect(sealed[cutAt + 1]!.flags).toBe(CUT_FLAGS);
      const cut = sealed[cutAt]!;
      expect(cut.bytes).toBe(0);
      // The frame being captured when the mute came: the one after the last sent.
      expect(cut.ts).toBe(sealed[cutAt - 1]!.ts + 960);
      const next = sealed[cutAt + CUT_COPIES]!;
      expect(next.flags & AudioFlag.TalkStart).toBe(AudioFlag.TalkStart);
      // Muted for three frames: their time passed.
      expect(next.ts).toBeGreaterThanOrEqual(cut.ts + 3 * 960);
    });
  }

  it('a mute while the client has no media key (a reconnection) does not throw, and sends nothing', () => {
    const sendPacket = vi.fn();
    const client = {
      sealAudio: () => {
        throw new Error('join a channel first');
      },
      sendPacket,
    } as unknown as VoiceClient;
    const gate = new TalkGate({ mode: 'open' });
    gate.decide(-10); // a spurt in progress
    const sender = new StreamSender(
      client,
      { encode: () => Uint8Array.of(0xfc) },
      new BufferSource(new Int16Array(960), 960, true),
      { gate },
    );
    expect(() => sender.setMuted(true)).not.toThrow();
    expect(sendPacket).not.toHaveBeenCalled();
    expect(gate.isMuted).toBe(true);
  });
});
