/**
 * The microphone test's loopback output (MicTest): the `parley-playback`
 * worklet plays a bounded ring and asks for a frame whenever it runs low;
 * each ask pulls one 48 kHz frame from `pull`, which the main thread
 * converts and posts. The audio clock paces it, not a timer. (A call's
 * audio does not come this way: it is decoded and mixed inside the
 * `parley-playout` worklet, playout/.)
 * Output device: `AudioContext.setSinkId` (Chromium 110+).
 */
import { SAMPLE_RATE } from '@parley/protocol';
import { int16ToFloat, resampleTo48k } from '../audio/resample.js';
import { loadWorklets, PLAYBACK_PROCESSOR } from './worklet-source.js';
import type { OutputTap } from './playout/worklet-node.js';

export interface PlaybackOptions {
  /** The next frame (48 kHz mono int16). */
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
  private closed = false;
  private readonly taps = new Set<OutputTap>();

  private constructor(
    private readonly ctx: AudioContext,
    private readonly node: AudioWorkletNode,
    private readonly opts: PlaybackOptions,
  ) {
    node.port.onmessage = () => this.onNeed();
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
        calmSamples: rate,
      },
    });
    node.connect(ctx.destination);
    return new Playback(ctx, node, opts);
  }

  /** Plays on another output device (`''` = the default). */
  async setOutputDevice(deviceId: string): Promise<void> {
    const ctx = this.ctx as AudioContext & SinkCapable;
    if (typeof ctx.setSinkId !== 'function') throw new Error('this browser cannot choose the output device');
    await ctx.setSinkId(deviceId);
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

  /** Sees every frame handed to the output (the microphone test's loopback, for tests). Returns the unsubscribe. */
  tap(fn: OutputTap): () => void {
    this.taps.add(fn);
    return () => this.taps.delete(fn);
  }

  private onNeed(): void {
    if (this.closed) return;
    const frame = this.opts.pull();
    if (this.taps.size > 0) {
      const info = { t: performance.timeOrigin + performance.now(), aheadMs: 0 };
      for (const fn of this.taps) fn(frame, info);
    }
    let pcm = int16ToFloat(frame) as Float32Array<ArrayBuffer>;
    if (this.ctx.sampleRate !== SAMPLE_RATE)
      pcm = resampleTo48k(pcm, SAMPLE_RATE, this.ctx.sampleRate) as Float32Array<ArrayBuffer>;
    this.node.port.postMessage({ type: 'pcm', pcm }, [pcm.buffer]);
  }
}
