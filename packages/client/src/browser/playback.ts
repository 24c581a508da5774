/**
 * The speaker side of the browser engine: the `parley-playback` worklet
 * plays a bounded ring and asks for a frame whenever it runs low; each ask
 * pulls one mixed 48 kHz frame from `pull` (the Receiver), which the main
 * thread converts and posts. The audio clock paces the mix, not a timer.
 * Output device: `AudioContext.setSinkId` (Chromium 110+).
 */
import { FRAME_SAMPLES, SAMPLE_RATE } from '@parley/protocol';
import { int16ToFloat, resampleTo48k } from '../audio/resample.js';
import { catchUpDrops } from './catch-up.js';
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
  /** Mixed frames dropped to catch up after underruns. */
  skipped: number;
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
  /**
   * Frames the source can drop without starving (Receiver.excessFrames): after
   * the output played silence because the main thread was late, the mix is
   * behind the audio clock; up to this many frames are pulled and dropped to
   * catch up. Absent: never.
   */
  excess?: () => number;
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
    skipped: 0,
  };
  private readonly taps = new Set<OutputTap>();
  private deafened = false;
  private closed = false;
  /** Frames pulled. */
  frames = 0;
  /** Frames pulled and dropped to catch up with the audio clock after underruns. */
  skipped = 0;
  /** Silence played (underruns) that the mix has not caught up with yet, in context samples. */
  private debt = 0;
  private lastUnderrunSamples = 0;

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
        calmSamples: rate,
      },
    });
    node.connect(ctx.destination);
    return new Playback(ctx, node, opts);
  }

  get ringStats(): PlaybackRingStats {
    return { ...this.ring, skipped: this.skipped };
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

  /** The output device the context plays on (`AudioContext.sinkId`; `''` = the system default). */
  get outputDeviceId(): string {
    const id = (this.ctx as AudioContext & { sinkId?: unknown }).sinkId;
    return typeof id === 'string' ? id : '';
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

  /**
   * Keeps the mix on time. Two ways it falls behind the packets: the output
   * played silence while the main thread was late (`underrunSamples`, the
   * debt), and the output device's clock runs slower than the sender's (a
   * starved audio thread, or plain clock drift) — then the jitter buffers
   * fill with no underrun at all. Either way, whole frames the jitter
   * buffers hold beyond their target are pulled and dropped (never more
   * than that excess, so no buffer is starved): for a debt, as many as it
   * covers; otherwise one per ask while two or more are in excess.
   * A debt that cannot be paid now (nothing in excess) is forgiven.
   */
  private catchUp(underrunSamples: number): void {
    this.debt += underrunSamples - this.lastUnderrunSamples;
    this.lastUnderrunSamples = underrunSamples;
    if (this.opts.excess === undefined) return;
    const frameCtx = (this.ctx.sampleRate * FRAME_SAMPLES) / SAMPLE_RATE;
    const r = catchUpDrops(this.debt, frameCtx, this.opts.excess());
    this.debt = r.debt;
    let drops = r.drops;
    while (drops-- > 0) {
      this.opts.pull();
      this.skipped++;
    }
  }

  private onNeed(n: PlaybackNeed): void {
    if (this.closed) return;
    this.ring.underruns = n.underruns;
    this.ring.underrunSamples = n.underrunSamples;
    this.ring.overruns = n.overruns;
    this.ring.fill = n.fill;
    this.ring.lowWaterMs = (n.lowWater / this.ctx.sampleRate) * 1000;
    this.catchUp(n.underrunSamples);
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
