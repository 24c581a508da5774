/**
 * Opus encoders for the browser engine, behind one interface: WebCodecs'
 * `AudioEncoder` where `AudioEncoder.isConfigSupported` says it has Opus,
 * the SDK's WebAssembly libopus otherwise. Both take 48 kHz mono float
 * frames and hand back one Opus packet per frame, in order, with the
 * timestamp and flags given with its frame.
 */
import { SAMPLE_RATE } from '@parley/protocol';
import { OpusEncoder, type OpusModule } from '../audio/opus.js';
import { floatToInt16 } from '../audio/resample.js';

export type EncoderKind = 'webcodecs' | 'wasm';

/** Called with each packet, in the order its frames were given. */
export type PacketSink = (opus: Uint8Array, timestamp: number, flags: number) => void;

export interface VoiceEncoder {
  readonly kind: EncoderKind;
  /** Frames not encoded because the encoder was too far behind (WebCodecs' queue over its bound). */
  readonly dropped: number;
  /** One frame (48 kHz mono, −1…1) and what its packet carries. */
  encode(pcm: Float32Array<ArrayBuffer>, timestamp: number, flags: number): void;
  setBitrate(bps: number): void;
  close(): void;
}

/** In-band FEC on, tuned for 10 % loss, complexity 9: the CLI's settings. */
function webCodecsConfig(bitrate: number, frameSamples: number): AudioEncoderConfig {
  return {
    codec: 'opus',
    sampleRate: SAMPLE_RATE,
    numberOfChannels: 1,
    bitrate,
    opus: {
      format: 'opus',
      frameDuration: (frameSamples / SAMPLE_RATE) * 1e6,
      complexity: 9,
      useinbandfec: true,
      packetlossperc: 10,
      usedtx: false,
    },
  };
}

/** True when this browser's WebCodecs encodes Opus as we configure it. */
export async function webCodecsOpusSupported(bitrate: number, frameSamples: number): Promise<boolean> {
  if (typeof AudioEncoder === 'undefined') return false;
  try {
    const r = await AudioEncoder.isConfigSupported(webCodecsConfig(bitrate, frameSamples));
    return r.supported === true;
  } catch {
    return false;
  }
}

/** Most frames waiting inside the WebCodecs encoder before new ones are dropped (counted). */
const MAX_PENDING = 8;

class WebCodecsEncoder implements VoiceEncoder {
  readonly kind = 'webcodecs';
  /** The encoder reported an error (it is closed then: Chromium also reclaims codecs of hidden pages). */
  failed = false;
  private readonly enc: AudioEncoder;
  /** (timestamp, flags) of the frames given, oldest first: outputs come in order. */
  private readonly pending: number[] = [];
  private samples = 0;
  dropped = 0;
  errors = 0;

  constructor(
    private readonly sink: PacketSink,
    private bitrate: number,
    private readonly frameSamples: number,
  ) {
    this.enc = new AudioEncoder({
      output: (chunk) => {
        const ts = this.pending.shift();
        const flags = this.pending.shift();
        if (ts === undefined || flags === undefined) return;
        const bytes = new Uint8Array(chunk.byteLength);
        chunk.copyTo(bytes);
        this.sink(bytes, ts, flags);
      },
      error: () => {
        this.errors++;
        this.failed = true;
      },
    });
    this.enc.configure(webCodecsConfig(bitrate, frameSamples));
  }

  encode(pcm: Float32Array<ArrayBuffer>, timestamp: number, flags: number): void {
    if (this.enc.state !== 'configured') {
      this.dropped++;
      return;
    }
    if (this.pending.length >= MAX_PENDING * 2) {
      this.dropped++;
      return;
    }
    const data = new AudioData({
      format: 'f32',
      sampleRate: SAMPLE_RATE,
      numberOfFrames: pcm.length,
      numberOfChannels: 1,
      timestamp: Math.round((this.samples / SAMPLE_RATE) * 1e6),
      data: pcm,
    });
    this.samples += pcm.length;
    this.pending.push(timestamp, flags);
    this.enc.encode(data);
    data.close();
  }

  setBitrate(bps: number): void {
    if (bps === this.bitrate || this.enc.state !== 'configured') return;
    this.bitrate = bps;
    this.enc.configure(webCodecsConfig(bps, this.frameSamples));
  }

  close(): void {
    if (this.enc.state !== 'closed') this.enc.close();
    this.pending.length = 0;
  }
}

class WasmEncoder implements VoiceEncoder {
  readonly kind = 'wasm';
  readonly dropped = 0;
  private enc: OpusEncoder;
  private closed = false;

  constructor(
    private readonly opus: OpusModule,
    private readonly sink: PacketSink,
    private bitrate: number,
  ) {
    this.enc = new OpusEncoder(opus, { bitrate });
  }

  encode(pcm: Float32Array<ArrayBuffer>, timestamp: number, flags: number): void {
    if (this.closed) return;
    this.sink(this.enc.encode(floatToInt16(pcm)), timestamp, flags);
  }

  setBitrate(bps: number): void {
    if (bps === this.bitrate || this.closed) return;
    this.bitrate = bps;
    this.enc.destroy();
    this.enc = new OpusEncoder(this.opus, { bitrate: bps });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.enc.destroy();
  }
}

export interface EncoderChoice {
  /** 'auto' (default): WebCodecs when it has Opus, else wasm. */
  prefer?: EncoderKind | 'auto';
  opus: OpusModule;
  bitrate: number;
  frameSamples: number;
}

/**
 * WebCodecs while it works, then the wasm libopus: an AudioEncoder that
 * errors is closed for good (a codec failure, or Chromium reclaiming the
 * codecs of a page in the background), and the microphone must not go
 * silent for it. The frames it held are lost (counted in `dropped`).
 */
class FallbackEncoder implements VoiceEncoder {
  private inner: VoiceEncoder;
  private lost = 0;
  /** The last bitrate asked for, for the fallback. */
  private bps: number | null = null;
  switched = false;

  constructor(
    private readonly first: WebCodecsEncoder,
    private readonly fallback: () => VoiceEncoder,
  ) {
    this.inner = first;
  }

  get kind(): EncoderKind {
    return this.inner.kind;
  }

  get dropped(): number {
    return this.lost + this.inner.dropped;
  }

  encode(pcm: Float32Array<ArrayBuffer>, timestamp: number, flags: number): void {
    if (!this.switched && this.first.failed) {
      this.switched = true;
      this.lost += this.first.dropped;
      this.first.close();
      this.inner = this.fallback();
      if (this.bps !== null) this.inner.setBitrate(this.bps);
    }
    this.inner.encode(pcm, timestamp, flags);
  }

  setBitrate(bps: number): void {
    this.bps = bps;
    this.inner.setBitrate(bps);
  }

  close(): void {
    this.inner.close();
  }
}

/** The best encoder this browser has: WebCodecs (falling back to wasm if it fails), else wasm. */
export async function createEncoder(sink: PacketSink, c: EncoderChoice): Promise<VoiceEncoder> {
  const prefer = c.prefer ?? 'auto';
  if (prefer !== 'wasm' && (await webCodecsOpusSupported(c.bitrate, c.frameSamples)))
    return new FallbackEncoder(
      new WebCodecsEncoder(sink, c.bitrate, c.frameSamples),
      () => new WasmEncoder(c.opus, sink, c.bitrate),
    );
  return new WasmEncoder(c.opus, sink, c.bitrate);
}
