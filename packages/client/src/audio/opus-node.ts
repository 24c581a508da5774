import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { instantiateOpus, type OpusModule } from './opus.js';

/** The usual wasm SIMD probe: `i32.const 0; i8x16.splat; drop` validates only with SIMD. */
const SIMD_PROBE = Uint8Array.of(
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  4,
  1,
  96,
  0,
  0,
  3,
  2,
  1,
  0,
  10,
  9,
  1,
  7,
  0,
  65,
  0,
  253,
  15,
  26,
  11,
);

let shared: Promise<OpusModule> | null = null;

/** Loads libopus (SIMD build when the engine supports it) once per process. */
export function loadOpusNode(): Promise<OpusModule> {
  shared ??= (async () => {
    const pkg = createRequire(import.meta.url).resolve('@evan/opus/package.json');
    const file = WebAssembly.validate(SIMD_PROBE) ? 'simd.wasm' : 'opus.wasm';
    return instantiateOpus(await readFile(join(dirname(pkg), 'wasm', file)));
  })();
  return shared;
}
