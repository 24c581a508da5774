/**
 * RNNoise (Xiph's recurrent-network noise suppressor) as WebAssembly, from
 * the npm package `@jitsi/rnnoise-wasm` (its self-contained build: the
 * wasm is inside the JavaScript, so there is no file to serve). Loaded
 * lazily, on the first `loadRnnoise()`: nobody who leaves it off pays for
 * its 1.9 MB. RNNoise works on 10 ms frames (480 samples at 48 kHz) of
 * int16-scaled floats.
 */

/** Samples per RNNoise frame (10 ms at 48 kHz). */
export const RNNOISE_FRAME = 480;

/** One suppressor state (one microphone). */
export interface Denoiser {
  /** Denoises a 48 kHz frame in place (a multiple of 480 samples, −1…1). Returns RNNoise's voice probability of its last 10 ms. */
  process(frame: Float32Array): number;
  /** Frees the state; later calls do nothing. Idempotent. */
  close(): void;
}

let modulePromise: Promise<import('@jitsi/rnnoise-wasm/dist/rnnoise-sync.js').RnnoiseWasmModule> | null =
  null;

function loadModule(): Promise<import('@jitsi/rnnoise-wasm/dist/rnnoise-sync.js').RnnoiseWasmModule> {
  modulePromise ??= import('@jitsi/rnnoise-wasm/dist/rnnoise-sync.js').then((m) => m.default().ready);
  return modulePromise;
}

/** A new RNNoise state (loads the wasm on first use). */
export async function loadRnnoise(): Promise<Denoiser> {
  const m = await loadModule();
  const state = m._rnnoise_create(0);
  const buf = m._malloc(RNNOISE_FRAME * 4);
  if (state === 0 || buf === 0) throw new Error('rnnoise: out of wasm memory');
  let closed = false;
  return {
    process(frame: Float32Array): number {
      if (closed) return 0;
      let vad = 0;
      for (let off = 0; off + RNNOISE_FRAME <= frame.length; off += RNNOISE_FRAME) {
        const heap = m.HEAPF32; // taken per frame: memory may have grown
        const p = buf >> 2;
        for (let i = 0; i < RNNOISE_FRAME; i++) heap[p + i] = frame[off + i]! * 32768;
        vad = m._rnnoise_process_frame(state, buf, buf);
        const out = m.HEAPF32;
        for (let i = 0; i < RNNOISE_FRAME; i++) frame[off + i] = out[p + i]! / 32768;
      }
      return vad;
    },
    close(): void {
      if (closed) return;
      closed = true;
      m._rnnoise_destroy(state);
      m._free(buf);
    },
  };
}
