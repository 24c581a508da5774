/**
 * BrowserVoice's cut by mute (docs/protocol.md, "Cut by mute"), without a
 * browser: the engine is made by its private constructor with a fake
 * client, and an encoder that hands each frame straight back to `send`.
 */
import { describe, expect, it } from 'vitest';
import { AudioFlag, CUT_FLAGS } from '@parley/protocol';
import type { VoiceClient } from '../core/voice-client.js';
import { BrowserVoice } from './voice.js';

interface Engine {
  timestamp: number;
  encoder: { encode: (pcm: Float32Array, ts: number, flags: number) => void } | null;
  onFrame(pcm: Float32Array): void;
  send(opus: Uint8Array, timestamp: number, flags: number): void;
  setMuted(muted: boolean): void;
}

function engine(): { voice: Engine; sent: { ts: number; flags: number }[] } {
  const sent: { ts: number; flags: number }[] = [];
  const client = {
    joined: { media: { frameMs: 20 } },
    sealAudio: (opus: Uint8Array, ts: number, flags: number) => (sent.push({ ts, flags }), opus),
    sendPacket: () => undefined,
  } as unknown as VoiceClient;
  const Ctor = BrowserVoice as unknown as new (
    client: VoiceClient,
    ctx: unknown,
    ownsContext: boolean,
    opts: object,
  ) => Engine;
  const voice = new Ctor(client, {}, false, { mode: 'open' });
  voice.encoder = { encode: (_pcm, ts, flags) => voice.send(Uint8Array.of(0xfc), ts, flags) };
  return { voice, sent };
}

const loud = (): Float32Array => new Float32Array(960).fill(0.25);

describe('BrowserVoice: frames older than a cut are dropped', () => {
  it('frames captured after the unmute are still sent 2^31 samples (12.4 h) after the cut', () => {
    const { voice, sent } = engine();
    voice.timestamp = 1000;
    for (let i = 0; i < 3; i++) voice.onFrame(loud());
    voice.setMuted(true);
    const cut = sent.find((p) => p.flags === CUT_FLAGS)!;
    expect(cut.ts).toBe(1000 + 3 * 960);
    voice.setMuted(false);
    voice.onFrame(loud());
    expect(sent.at(-1)!.flags & AudioFlag.TalkStart).toBe(AudioFlag.TalkStart);
    // Twelve and a half hours of talking later (the timestamp counts every captured frame, silent or
    // not; nothing else of the engine's state depends on it): the frames must still go out.
    voice.timestamp = (cut.ts + 2 ** 31 + 960) >>> 0;
    const before = sent.length;
    for (let i = 0; i < 5; i++) voice.onFrame(loud());
    expect(sent.length - before).toBe(5);
  });

  it('a frame still in the encoder at the cut is dropped, across the 32-bit wrap', () => {
    const { voice, sent } = engine();
    voice.timestamp = 2 ** 32 - 960;
    // The encoder holds this frame (ts 2^32 − 960) until after the cut, whose timestamp wraps to 0.
    let held: [number, number] | null = null;
    const real = voice.encoder!;
    voice.encoder = { encode: (_pcm, ts, flags) => void (held = [ts, flags]) };
    voice.onFrame(loud());
    voice.setMuted(true);
    expect(sent.at(-1)!.ts).toBe(0);
    voice.encoder = real;
    const before = sent.length;
    voice.send(Uint8Array.of(0xfc), held![0], held![1]);
    expect(sent.length).toBe(before);
  });
});
