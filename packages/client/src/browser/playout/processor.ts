/**
 * The entry of the playout worklet bundle (built by
 * packages/client/scripts/bundle-playout.js into playout-bundle.generated.ts,
 * loaded from a Blob URL by worklet-node.ts): the `parley-playout`
 * AudioWorkletProcessor, a thin shell around PlayoutEngine. It runs in an
 * AudioWorkletGlobalScope, never on a page: nothing imports this module.
 */
import { instantiateOpusSync } from '../../audio/opus.js';
import { PlayoutEngine } from './engine.js';
import { PLAYOUT_PROCESSOR, type FromPlayout, type PlayoutInit, type ToPlayout } from './messages.js';

// The AudioWorkletGlobalScope, as much of it as is used (TypeScript has no lib for it).
declare abstract class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(
  name: string,
  ctor: new (options: { processorOptions: PlayoutInit }) => AudioWorkletProcessor,
): void;
declare const currentFrame: number;
declare const sampleRate: number;

/** The worklet's clock: the context's, in ms (the scope has no `performance`). */
function nowMs(): number {
  return (currentFrame / sampleRate) * 1000;
}

class ParleyPlayout extends AudioWorkletProcessor {
  private engine: PlayoutEngine | null = null;

  constructor(options: { processorOptions: PlayoutInit }) {
    super();
    const { opus, ...init } = options.processorOptions;
    const post = (m: FromPlayout, transfer: Transferable[] = []): void => this.port.postMessage(m, transfer);
    try {
      this.engine = new PlayoutEngine(instantiateOpusSync(opus), { ...init, sampleRate }, post);
      post({ t: 'ready' });
    } catch (err) {
      post({ t: 'error', message: err instanceof Error ? err.message : String(err) });
      return;
    }
    this.port.onmessage = (e: MessageEvent<ToPlayout>) => {
      this.engine?.receive(e.data, nowMs());
      if (e.data.t === 'close') {
        this.engine = null;
        this.port.onmessage = null;
      }
    };
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const engine = this.engine;
    if (engine === null) return false;
    const out = outputs[0];
    const ch0 = out?.[0];
    if (out === undefined || ch0 === undefined) return true;
    engine.render(ch0, currentFrame);
    for (let c = 1; c < out.length; c++) out[c]!.set(ch0);
    return true;
  }
}

registerProcessor(PLAYOUT_PROCESSOR, ParleyPlayout);
