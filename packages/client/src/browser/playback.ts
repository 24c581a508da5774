/**
 * The speaker side of the browser engine: the `parley-playback` worklet
 * plays a bounded ring and asks for a frame whenever it runs low; each ask
 * pulls one mixed 48 kHz frame from `pull` (the Receiver), which the main
 * thread converts and posts. The audio clock paces the mix, not a timer.
 * Output device: `AudioContext.setSinkId` (Chromium 110+).
 */
import { SAMPLE_RATE } from '@parley/protocol';
import { int16ToFloat, resampleTo48k } from '../audio/resample.js';
import { loadWorklets, PLAYBACK_PROCESSOR, type PlaybackNeed } from './worklet-source.js';

/** What the ring reported at the last ask. */
export interface PlaybackRingStats {
  /** Render quanta that found the ring short (silence was played). */
  underruns: number;
  underrunSamples: number;
  /** Samples dropped because the ring was full. */
  overruns: number;
  /** Samples buffered at the last ask. */
  fill: number;
  /** The output buffer the ring keeps now (ms): it adapts to how late the main thread answers. */
  lowWaterMs: number;
}

/** One frame handed to the output, for tests and measurements. */
export interface OutputTapInfo {
  /** `performance.timeOrigin + performance.now()` when the frame was posted (ms). */
  t: number;
  /** Samples of the output already queued ahead of this frame, in ms: it starts playing about this much after `t`. */
  aheadMs: number;
}

/** Called with each mixed frame (48 kHz mono int16, reused: copy what must outlive the call). */
export type OutputTap = (frame: Int16Array, info: OutputTapInfo) => void;

export interface PlaybackOptions {
  /** The next mixed frame (48 kHz mono int16). */
  pull: () => Int16Array;
  /** Ask for a frame when fewer than this many ms are buffered, at least (default 10; it rises after underruns). */
  lowWaterMs?: number;
  /** The most it rises to (default 60 ms). */
  maxLowWaterMs?: number;
  /** Ring size in ms (default 120): what a stalled main thread can catch up. */
  capacityMs?: number;
}

interface SinkCapable {
  setSinkId?: (id: string) => Promise<void>;
}

export class Playback {
  private readonly ring: PlaybackRingStats = {
    underruns: 0,
    underrunSamples: 0,
    overruns: 0,
    fill: 0,
    lowWaterMs: 0,
  };
  private readonly taps = new Set<OutputTap>();
  private deafened = false;
  private closed = false;
  /** Frames pulled. */
  frames = 0;

  private constructor(
    private readonly ctx: AudioContext,
    private readonly node: AudioWorkletNode,
    private readonly opts: PlaybackOptions,
  ) {
    node.port.onmessage = (e: MessageEvent<PlaybackNeed>) => this.onNeed(e.data);
  }

  static async open(ctx: AudioContext, opts: PlaybackOptions): Promise<Playback> {
    await loadWorklets(ctx);
    const rate = ctx.sampleRate;
    const node = new AudioWorkletNode(ctx, PLAYBACK_PROCESSOR, {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: {
        capacity: Math.round((rate * (opts.capacityMs ?? 120)) / 1000),
        lowWater: Math.round((rate * (opts.lowWaterMs ?? 10)) / 1000),
        maxLowWater: Math.round((rate * (opts.maxLowWaterMs ?? 60)) / 1000),
        calmSamples: rate * 2,
      },
    });
    node.connect(ctx.destination);
    return new Playback(ctx, node, opts);
  }

  get ringStats(): PlaybackRingStats {
    return { ...this.ring };
  }

  /** Deafened: frames are still pulled (the jitter buffers keep time) but silence is played. */
  setDeafened(on: boolean): void {
    this.deafened = on;
    if (on) this.node.port.postMessage({ type: 'clear' });
  }

  /** Plays on another output device (`''` = the default). */
  async setOutputDevice(deviceId: string): Promise<void> {
    const ctx = this.ctx as AudioContext & SinkCapable;
    if (typeof ctx.setSinkId !== 'function') throw new Error('this browser cannot choose the output device');
    await ctx.setSinkId(deviceId);
  }

  /** Sees every frame handed to the output (after deafen). Returns the unsubscribe. */
  tap(fn: OutputTap): () => void {
    this.taps.add(fn);
    return () => this.taps.delete(fn);
  }

  /** Stops the worklet. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.taps.clear();
    this.node.port.onmessage = null;
    this.node.port.postMessage({ type: 'close' });
    this.node.disconnect();
    this.node.port.close();
  }

  private onNeed(n: PlaybackNeed): void {
    if (this.closed) return;
    this.ring.underruns = n.underruns;
    this.ring.underrunSamples = n.underrunSamples;
    this.ring.overruns = n.overruns;
    this.ring.fill = n.fill;
    this.ring.lowWaterMs = (n.lowWater / this.ctx.sampleRate) * 1000;
    let frame = this.opts.pull();
    this.frames++;
    if (this.deafened) frame = frame.fill(0);
    if (this.taps.size > 0) {
      const info = {
        t: performance.timeOrigin + performance.now(),
        aheadMs: (n.fill / this.ctx.sampleRate) * 1000,
      };
      for (const fn of this.taps) fn(frame, info);
    }
    let pcm = int16ToFloat(frame) as Float32Array<ArrayBuffer>;
    if (this.ctx.sampleRate !== SAMPLE_RATE)
      pcm = resampleTo48k(pcm, SAMPLE_RATE, this.ctx.sampleRate) as Float32Array<ArrayBuffer>;
    this.node.port.postMessage({ type: 'pcm', pcm }, [pcm.buffer]);
  }
}
