/**
 * The microphone side of the browser engine: getUserMedia → a
 * MediaStreamAudioSourceNode → the `parley-capture` worklet, which posts
 * 20 ms frames to the main thread; frames are resampled to 48 kHz when the
 * context runs at another rate, and denoised by RNNoise when asked. The
 * input device and the browser's processing can change without stopping
 * the frames: the new source is connected before the old one is stopped.
 *
 * Unplugged: when the browser ends the track (the device went away), the
 * capture moves to the system's default microphone and says so
 * (`onInputChange`); when the chosen device is listed again
 * (`devicechange`), it goes back to it.
 */
import { SAMPLE_RATE } from '@parley/protocol';
import { resampleTo48k } from '../audio/resample.js';
import type { Denoiser } from './rnnoise.js';
import { CAPTURE_PROCESSOR, loadWorklets, type CaptureFrame } from './worklet-source.js';

/** The browser's own processing (getUserMedia constraints) and RNNoise. */
export interface AudioProcessing {
  echoCancellation?: boolean;
  noiseSuppression?: boolean;
  autoGainControl?: boolean;
  /** RNNoise (WebAssembly) on the captured frames; loaded on first use. */
  rnnoise?: boolean;
}

export interface MicCaptureOptions {
  inputDeviceId?: string;
  processing?: AudioProcessing;
  /** Frame length in ms (default 20). */
  frameMs?: number;
  /** Each frame: 48 kHz mono, −1…1 (owned by the callee). */
  onFrame: (pcm: Float32Array<ArrayBuffer>) => void;
  /**
   * The chosen microphone went away and the default one is used instead
   * (`lost`, with the error when there is no microphone left at all), or it
   * came back and is used again (`back`).
   */
  onInputChange?: (change: InputChange) => void;
}

/** `deviceId`: the microphone chosen (undefined: the default). */
export interface InputChange {
  state: 'lost' | 'back';
  deviceId: string | undefined;
  /** `lost` only: there is no microphone left at all (nothing is captured until one is plugged in). */
  error?: unknown;
}

type Live = { stream: MediaStream; source: MediaStreamAudioSourceNode };

export class MicCapture {
  private live: Live | null = null;
  private denoiser: Denoiser | null = null;
  private processing: AudioProcessing;
  /** The microphone asked for (undefined: the default). */
  private deviceId: string | undefined;
  /** The chosen one went away: the default is in use (or nothing, when acquiring it failed). */
  private fallback = false;
  /** `setInputDevice` calls under way: the microphone they ask for stands, whatever went away meanwhile. */
  private choosing = 0;
  private closed = false;
  /** A track ended and device changes are handled one after the other (an unplug brings both at once). */
  private checks: Promise<void> = Promise.resolve();
  private readonly onDeviceChange = (): void => this.serially(() => this.maybeBack());
  /** Frames delivered. */
  frames = 0;

  private constructor(
    private readonly ctx: AudioContext,
    private readonly node: AudioWorkletNode,
    private readonly opts: MicCaptureOptions,
  ) {
    this.processing = { ...opts.processing };
    this.deviceId = opts.inputDeviceId;
    node.port.onmessage = (e: MessageEvent<CaptureFrame>) => this.onFrame(e.data.pcm);
    navigator.mediaDevices.addEventListener('devicechange', this.onDeviceChange);
  }

  /** Asks for the microphone and starts delivering frames. */
  static async open(ctx: AudioContext, opts: MicCaptureOptions): Promise<MicCapture> {
    await loadWorklets(ctx);
    const frame = Math.round((ctx.sampleRate * (opts.frameMs ?? 20)) / 1000);
    const node = new AudioWorkletNode(ctx, CAPTURE_PROCESSOR, {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      channelCount: 1,
      channelCountMode: 'explicit',
      processorOptions: { frame },
    });
    // The processor writes nothing to its output; being connected keeps it rendered.
    node.connect(ctx.destination);
    const capture = new MicCapture(ctx, node, opts);
    try {
      await capture.setRnnoise(opts.processing?.rnnoise === true);
      await capture.acquire();
    } catch (err) {
      await capture.close();
      throw err;
    }
    return capture;
  }

  /** The current microphone track (null once closed). */
  get track(): MediaStreamTrack | null {
    return this.live?.stream.getAudioTracks()[0] ?? null;
  }

  get inputDeviceId(): string | undefined {
    return this.deviceId;
  }

  /** Switches to another microphone; frames keep coming (from the old one until the new one is connected). */
  async setInputDevice(deviceId: string): Promise<void> {
    this.deviceId = deviceId === '' ? undefined : deviceId;
    this.fallback = false;
    this.choosing++;
    try {
      await this.acquire();
    } finally {
      this.choosing--;
    }
  }

  /** Changes the processing: RNNoise at once, the browser's own by re-acquiring the microphone. */
  async setProcessing(p: AudioProcessing): Promise<void> {
    const browserChanged =
      (p.echoCancellation !== undefined && p.echoCancellation !== this.processing.echoCancellation) ||
      (p.noiseSuppression !== undefined && p.noiseSuppression !== this.processing.noiseSuppression) ||
      (p.autoGainControl !== undefined && p.autoGainControl !== this.processing.autoGainControl);
    this.processing = { ...this.processing, ...p };
    if (p.rnnoise !== undefined) await this.setRnnoise(p.rnnoise);
    // applyConstraints does not reliably switch Chromium's processing on a live track: a new one does.
    if (browserChanged) await this.acquire();
  }

  /** The processing asked for (what the track reports may differ: see `track.getSettings()`). */
  get currentProcessing(): AudioProcessing {
    return { ...this.processing };
  }

  /** Stops the track, the worklet and RNNoise. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    navigator.mediaDevices.removeEventListener('devicechange', this.onDeviceChange);
    this.node.port.onmessage = null;
    this.node.port.postMessage('close');
    this.node.disconnect();
    this.node.port.close();
    this.release(this.live);
    this.live = null;
    this.denoiser?.close();
    this.denoiser = null;
    await Promise.resolve();
  }

  private async setRnnoise(on: boolean): Promise<void> {
    if (!on) {
      this.denoiser?.close();
      this.denoiser = null;
      return;
    }
    if (this.denoiser !== null) return;
    const { loadRnnoise } = await import('./rnnoise.js');
    const d = await loadRnnoise();
    if (this.closed || this.processing.rnnoise !== true) d.close();
    else this.denoiser = d;
  }

  private async acquire(): Promise<void> {
    const p = this.processing;
    const id = this.fallback ? undefined : this.deviceId;
    const audio: MediaTrackConstraints = {
      channelCount: 1,
      echoCancellation: p.echoCancellation ?? true,
      noiseSuppression: p.noiseSuppression ?? true,
      autoGainControl: p.autoGainControl ?? true,
      ...(id === undefined ? {} : { deviceId: { exact: id } }),
    };
    const stream = await navigator.mediaDevices.getUserMedia({ audio });
    if (this.closed) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    const source = this.ctx.createMediaStreamSource(stream);
    source.connect(this.node);
    const old = this.live;
    const live: Live = { stream, source };
    this.live = live;
    // `ended` comes from the browser only (the device went away, the permission was revoked), never from our own stop().
    for (const t of stream.getAudioTracks()) t.onended = () => this.serially(() => this.lost(live));
    this.release(old);
  }

  private serially(fn: () => Promise<void>): void {
    this.checks = this.checks.then(fn).catch(() => undefined);
  }

  /** The browser ended the live track: carry on with the default microphone. */
  private async lost(live: Live): Promise<void> {
    if (this.closed || this.live !== live) return;
    this.live = null;
    this.release(live);
    // Another microphone was chosen meanwhile and is on its way: not the default in its place.
    if (this.choosing > 0) return;
    this.fallback = this.deviceId !== undefined;
    try {
      await this.acquire();
      if (!this.closed) this.opts.onInputChange?.({ state: 'lost', deviceId: this.deviceId });
    } catch (error) {
      // No microphone at all: the next `devicechange` tries again.
      this.fallback = true;
      if (!this.closed) this.opts.onInputChange?.({ state: 'lost', deviceId: this.deviceId, error });
    }
  }

  /** Devices changed: go back to the chosen microphone if it is listed again (or take any, when none is live). */
  private async maybeBack(): Promise<void> {
    if (this.closed || !this.fallback) return;
    const id = this.deviceId;
    if (id !== undefined) {
      const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
      if (!devices.some((d) => d.kind === 'audioinput' && d.deviceId === id)) {
        // Still gone; with no microphone live, the default one at least, if one came.
        if (this.live === null && !this.closed) {
          await this.acquire().then(
            () => {
              if (!this.closed) this.opts.onInputChange?.({ state: 'lost', deviceId: id });
            },
            () => undefined,
          );
        }
        return;
      }
    }
    if (this.closed || !this.fallback || this.deviceId !== id) return;
    this.fallback = false;
    try {
      await this.acquire();
      if (!this.closed) this.opts.onInputChange?.({ state: 'back', deviceId: id });
    } catch {
      this.fallback = true;
    }
  }

  private release(l: Live | null): void {
    if (l === null) return;
    l.source.disconnect();
    for (const t of l.stream.getTracks()) {
      t.onended = null;
      t.stop();
    }
  }

  private onFrame(raw: Float32Array<ArrayBuffer>): void {
    if (this.closed) return;
    const pcm =
      this.ctx.sampleRate === SAMPLE_RATE
        ? raw
        : (resampleTo48k(raw, this.ctx.sampleRate) as Float32Array<ArrayBuffer>);
    this.denoiser?.process(pcm);
    this.frames++;
    this.opts.onFrame(pcm);
  }
}
