/**
 * Where things are, for the benchmarks that start other processes. The
 * benchmarks run compiled, from bench/dist/ (`npm run build` compiles
 * bench/tsconfig.json after the packages); this file is bench/dist/paths.js.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The `parley-server` binary (runs packages/server/dist). */
export const SERVER_BIN = join(ROOT, 'packages/server/bin/parley-server.js');
/** The `parley` CLI (runs packages/tools/dist). */
export const CLI_BIN = join(ROOT, 'packages/tools/bin/parley.js');

/** A compiled benchmark file next to this one, e.g. `benchFile('relay-child.js')`. */
export function benchFile(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}
