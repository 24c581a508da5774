/** The part of @jitsi/rnnoise-wasm (an Emscripten build of RNNoise, no types of its own) that rnnoise.ts uses. */
declare module '@jitsi/rnnoise-wasm/dist/rnnoise-sync.js' {
  export interface RnnoiseWasmModule {
    readonly ready: Promise<RnnoiseWasmModule>;
    readonly HEAPF32: Float32Array;
    _rnnoise_create(model: number): number;
    _rnnoise_destroy(state: number): void;
    _rnnoise_process_frame(state: number, out: number, input: number): number;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  }
  const createRNNWasmModuleSync: (overrides?: object) => RnnoiseWasmModule;
  export default createRNNWasmModuleSync;
}
