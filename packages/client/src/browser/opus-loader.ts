import { instantiateOpus, type OpusModule } from '../audio/opus.js';

/**
 * libopus (the `.wasm` of `@evan/opus`) fetched from `url` and compiled:
 * the module the playout worklet instantiates (a WebAssembly.Module can be
 * handed to a worklet; its bytes need not be fetched twice). The app serves
 * the file: with Vite, `import opusUrl from '@evan/opus/wasm/opus.wasm?url'`.
 * Cached per URL.
 */
const modules = new Map<string, Promise<WebAssembly.Module>>();

export function loadOpusModule(url: string | URL): Promise<WebAssembly.Module> {
  return cached(modules, String(url), async () => {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`opus.wasm: ${res.status} from ${String(url)}`);
    return WebAssembly.compile(await res.arrayBuffer());
  });
}

/** libopus from `url`, compiled and instantiated on this thread (the wasm encoder's). Cached per URL. */
const instances = new Map<string, Promise<OpusModule>>();

export function loadOpusWasm(url: string | URL): Promise<OpusModule> {
  return cached(instances, String(url), async () => instantiateOpus(await loadOpusModule(url)));
}

/** A promise per key, forgotten when it fails (the next call tries again). */
function cached<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (p === undefined) {
    p = make();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
