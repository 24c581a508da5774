/**
 * The two AudioWorklet processors of the browser engine, as one module's
 * source text, loaded from a Blob URL (no file to serve, nothing for the
 * app's bundler to know about):
 *
 * - `parley-capture`: the microphone's render quanta (128 samples) gathered
 *   into frames of `frame` samples (20 ms at the context's rate), each
 *   posted to the main thread as a transferred Float32Array.
 * - `parley-playback`: the microphone test's loopback (a call plays through
 *   the `parley-playout` worklet, playout/). Plays a PlaybackRing fed by the main thread; asks for
 *   the next frame (`{type:'need'}`) when fewer than `lowWater` samples are
 *   buffered, so the audio clock — not a timer — paces the mixing. When an
 *   answer comes too late (an underrun while asking), `lowWater` rises by a
 *   render quantum, up to `maxLowWater`; after `calmSamples` (1 s) without one it
 *   falls back a quantum, down to the configured floor: the output buffers
 *   what this machine's main thread needs, and no more.
 *
 * The ring's code is PlaybackRing's own (its `toString()`), so the worklet
 * runs exactly what the unit tests check.
 */
import { PlaybackRing } from './playback-ring.js';

/** Messages the playback processor posts. */
export interface PlaybackNeed {
  type: 'need';
  /** Samples buffered when it asked. */
  fill: number;
  /** The fill it asks below now (it rises after an underrun, falls back after calm seconds). */
  lowWater: number;
  underruns: number;
  underrunSamples: number;
  overruns: number;
}

/** Messages the capture processor posts: one frame of the microphone. */
export interface CaptureFrame {
  pcm: Float32Array<ArrayBuffer>;
}

export const CAPTURE_PROCESSOR = 'parley-capture';
export const PLAYBACK_PROCESSOR = 'parley-playback';

function workletSource(): string {
  return `
const Ring = (${PlaybackRing.toString()});
class ParleyCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.size = options.processorOptions.frame;
    this.buf = new Float32Array(this.size);
    this.n = 0;
    this.closed = false;
    this.port.onmessage = (e) => { if (e.data === 'close') { this.closed = true; this.port.onmessage = null; } };
  }
  process(inputs) {
    if (this.closed) return false;
    const input = inputs[0];
    const ch = input !== undefined && input.length > 0 ? input[0] : undefined;
    const len = ch === undefined ? 128 : ch.length;
    for (let i = 0; i < len; i++) {
      this.buf[this.n++] = ch === undefined ? 0 : ch[i];
      if (this.n === this.size) {
        this.port.postMessage({ pcm: this.buf }, [this.buf.buffer]);
        this.buf = new Float32Array(this.size);
        this.n = 0;
      }
    }
    return true;
  }
}
class ParleyPlayback extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions;
    this.ring = new Ring(o.capacity);
    this.minLowWater = o.lowWater;
    this.maxLowWater = o.maxLowWater;
    this.lowWater = o.lowWater;
    this.calm = 0;
    this.calmLimit = o.calmSamples;
    this.pending = false;
    this.closed = false;
    this.port.onmessage = (e) => {
      const d = e.data;
      if (d.type === 'pcm') { this.ring.write(d.pcm); this.pending = false; }
      else if (d.type === 'clear') this.ring.clear();
      else if (d.type === 'close') { this.closed = true; this.port.onmessage = null; }
    };
  }
  process(_inputs, outputs) {
    if (this.closed) return false;
    const out = outputs[0];
    if (out === undefined || out.length === 0) return true;
    const ch0 = out[0];
    const got = this.ring.read(ch0);
    for (let c = 1; c < out.length; c++) out[c].set(ch0);
    // The main thread answered too late: ask earlier from now on. Calm for a while: a bit later again.
    if (got < ch0.length && this.pending) {
      this.lowWater = Math.min(this.maxLowWater, this.lowWater + ch0.length);
      this.calm = 0;
    } else if ((this.calm += ch0.length) >= this.calmLimit) {
      this.calm = 0;
      this.lowWater = Math.max(this.minLowWater, this.lowWater - ch0.length);
    }
    if (!this.pending && this.ring.fill < this.lowWater) {
      this.pending = true;
      const r = this.ring;
      this.port.postMessage({ type: 'need', fill: r.fill, lowWater: this.lowWater, underruns: r.underruns, underrunSamples: r.underrunSamples, overruns: r.overruns });
    }
    return true;
  }
}
registerProcessor('${CAPTURE_PROCESSOR}', ParleyCapture);
registerProcessor('${PLAYBACK_PROCESSOR}', ParleyPlayback);
`;
}

const loaded = new WeakMap<BaseAudioContext, Promise<void>>();

/** Adds the processors to a context (once per context). */
export function loadWorklets(ctx: BaseAudioContext): Promise<void> {
  let p = loaded.get(ctx);
  if (p === undefined) {
    const url = URL.createObjectURL(new Blob([workletSource()], { type: 'text/javascript' }));
    p = ctx.audioWorklet.addModule(url).finally(() => URL.revokeObjectURL(url));
    loaded.set(ctx, p);
  }
  return p;
}
