import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AudioFlag } from '@parley/protocol';
import { BufferSource, StreamSender } from './sender.js';
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
