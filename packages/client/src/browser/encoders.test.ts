/**
 * The encoder choice and the fallback from WebCodecs to the wasm libopus,
 * in Node: WebCodecs' AudioEncoder / AudioData are stood in for by small
 * fakes (Node has neither), libopus is the real one.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AudioFlag } from '@parley/protocol';
import { loadOpusNode } from '../audio/opus-node.js';
import { OpusDecoder, type OpusModule } from '../audio/opus.js';
import { rmsDbfs } from '../audio/analysis.js';
import { createEncoder } from './encoders.js';

let opus: OpusModule;
beforeAll(async () => {
  opus = await loadOpusNode();
});

/** A stand-in for WebCodecs: encodes each frame into a 3-byte "packet", or fails when told. */
class FakeAudioEncoder {
  static supported = true;
  static instances: FakeAudioEncoder[] = [];
  state: 'unconfigured' | 'configured' | 'closed' = 'unconfigured';
  configs: unknown[] = [];
  constructor(private readonly init: { output: (c: unknown) => void; error: (e: unknown) => void }) {
    FakeAudioEncoder.instances.push(this);
  }
  static isConfigSupported(): Promise<{ supported: boolean }> {
    return Promise.resolve({ supported: FakeAudioEncoder.supported });
  }
  configure(c: unknown): void {
    this.configs.push(c);
    this.state = 'configured';
  }
  encode(): void {
    this.init.output({ byteLength: 3, copyTo: (b: Uint8Array) => b.set([0xfc, 0xff, 0xfe]) });
  }
  fail(): void {
    this.state = 'closed';
    this.init.error(new Error('reclaimed'));
  }
  close(): void {
    this.state = 'closed';
  }
}
class FakeAudioData {
  close(): void {}
}

const g = globalThis as unknown as Record<string, unknown>;
function installFakes(): void {
  FakeAudioEncoder.instances = [];
  FakeAudioEncoder.supported = true;
  g.AudioEncoder = FakeAudioEncoder;
  g.AudioData = FakeAudioData;
}
afterEach(() => {
  delete g.AudioEncoder;
  delete g.AudioData;
});

const tone = (): Float32Array<ArrayBuffer> =>
  Float32Array.from({ length: 960 }, (_, i) => 0.25 * Math.sin((2 * Math.PI * 440 * i) / 48000));

describe('createEncoder', () => {
  it('takes the wasm libopus where there is no WebCodecs', async () => {
    const got: Uint8Array[] = [];
    const enc = await createEncoder((p) => got.push(p), { opus, bitrate: 32000, frameSamples: 960 });
    expect(enc.kind).toBe('wasm');
    enc.encode(tone(), 0, 0);
    expect(got).toHaveLength(1);
    enc.close();
  });

  it('takes WebCodecs when it has Opus; falls back to wasm when it fails, without losing the next frames', async () => {
    installFakes();
    const got: { opus: Uint8Array; ts: number; flags: number }[] = [];
    const enc = await createEncoder((o, ts, flags) => got.push({ opus: o, ts, flags }), {
      opus,
      bitrate: 32000,
      frameSamples: 960,
    });
    expect(enc.kind).toBe('webcodecs');
    enc.encode(tone(), 0, AudioFlag.TalkStart);
    enc.encode(tone(), 960, 0);
    expect(got.map((g) => [g.ts, g.flags])).toEqual([
      [0, AudioFlag.TalkStart],
      [960, 0],
    ]);
    enc.setBitrate(24000);
    FakeAudioEncoder.instances[0]!.fail();
    for (let i = 2; i < 12; i++) enc.encode(tone(), i * 960, 0);
    expect(enc.kind).toBe('wasm');
    expect(got.map((g) => g.ts)).toEqual(Array.from({ length: 12 }, (_, i) => i * 960));
    // What wasm encoded is real Opus: it decodes back to the tone.
    const dec = new OpusDecoder(opus);
    let last: Int16Array = new Int16Array(0);
    for (const p of got.slice(2)) last = dec.decode(p.opus);
    expect(rmsDbfs(last)).toBeGreaterThan(-20);
    dec.destroy();
    enc.close();
  });

  it('uses wasm when WebCodecs has no Opus, or when asked to', async () => {
    installFakes();
    FakeAudioEncoder.supported = false;
    const a = await createEncoder(() => undefined, { opus, bitrate: 32000, frameSamples: 960 });
    expect(a.kind).toBe('wasm');
    FakeAudioEncoder.supported = true;
    const b = await createEncoder(() => undefined, {
      opus,
      bitrate: 32000,
      frameSamples: 960,
      prefer: 'wasm',
    });
    expect(b.kind).toBe('wasm');
    a.close();
    b.close();
  });
});
