/**
 * What the SDK's socketless long-lived objects leave after `close()` (or
 * `stop()`, the sender's end): no timer (fake timers count them), no
 * listener on the client they were given, no Opus decoder still holding
 * wasm memory (a counting OpusModule sees every malloc and free). FrameClock
 * and HelloHandshake have theirs in clock.test.ts and hello.test.ts,
 * MediaPath in media-path.test.ts; the objects that own sockets are checked
 * in test/integration/leaks-client.test.ts.
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadOpusNode } from '../audio/opus-node.js';
import { OpusEncoder, type OpusModule } from '../audio/opus.js';
import { toneInt16 } from '../audio/analysis.js';
import { Impairment } from './impair.js';
import { FakeAudioSource } from '../../../../test/helpers/sdk.js';
import { Listener } from './listener.js';
import type { AudioPacketIn } from './media-path.js';
import { Receiver } from './receiver.js';
import { recordMix } from './recorder.js';
import { BufferSource, StreamSender } from './sender.js';
import type { VoiceClient } from './voice-client.js';

let opus: OpusModule;
let packets: Uint8Array[];
beforeAll(async () => {
  opus = await loadOpusNode();
  const enc = new OpusEncoder(opus);
  const pcm = toneInt16(440, 0.2, 48000, -12);
  packets = Array.from({ length: 10 }, (_, f) => enc.encode(pcm.subarray(f * 960, f * 960 + 960)));
  enc.destroy();
});

/** The Opus module with every wasm allocation counted: `live()` is what is not freed yet. */
function countingOpus(): { module: OpusModule; live: () => number } {
  let live = 0;
  const real = opus.exports;
  const exports = {
    ...real,
    malloc: (n: number): number => {
      live++;
      return real.malloc(n);
    },
    free: (p: number): void => {
      live--;
      real.free(p);
    },
  };
  return { module: { exports }, live: () => live };
}

const audio = (ssrc: number, seq: number, arrivalMs: number): AudioPacketIn => ({
  ssrc,
  extSeq: seq,
  timestamp: seq * 960,
  flags: 0,
  payload: packets[seq % packets.length]!,
  arrivalMs,
});

describe('Receiver.close()', () => {
  it('frees every decoder, may be called again, and a packet after it allocates none', () => {
    const counted = countingOpus();
    const rx = new Receiver(counted.module);
    for (let seq = 0; seq < 6; seq++) for (const ssrc of [1, 2, 3]) rx.push(audio(ssrc, seq, seq * 20));
    for (let t = 0; t < 200; t += 20) rx.pull(t);
    expect(rx.stats().streams).toBe(3);
    expect(counted.live()).toBeGreaterThan(0);
    rx.close();
    rx.close();
    expect(counted.live()).toBe(0);
    expect(rx.stats().streams).toBe(0);
    rx.push(audio(4, 0, 300)); // a packet still in flight when the listener closed
    expect(counted.live()).toBe(0);
    expect(rx.stats().streams).toBe(0);
    expect(rx.pull(320).every((s) => s === 0)).toBe(true);
  });
});

describe('Listener.close()', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('playing: stops its clock, detaches from the client and frees the decoders; idempotent', () => {
    const counted = countingOpus();
    const client = new FakeAudioSource();
    const frames: number[] = [];
    const listener = new Listener(client, {
      opus: counted.module,
      output: (frame, pos) => frames.push(pos + frame.length),
    });
    listener.start();
    for (let seq = 0; seq < 6; seq++) {
      client.push(audio(7, seq, performance.now()));
      vi.advanceTimersByTime(20);
    }
    expect(frames.length).toBeGreaterThan(0);
    expect(vi.getTimerCount()).toBe(1);
    listener.close();
    listener.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(client.audio.size + client.events.size).toBe(0);
    expect(counted.live()).toBe(0);
  });

  it('recording: close() stops the recording clock too, and record() resolves with what was delivered', async () => {
    const counted = countingOpus();
    const client = new FakeAudioSource();
    const listener = new Listener(client, { opus: counted.module });
    let delivered = 0;
    const recorded = listener.record(60, (frame) => (delivered += frame.length));
    vi.advanceTimersByTime(100);
    expect(vi.getTimerCount()).toBe(1);
    listener.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(await recorded).toBe(delivered);
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(60 * 48000);
    expect(counted.live()).toBe(0);
    // Recording after close records nothing and leaves no clock.
    expect(await listener.record(1, () => undefined)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a recording that ends by itself leaves no listener on the signal that could end it', async () => {
    const controller = new AbortController();
    const rx = new Receiver(opus);
    for (let i = 0; i < 3; i++) {
      const recorded = recordMix(rx, 0.1, () => undefined, { signal: controller.signal });
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      vi.advanceTimersByTime(100);
      expect(await recorded).toBe(4800);
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    rx.close();
  });
});

describe('StreamSender.stop()', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('stops its clock and cancels the packets its impairment still delays; run() resolves; idempotent', async () => {
    const sent: Uint8Array[] = [];
    const client = {
      sealAudio: (opus: Uint8Array) => opus,
      sendPacket: (p: Uint8Array) => sent.push(p),
    } as unknown as VoiceClient;
    const encoder = { encode: () => Uint8Array.of(0xfc, 1, 2) };
    const source = new BufferSource(new Int16Array(960 * 10), 960, true);
    const sender = new StreamSender(client, encoder, source, {
      impairment: new Impairment({ jitterMs: 500, seed: 3 }),
      initialTimestamp: 0,
    });
    const done = sender.run();
    vi.advanceTimersByTime(200);
    expect(sender.stats.framesSent).toBeGreaterThan(5);
    expect(vi.getTimerCount()).toBeGreaterThan(1); // the clock and delayed packets
    sender.stop();
    sender.stop();
    expect(vi.getTimerCount()).toBe(0);
    await done;
    const after = sent.length;
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(after); // nothing sent after stop
  });
});
