/**
 * The listening side of a participant: one jitter buffer and Opus decoder
 * per speaker, and a mixer. `push` takes decrypted packets as they arrive;
 * `pull` is called once per 20 ms playout tick and returns the mix, using
 * FEC (from the next packet) or concealment for missing frames and silence
 * when nobody speaks. Pure apart from the decoder it owns.
 */
import {
  AudioFlag,
  FRAME_SAMPLES,
  MAX_REPORT_STREAMS,
  parseRedundant,
  REDUNDANT_FLAG,
  SAMPLES_PER_MS,
  type ReportStream,
} from '@parley/protocol';
import {
  emptyJitterStats,
  JitterBuffer,
  type JitterBufferOptions,
  type JitterBufferStats,
} from '../audio/jitter-buffer.js';
import { dbToGain, Mixer, type MixSource } from '../audio/mixer.js';
import { rmsDbfs } from '../audio/analysis.js';
import { SpeakingDetector } from '../audio/vad.js';
import { OpusDecoder, type OpusModule } from '../audio/opus.js';
import { BoundedMap, GainMap } from './bounded-map.js';
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
  /**
   * While a priority speaker (`setPriority`) is heard speaking, every other
   * speaker is attenuated by this much (dB, default −12), faded over one frame.
   */
  duckDb?: number;
  /** Frame level (dBFS RMS, before volume) at which a speaker counts as speaking (default −50). */
  speakingThresholdDb?: number;
  /** Speaking hangover (ms, default 80): the indicator clears this long after the audio stops. */
  speakingHangoverMs?: number;
  /**
   * A speaker started or stopped speaking, judged from the audio actually
   * played (decoded, before volume), with its level then (dBFS).
   */
  onSpeaking?: (ssrc: number, speaking: boolean, dbfs: number) => void;
}

/** A decrypted audio packet: whose, which, when (its 48 kHz timestamp and arrival on the caller's ms clock). */
export interface ReceivedAudio {
  ssrc: number;
  /** The header's flags: a TALK_END packet ends its spurt (no concealment after it). */
  flags?: number;
  extSeq: number;
  timestamp: number;
  payload: Uint8Array;
  arrivalMs: number;
}

export interface ReceiverStats extends JitterBufferStats {
  streams: number;
  /** Mixes in which the others were ducked under a priority speaker. */
  duckedFrames: number;
  ignoredStreams: number;
  concealed: number;
  recoveredByFec: number;
  corrupt: number;
  /** Packets dropped whole: their redundancy blocks broke the layout (docs/protocol.md, "Redundancy"). */
  badRedundancy: number;
}

/** The counters a receiver report takes differences of, per stream. */
interface ReportBase {
  played: number;
  lost: number;
  late: number;
  skipped: number;
  filled: number;
  concealed: number;
  recoveredByFec: number;
}

interface Stream {
  jb: JitterBuffer;
  decoder: OpusDecoder;
  lastArrival: number;
  speaking: SpeakingDetector;
  /** dBFS of what was played for it in the last mix (after volume and ducking); −Infinity when nothing. */
  level: number;
  /** This tick's frame (decoded, before volume), while mixing. */
  pcm: Int16Array | undefined;
  /** Sequence number of the last TALK_END received (−1: none): nothing after it is concealed. */
  endSeq: number;
  /** The counters at the previous receiver report. */
  reported: ReportBase;
  /** How far back the stream's redundancy reaches now (packets; 0 = none). */
  redDepth: number;
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
  /** Priority speakers (ssrcs), bounded like the volumes. */
  private readonly priority: BoundedMap<number, true>;
  private readonly duckGain: number;
  /** The duck gain applied at the end of the last mix (1 = not ducked). */
  private duck = 1;
  private duckedFrames = 0;
  private badRedundancy = 0;
  /** Reused per pull: the sources of the mix. */
  private readonly sources: MixSource[] = [];
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
    this.priority = new BoundedMap(opts.maxVolumes ?? 1024);
    this.duckGain = dbToGain(opts.duckDb ?? -12);
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
        speaking: new SpeakingDetector({
          frameMs: this.frameSamples / SAMPLES_PER_MS,
          ...(this.opts.speakingThresholdDb === undefined
            ? {}
            : { thresholdDb: this.opts.speakingThresholdDb }),
          ...(this.opts.speakingHangoverMs === undefined ? {} : { hangoverMs: this.opts.speakingHangoverMs }),
        }),
        level: -Infinity,
        pcm: undefined,
        endSeq: -1,
        reported: { played: 0, lost: 0, late: 0, skipped: 0, filled: 0, concealed: 0, recoveredByFec: 0 },
        redDepth: 0,
      };
      this.streams.set(ssrc, s);
    }
    s.lastArrival = arrivalMs;
    // A TALK_END marks the end of the spurt; a later packet starts the next one.
    if (p.flags !== undefined && (p.flags & AudioFlag.TalkEnd) !== 0) s.endSeq = Math.max(s.endSeq, extSeq);
    else if (extSeq > s.endSeq) s.endSeq = -1;
    // Mid-spurt, a run of missing frames is a burst of loss: conceal through it rather than re-buffer.
    s.jb.midSpurt(s.endSeq < 0);
    if (p.flags === undefined || (p.flags & REDUNDANT_FLAG) === 0) {
      this.redundancyDepth(s, 0);
      s.jb.push(extSeq, timestamp, payload, arrivalMs);
      return;
    }
    // Redundancy: the packet's own frame, then copies of earlier ones for the slots still empty.
    const red = parseRedundant(payload);
    if (!red.ok) {
      this.badRedundancy++;
      return;
    }
    this.redundancyDepth(s, red.value.blocks[0]?.back ?? 0);
    s.jb.push(extSeq, timestamp, red.value.primary, arrivalMs);
    for (const b of red.value.blocks) s.jb.fill(extSeq - b.back, b.frame, arrivalMs);
  }

  /**
   * The stream's redundancy reaches `depth` packets back: its frames wait
   * at least depth + ½ frames, so that a copy arrives before its frame's
   * turn (the sender turns redundancy on only when its listeners lose).
   */
  private redundancyDepth(s: Stream, depth: number): void {
    if (depth === s.redDepth) return;
    s.redDepth = depth;
    s.jb.setFloor(depth === 0 ? 0 : ((depth + 0.5) * this.frameSamples) / SAMPLES_PER_MS);
  }

  /**
   * How each speaker arrived since the previous call (docs/protocol.md
   * §2.6), for `VoiceClient.sendReport`: speakers with nothing due in the
   * interval are left out; at most MAX_REPORT_STREAMS.
   */
  reportStreams(): ReportStream[] {
    const out: ReportStream[] = [];
    for (const [ssrc, s] of this.streams) {
      if (out.length >= MAX_REPORT_STREAMS) break;
      const j = s.jb.stats;
      const d = s.decoder.stats;
      const was = s.reported;
      const now: ReportBase = {
        played: j.played,
        lost: j.lost,
        late: j.late,
        skipped: j.skipped,
        filled: j.filled,
        concealed: d.concealed,
        recoveredByFec: d.recoveredByFec,
      };
      s.reported = now;
      // Every sequence number whose turn came: played (filled ones included), lost, or skipped.
      const expected = now.played - was.played + (now.lost - was.lost) + (now.skipped - was.skipped);
      if (expected === 0 && now.late === was.late) continue;
      const cap = (n: number): number => Math.min(100_000, Math.max(0, n));
      out.push({
        ssrc,
        expected: cap(expected),
        lost: cap(now.lost - was.lost),
        late: cap(now.late - was.late),
        concealed: cap(now.concealed - was.concealed),
        recoveredFec: cap(now.recoveredByFec - was.recoveredByFec),
        recoveredRed: cap(now.filled - was.filled),
        accelerated: cap(now.skipped - was.skipped),
        // No time-stretching yet: the delay grows by concealing (underruns), counted as concealed.
        stretched: 0,
        jitterMs: Math.min(10_000, s.jb.jitter),
        delayMs: Math.min(10_000, s.jb.targetDelayMs),
      });
    }
    return out;
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

  /**
   * Marks a speaker as a priority speaker (presence `prioritySpeaker`):
   * while it is heard speaking, the others are ducked by `duckDb`.
   */
  setPriority(ssrc: number, on: boolean): void {
    if (on) this.priority.set(ssrc, true);
    else this.priority.delete(ssrc);
  }

  /** dBFS of what the last mix played for this speaker (after volume and ducking); −Infinity when nothing. */
  levelOf(ssrc: number): number {
    return this.streams.get(ssrc)?.level ?? -Infinity;
  }

  /** Whether this speaker is speaking now (see `onSpeaking`). */
  isSpeaking(ssrc: number): boolean {
    return this.streams.get(ssrc)?.speaking.isOpen ?? false;
  }

  /** The largest interarrival jitter and target delay among the speakers now heard (ms; 0 when none). */
  delays(): { jitterMs: number; targetDelayMs: number } {
    let jitterMs = 0;
    let targetDelayMs = 0;
    for (const s of this.streams.values()) {
      jitterMs = Math.max(jitterMs, s.jb.jitter);
      targetDelayMs = Math.max(targetDelayMs, s.jb.targetDelayMs);
    }
    return { jitterMs, targetDelayMs };
  }

  /**
   * Whole frames every playing speaker has buffered beyond its target delay
   * (0 when none plays): how many frames a late output can drop to catch
   * up without starving any jitter buffer.
   */
  excessFrames(): number {
    let min = Infinity;
    const frameMs = this.frameSamples / SAMPLES_PER_MS;
    for (const s of this.streams.values()) {
      if (!s.jb.isPlaying) continue;
      min = Math.min(min, s.jb.size - Math.ceil(s.jb.targetDelayMs / frameMs));
    }
    return min === Infinity ? 0 : Math.max(0, min);
  }

  /** A speaker's volume (1 unless set). */
  volumeOf(ssrc: number): number {
    return this.volumes.get(ssrc);
  }

  /** One mixed frame for this playout tick. */
  pull(nowMs: number): Int16Array {
    const sources = this.sources;
    sources.length = 0;
    const tracer = this.opts.tracer;
    if (tracer !== undefined) this.lastMix.length = 0;
    let priorityHeard = false;
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
        if (r.next !== undefined) pcm = s.decoder.decodeFec(r.next, this.frameSamples);
        // After a spurt's last frame (TALK_END) the silence is meant: nothing to conceal.
        else if (s.endSeq < 0 || r.extSeq <= s.endSeq) pcm = s.decoder.conceal(this.frameSamples);
      } else if (!s.jb.isPlaying && s.jb.size === 0 && nowMs - s.lastArrival > this.idleMs) {
        this.retire(ssrc, s);
        continue;
      }
      s.pcm = pcm;
      const db = pcm === undefined ? -Infinity : rmsDbfs(pcm);
      const was = s.speaking.isOpen;
      const now = s.speaking.update(db);
      if (now !== was) this.opts.onSpeaking?.(ssrc, now, db);
      if (now && this.priority.has(ssrc)) priorityHeard = true;
    }
    // Ducking: the others fade to duckGain over this frame while a priority speaker is heard.
    const duckFrom = this.duck;
    const duckTo = priorityHeard ? this.duckGain : 1;
    this.duck = duckTo;
    if (priorityHeard) this.duckedFrames++;
    for (const [ssrc, s] of this.streams) {
      const pcm = s.pcm;
      if (pcm === undefined) {
        s.level = -Infinity;
        continue;
      }
      s.pcm = undefined;
      const gain = this.volumes.get(ssrc);
      const ducked = !this.priority.has(ssrc);
      const g1 = ducked ? gain * duckTo : gain;
      const g0 = ducked ? gain * duckFrom : gain;
      s.level = g1 === 0 ? -Infinity : rmsDbfs(pcm) + 20 * Math.log10(g1);
      sources.push(g0 === g1 ? { id: ssrc, pcm, gain: g1 } : { id: ssrc, pcm, gain: g1, rampFrom: g0 });
    }
    return this.mixer.mix(sources, new Int16Array(this.frameSamples));
  }

  stats(): ReceiverStats {
    const total = {
      ...this.retired,
      streams: this.streams.size,
      ignoredStreams: this.ignored,
      duckedFrames: this.duckedFrames,
      badRedundancy: this.badRedundancy,
    };
    for (const s of this.streams.values()) addStream(total, s);
    return total;
  }

  /** Releases every decoder; later packets are ignored. Idempotent. */
  close(): void {
    this.closed = true;
    for (const [ssrc, s] of this.streams) this.retire(ssrc, s);
  }

  private retire(ssrc: number, s: Stream): void {
    if (s.speaking.isOpen) this.opts.onSpeaking?.(ssrc, false, -Infinity);
    addStream(this.retired, s);
    s.decoder.destroy();
    this.streams.delete(ssrc);
  }
}

function emptyStats(): ReceiverStats {
  return {
    ...emptyJitterStats(),
    streams: 0,
    duckedFrames: 0,
    ignoredStreams: 0,
    concealed: 0,
    recoveredByFec: 0,
    corrupt: 0,
    badRedundancy: 0,
  };
}

function addStream(t: ReceiverStats, s: Stream): void {
  const j = s.jb.stats;
  for (const k of Object.keys(j) as (keyof JitterBufferStats)[]) t[k] += j[k];
  t.concealed += s.decoder.stats.concealed;
  t.recoveredByFec += s.decoder.stats.recoveredByFec;
  t.corrupt += s.decoder.stats.corrupt;
}
