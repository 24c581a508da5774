/**
 * The settings page's microphone test, with no server: the meter of the
 * chosen input (after the chosen processing, RNNoise included) and, with
 * `loopback`, that same audio played back on the chosen output through the
 * engine's playback ring — what the others would hear, a frame later.
 */
import { SAMPLE_RATE } from '@parley/protocol';
import { rmsDbfs } from '../audio/analysis.js';
import { floatToInt16 } from '../audio/resample.js';
import { MicCapture, type AudioProcessing } from './capture.js';
import { Listeners } from './listeners.js';
import { Playback } from './playback.js';
import type { OutputTap } from './playout/worklet-node.js';

export interface MicTestOptions {
  inputDeviceId?: string;
  outputDeviceId?: string;
  loopback: boolean;
  processing?: AudioProcessing;
  audioContext?: AudioContext;
}

interface MicTestEvents {
  'input-level': [dbfs: number, sending: boolean];
}

/** Frames waiting for the loopback at most (the oldest go first; counted). */
const MAX_LOOPBACK_FRAMES = 5;

export class MicTest {
  private readonly events = new Listeners<MicTestEvents>();
  private readonly queue: Int16Array[] = [];
  private capture: MicCapture | null = null;
  private playback: Playback | null = null;
  private closing: Promise<void> | null = null;
  /** Loopback frames dropped because the output fell behind. */
  dropped = 0;

  private constructor(
    private readonly ctx: AudioContext,
    private readonly ownsContext: boolean,
  ) {}

  static async start(opts: MicTestOptions): Promise<MicTest> {
    const ctx =
      opts.audioContext ?? new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: 'interactive' });
    const t = new MicTest(ctx, opts.audioContext === undefined);
    try {
      if (opts.loopback) {
        const silence = new Int16Array(SAMPLE_RATE / 50);
        t.playback = await Playback.open(ctx, { pull: () => t.queue.shift() ?? silence });
        if (opts.outputDeviceId !== undefined) await t.playback.setOutputDevice(opts.outputDeviceId);
      }
      t.capture = await MicCapture.open(ctx, {
        ...(opts.inputDeviceId === undefined ? {} : { inputDeviceId: opts.inputDeviceId }),
        ...(opts.processing === undefined ? {} : { processing: opts.processing }),
        onFrame: (pcm) => t.onFrame(pcm),
      });
      // Without a user gesture the browser keeps a new context suspended, and resume() stays
      // pending until one comes: start() does not wait for it (call it from a click).
      if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
    } catch (err) {
      await t.close();
      throw err;
    }
    return t;
  }

  /** The level of every captured frame (dBFS RMS); `sending` is always true here. */
  on(ev: 'input-level', fn: (dbfs: number, sending: boolean) => void): () => void {
    return this.events.on(ev, fn);
  }

  /** The AudioContext in use (closed by `close()` only if MicTest made it). */
  get audioContext(): AudioContext {
    return this.ctx;
  }

  get inputTrack(): MediaStreamTrack | null {
    return this.capture?.track ?? null;
  }

  /**
   * Sees each frame handed to the loopback output (for tests and
   * measurements), as `BrowserVoice.tapOutput` does; without loopback there
   * is no output and `fn` is never called. Returns the unsubscribe.
   */
  tapOutput(fn: OutputTap): () => void {
    if (this.playback === null) return () => undefined;
    return this.playback.tap(fn);
  }

  get listenerCount(): number {
    return this.events.count;
  }

  /** Stops the microphone and the worklets; closes the AudioContext it made. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.events.clear();
      this.queue.length = 0;
      await this.capture?.close();
      this.capture = null;
      this.playback?.close();
      this.playback = null;
      if (this.ownsContext && this.ctx.state !== 'closed') await this.ctx.close();
    })();
    return this.closing;
  }

  private onFrame(pcm: Float32Array): void {
    this.events.emit('input-level', rmsDbfs(pcm), true);
    if (this.playback === null) return;
    if (this.queue.length >= MAX_LOOPBACK_FRAMES) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(floatToInt16(pcm));
  }
}
