/**
 * Opus through libopus compiled to WebAssembly (the `.wasm` shipped in the
 * `@evan/opus` package), driven by our own small wrapper so that we can use
 * what voice needs and that package's API hides: concealment of exactly one
 * frame (`opus_decode` with no data) and in-band FEC recovery
 * (`opus_decode(…, decode_fec = 1)`). Works in Node and browsers; the Node
 * loader is opus-node.ts.
 */
import { FRAME_SAMPLES, frameSamples, SAMPLE_RATE } from '@parley/protocol';

interface OpusExports {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  _initialize?: () => void;
  opus_decoder_get_size(channels: number): number;
  opus_decoder_init(st: number, rate: number, channels: number): number;
  opus_decode(st: number, data: number, len: number, pcm: number, frameSize: number, fec: number): number;
  opus_encoder_get_size(channels: number): number;
  opus_encoder_init(st: number, rate: number, channels: number, application: number): number;
  opus_encode(st: number, pcm: number, frameSize: number, data: number, maxBytes: number): number;
  opus_encoder_ctl_set(st: number, cmd: number, arg: number): number;
}

/** An instantiated libopus module; encoders and decoders share its memory. */
export interface OpusModule {
  readonly exports: OpusExports;
}

const CTL = {
  setBitrate: 4002,
  setComplexity: 4010,
  setInbandFec: 4012,
  setPacketLossPerc: 4014,
  setDtx: 4016,
  setSignal: 4024,
  signalVoice: 3001,
  applicationVoip: 2048,
} as const;

/** Largest frame libopus decodes: 120 ms at 48 kHz (5760 samples). */
const MAX_FRAME = frameSamples(120);
const MAX_PACKET = 4000;

/** The WASI and Emscripten imports libopus's module asks for: none of them is used. */
function opusImports(): WebAssembly.Imports {
  const noop = (): number => 0;
  return {
    wasi_snapshot_preview1: { proc_exit: noop, fd_close: noop, fd_write: noop, fd_seek: noop },
    env: { emscripten_notify_memory_growth: noop },
  };
}

function fromInstance(instance: WebAssembly.Instance): OpusModule {
  const exports = instance.exports as unknown as OpusExports;
  exports._initialize?.();
  return { exports };
}

/** Instantiates libopus from its wasm bytes. */
export async function instantiateOpus(wasm: Uint8Array | WebAssembly.Module): Promise<OpusModule> {
  const imports = opusImports();
  const instance =
    wasm instanceof WebAssembly.Module
      ? await WebAssembly.instantiate(wasm, imports)
      : (await WebAssembly.instantiate(wasm as BufferSource, imports)).instance;
  return fromInstance(instance);
}

/**
 * Instantiates an already compiled libopus synchronously: where nothing
 * may wait, as in an AudioWorklet's constructor (browsers refuse a
 * synchronous instantiation of a large module only on a page's main thread).
 */
export function instantiateOpusSync(module: WebAssembly.Module): OpusModule {
  return fromInstance(new WebAssembly.Instance(module, opusImports()));
}

function check(code: number, what: string): number {
  if (code < 0) throw new Error(`opus: ${what} failed (${code})`);
  return code;
}

/** Scratch memory of one encoder or decoder inside the wasm heap. */
class Native {
  readonly state: number;
  readonly pcm: number;
  readonly data: number;
  private freed = false;

  constructor(
    readonly m: OpusExports,
    stateSize: number,
  ) {
    this.state = m.malloc(stateSize);
    this.pcm = m.malloc(MAX_FRAME * 2);
    this.data = m.malloc(MAX_PACKET);
    if (this.state === 0 || this.pcm === 0 || this.data === 0) throw new Error('opus: out of wasm memory');
  }

  /** Views are taken per call: memory may have grown (and moved) since. */
  pcmView(samples: number): Int16Array {
    return new Int16Array(this.m.memory.buffer, this.pcm, samples);
  }

  dataView(bytes: number): Uint8Array {
    return new Uint8Array(this.m.memory.buffer, this.data, bytes);
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.m.free(this.state);
    this.m.free(this.pcm);
    this.m.free(this.data);
  }
}

export interface OpusEncoderOptions {
  /** Bits per second (default 32000). */
  bitrate?: number;
  /** 0–10 (default 9). */
  complexity?: number;
  /** In-band forward error correction (default on). */
  fec?: boolean;
  /** Expected loss in percent, tunes the FEC (default 10). */
  packetLossPerc?: number;
  /** Discontinuous transmission: tiny packets in silence (default on). */
  dtx?: boolean;
}

/** 48 kHz mono Opus encoder, VoIP application, voice signal. */
export class OpusEncoder {
  private readonly n: Native;
  private readonly ctl: (cmd: number, v: number) => number;

  constructor(module: OpusModule, opts: OpusEncoderOptions = {}) {
    const m = module.exports;
    this.n = new Native(m, m.opus_encoder_get_size(1));
    check(m.opus_encoder_init(this.n.state, SAMPLE_RATE, 1, CTL.applicationVoip), 'encoder init');
    const set = (cmd: number, v: number): number =>
      check(m.opus_encoder_ctl_set(this.n.state, cmd, v), `ctl ${cmd}`);
    this.ctl = set;
    set(CTL.setBitrate, opts.bitrate ?? 32000);
    set(CTL.setComplexity, opts.complexity ?? 9);
    set(CTL.setInbandFec, opts.fec === false ? 0 : 1);
    set(CTL.setPacketLossPerc, opts.packetLossPerc ?? 10);
    set(CTL.setDtx, opts.dtx === false ? 0 : 1);
    set(CTL.setSignal, CTL.signalVoice);
  }

  /**
   * The loss the listeners report (percent, 0–100): tunes in-band FEC, on
   * from 1 % (docs/protocol.md, "Redundancy", sending).
   */
  setExpectedLoss(pct: number): void {
    const p = Math.round(Math.min(100, Math.max(0, pct)));
    this.ctl(CTL.setPacketLossPerc, p);
    this.ctl(CTL.setInbandFec, p >= 1 ? 1 : 0);
  }

  /** Encodes one frame (120, 240, 480, 960, 1920 or 2880 samples) into a new packet. */
  encode(pcm: Int16Array): Uint8Array {
    const n = this.n;
    if (pcm.length > MAX_FRAME) throw new RangeError(`frame of ${pcm.length} samples is too long`);
    n.pcmView(pcm.length).set(pcm);
    const len = check(n.m.opus_encode(n.state, n.pcm, pcm.length, n.data, MAX_PACKET), 'encode');
    return n.dataView(len).slice();
  }

  destroy(): void {
    this.n.free();
  }
}

export interface OpusDecoderStats {
  decoded: number;
  concealed: number;
  recoveredByFec: number;
  /** Packets libopus refused; a concealed frame was played instead. */
  corrupt: number;
}

/** 48 kHz mono Opus decoder with exact-length concealment and FEC recovery. */
export class OpusDecoder {
  readonly stats: OpusDecoderStats = { decoded: 0, concealed: 0, recoveredByFec: 0, corrupt: 0 };
  private readonly n: Native;
  private lastFrame = FRAME_SAMPLES;

  constructor(module: OpusModule) {
    const m = module.exports;
    this.n = new Native(m, m.opus_decoder_get_size(1));
    check(m.opus_decoder_init(this.n.state, SAMPLE_RATE, 1), 'decoder init');
  }

  private run(packet: Uint8Array | null, frameSize: number, fec: 0 | 1): number {
    const n = this.n;
    if (packet === null) return n.m.opus_decode(n.state, 0, 0, n.pcm, frameSize, 0);
    n.dataView(packet.length).set(packet);
    return n.m.opus_decode(n.state, n.data, packet.length, n.pcm, frameSize, fec);
  }

  /** Decodes one packet. A packet libopus refuses becomes one concealed frame. */
  decode(packet: Uint8Array): Int16Array {
    if (packet.length === 0 || packet.length > MAX_PACKET) return this.corrupt();
    const got = this.run(packet, MAX_FRAME, 0);
    if (got <= 0) return this.corrupt();
    this.lastFrame = got;
    this.stats.decoded++;
    return this.n.pcmView(got).slice();
  }

  /**
   * Recovers the frame lost just before `next` from the FEC data carried in
   * `next`; when `next` carries none, libopus conceals instead.
   */
  decodeFec(next: Uint8Array, frameSamples = this.lastFrame): Int16Array {
    if (next.length === 0 || next.length > MAX_PACKET) return this.conceal(frameSamples);
    const got = this.run(next, frameSamples, 1);
    if (got <= 0) return this.conceal(frameSamples);
    this.stats.recoveredByFec++;
    return this.n.pcmView(got).slice();
  }

  /** Packet-loss concealment: exactly `frameSamples` samples. */
  conceal(frameSamples = this.lastFrame): Int16Array {
    const got = this.run(null, frameSamples, 0);
    this.stats.concealed++;
    if (got <= 0) return new Int16Array(frameSamples);
    return this.n.pcmView(got).slice();
  }

  private corrupt(): Int16Array {
    this.stats.corrupt++;
    return this.conceal();
  }

  destroy(): void {
    this.n.free();
  }
}
