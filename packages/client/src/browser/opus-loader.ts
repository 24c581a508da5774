import { instantiateOpus, type OpusModule } from '../audio/opus.js';

/**
 * libopus (the `.wasm` of `@evan/opus`) fetched from `url` and
 * instantiated. The app serves the file: with Vite,
 * `import opusUrl from '@evan/opus/wasm/opus.wasm?url'`. The module is
 * cached per URL.
 */
const cache = new Map<string, Promise<OpusModule>>();

export function loadOpusWasm(url: string | URL): Promise<OpusModule> {
  const key = String(url);
  let p = cache.get(key);
  if (p === undefined) {
    p = (async () => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`opus.wasm: ${res.status} from ${key}`);
      return instantiateOpus(new Uint8Array(await res.arrayBuffer()));
    })();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
