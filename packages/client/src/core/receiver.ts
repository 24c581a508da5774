/**
 * The listening side of a participant: one jitter buffer and Opus decoder
 * per speaker, and a mixer. `push` takes decrypted packets as they arrive;
 * `pull` is called once per 20 ms playout tick and returns the mix, using
 * FEC (from the next packet) or concealment for missing frames and silence
 * when nobody speaks. Pure apart from the decoder it owns.
 */
import { FRAME_SAMPLES, SAMPLES_PER_MS } from '@parley/protocol';
import {
  emptyJitterStats,
  JitterBuffer,
  type JitterBufferOptions,
  type JitterBufferStats,
} from '../audio/jitter-buffer.js';
import { Mixer, type MixSource } from '../audio/mixer.js';
import { OpusDecoder, type OpusModule } from '../audio/opus.js';
import { GainMap } from './bounded-map.js';
import type { FrameTracer } from './trace.js';

export interface ReceiverOptions {
  frameSamples?: number;
  /** Speakers tracked at most; packets of further ones are counted and ignored. */
  maxStreams?: number;
  /** A stream silent this long (and not playing) is forgotten (its volume is kept). */
  idleMs?: number;
  /** Per-ssrc volumes remembered at most; the oldest set is forgotten first (default 1024). */
  maxVolumes?: number;
  jitter?: JitterBufferOptions;
  /** Records arrived / popped / decoded / played per frame (core/trace.ts); absent = no tracing. */
  tracer?: FrameTracer;
}

/** A decrypted audio packet: whose, which, when (its 48 kHz timestamp and arrival on the caller's ms clock). */
export interface ReceivedAudio {
  ssrc: number;
  extSeq: number;
  timestamp: number;
  payload: Uint8Array;
  arrivalMs: number;
}

export interface ReceiverStats extends JitterBufferStats {
  streams: number;
  ignoredStreams: number;
  concealed: number;
  recoveredByFec: number;
  corrupt: number;
}

interface Stream {
  jb: JitterBuffer;
  decoder: OpusDecoder;
  lastArrival: number;
}

export class Receiver {
  private readonly streams = new Map<number, Stream>();
  private readonly mixer = new Mixer();
  /**
   * Volumes by ssrc, apart from the streams: a stream retired after a
   * silence comes back at the volume it had. See UserVolumes for volumes
   * that follow a user across ssrcs.
   */
  private readonly volumes: GainMap<number>;
  private readonly frameSamples: number;
  private readonly maxStreams: number;
  private readonly idleMs: number;
  private ignored = 0;
  /** (ssrc, seq) pairs of the frames in the last mix, when tracing. */
  private readonly lastMix: number[] = [];
  /** Counters of streams already forgotten, so totals never go down. */
  private readonly retired: ReceiverStats;
  private closed = false;

  constructor(
    private readonly opus: OpusModule,
    private readonly opts: ReceiverOptions = {},
  ) {
    this.frameSamples = opts.frameSamples ?? FRAME_SAMPLES;
    this.maxStreams = opts.maxStreams ?? 64;
    this.idleMs = opts.idleMs ?? 5000;
    this.retired = emptyStats();
    this.volumes = new GainMap(opts.maxVolumes ?? 1024);
  }

  /** One decrypted audio packet as it arrives (`VoiceClient.onAudio` hands exactly this). */
  push(p: ReceivedAudio): void {
    if (this.closed) return; // no decoder after close(): nobody would free it
    const { ssrc, extSeq, timestamp, payload, arrivalMs } = p;
    this.opts.tracer?.mark('arrived', ssrc, extSeq);
    let s = this.streams.get(ssrc);
    if (s === undefined) {
      if (this.streams.size >= this.maxStreams) {
        this.ignored++;
        return;
      }
      s = {
        jb: new JitterBuffer({ frameMs: this.frameSamples / SAMPLES_PER_MS, ...this.opts.jitter }),
        decoder: new OpusDecoder(this.opus),
        lastArrival: arrivalMs,
      };
      this.streams.set(ssrc, s);
    }
    s.lastArrival = arrivalMs;
    s.jb.push(extSeq, timestamp, payload, arrivalMs);
  }

  /**
   * The frame of the last `pull` was written to the output, its first
   * sample at `pos`: the `played` events of the frames mixed into it.
   */
  played(pos: number): void {
    const tracer = this.opts.tracer;
    if (tracer === undefined) return;
    const t = tracer.now();
    for (let i = 0; i < this.lastMix.length; i += 2)
      tracer.mark('played', this.lastMix[i]!, this.lastMix[i + 1]!, t, pos);
  }

  /**
   * Per-speaker volume (linear gain, 1 = unchanged, 0 = local mute). It
   * outlives the stream: a speaker silent long enough to be retired comes
   * back at the same volume.
   */
  setVolume(ssrc: number, gain: number): void {
    this.volumes.set(ssrc, gain);
  }

  /** A speaker's volume (1 unless set). */
  volumeOf(ssrc: number): number {
    return this.volumes.get(ssrc);
  }

  /** One mixed frame for this playout tick. */
  pull(nowMs: number): Int16Array {
    const sources: MixSource[] = [];
    const tracer = this.opts.tracer;
    if (tracer !== undefined) this.lastMix.length = 0;
    for (const [ssrc, s] of this.streams) {
      const r = s.jb.pop(nowMs);
      let pcm: Int16Array | undefined;
      if (r.kind === 'frame') {
        if (tracer === undefined) pcm = s.decoder.decode(r.payload);
        else {
          tracer.mark('popped', ssrc, r.extSeq);
          pcm = s.decoder.decode(r.payload);
          tracer.mark('decoded', ssrc, r.extSeq);
          this.lastMix.push(ssrc, r.extSeq);
        }
      } else if (r.kind === 'missing') {
        pcm =
          r.next !== undefined
            ? s.decoder.decodeFec(r.next, this.frameSamples)
            : s.decoder.conceal(this.frameSamples);
      } else if (!s.jb.isPlaying && s.jb.size === 0 && nowMs - s.lastArrival > this.idleMs) {
        this.retire(ssrc, s);
        continue;
      }
      if (pcm !== undefined) sources.push({ id: ssrc, pcm, gain: this.volumes.get(ssrc) });
    }
    return this.mixer.mix(sources, new Int16Array(this.frameSamples));
  }

  stats(): ReceiverStats {
    const total = { ...this.retired, streams: this.streams.size, ignoredStreams: this.ignored };
    for (const s of this.streams.values()) addStream(total, s);
    return total;
  }

  /** Releases every decoder; later packets are ignored. Idempotent. */
  close(): void {
    this.closed = true;
    for (const [ssrc, s] of this.streams) this.retire(ssrc, s);
  }

  private retire(ssrc: number, s: Stream): void {
    addStream(this.retired, s);
    s.decoder.destroy();
    this.streams.delete(ssrc);
  }
}

function emptyStats(): ReceiverStats {
  return {
    ...emptyJitterStats(),
    streams: 0,
    ignoredStreams: 0,
    concealed: 0,
    recoveredByFec: 0,
    corrupt: 0,
  };
}

function addStream(t: ReceiverStats, s: Stream): void {
  const j = s.jb.stats;
  for (const k of Object.keys(j) as (keyof JitterBufferStats)[]) t[k] += j[k];
  t.concealed += s.decoder.stats.concealed;
  t.recoveredByFec += s.decoder.stats.recoveredByFec;
  t.corrupt += s.decoder.stats.corrupt;
}
