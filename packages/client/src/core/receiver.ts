/**
 * The listening side of a participant: one jitter buffer, Opus decoder and
 * sample queue per speaker, and a mixer (docs/playout.md). `push` takes
 * decrypted packets as they arrive; `pull` is called once per playout tick
 * (any number of samples: `pullSamples`, a frame by default) and returns
 * the mix, using redundancy, FEC (from the next packet) or concealment for
 * missing frames and silence when nobody speaks. Each decoded frame may be
 * time-scaled (accelerated or expanded by a pitch period) to move the
 * delay toward the target without dropping speech. Pure apart from the
 * decoder it owns.
 */
import {
  AudioFlag,
  FRAME_SAMPLES,
  isCut,
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
import { accelerate, expand, scaleChoice } from '../audio/time-scale.js';
import { BoundedMap, GainMap } from './bounded-map.js';
import type { FrameTracer } from './trace.js';

export interface ReceiverOptions {
  frameSamples?: number;
  /**
   * Samples `pull` returns (default: a frame). A sound card takes a few
   * milliseconds at a time; `parley record` and bots pull 10 ms (480).
   */
  pullSamples?: number;
  /** Time-scale decoded frames to follow the delay target (default true; false: play every frame as it is). */
  timeScale?: boolean;
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
  /** Frames shortened by a pitch period (or quiet samples) to bring the delay down (docs/playout.md). */
  accelerated: number;
  /** Frames lengthened by a pitch period before the buffer ran dry. */
  stretched: number;
  /** Samples removed by accelerating, and added by stretching. */
  samplesRemoved: number;
  samplesAdded: number;
  /** Spurts cut by their sender's mute (a `TALK_END | CUT` packet applied; the frames dropped are `cut`). */
  cuts: number;
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
  accelerated: number;
  stretched: number;
  dropped: number;
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
  /** The frame being played (decoded, maybe time-scaled), and how much of it the output has taken. */
  cur: Int16Array | undefined;
  curPos: number;
  /** Send time (ms, the jitter buffer's timeline) of the next frame due. */
  nextSendMs: number;
  /** The last frame was time-scaled (a voiced frame is scaled at most every other frame). */
  scaledLast: boolean;
  accelerated: number;
  stretched: number;
  samplesRemoved: number;
  samplesAdded: number;
  cuts: number;
  /** This stream's part of the pull, `pullSamples` long. */
  out: Int16Array;
}

/** A spurt cut by mute fades out over this many samples (2.5 ms): no click (docs/playout.md, "A spurt cut by mute"). */
const CUT_FADE_SAMPLES = 120;
/** Room (ms) to keep beyond the target before accelerating, and shortfall before stretching (docs/playout.md). */
const ACCELERATE_SPARE_MS = 1;
const STRETCH_SHORT_MS = 3;
/** How fast the output clock's anchor may move later (ms per pull): follows drift, not a late timer. */
const ANCHOR_CREEP_MS = 0.02;
/** A pause between pulls this long restarts the output clock's anchor (ms). */
const ANCHOR_RESET_MS = 250;

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
  private readonly pullSamples: number;
  private readonly frameMs: number;
  private readonly timeScale: boolean;
  /** Samples pulled so far, and the output clock: when sample 0 would have been needed (ms). */
  private outPos = 0;
  private anchorMs = NaN;
  private lastPullMs = NaN;
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
  /** (ssrc, seq, offset in the chunk) of the frames that started in the last mix, when tracing. */
  private readonly lastMix: number[] = [];
  /** Counters of streams already forgotten, so totals never go down. */
  private readonly retired: ReceiverStats;
  private closed = false;

  constructor(
    private readonly opus: OpusModule,
    private readonly opts: ReceiverOptions = {},
  ) {
    this.frameSamples = opts.frameSamples ?? FRAME_SAMPLES;
    this.pullSamples = Math.max(1, Math.floor(opts.pullSamples ?? this.frameSamples));
    this.frameMs = this.frameSamples / SAMPLES_PER_MS;
    this.timeScale = opts.timeScale ?? true;
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
          frameMs: this.pullSamples / SAMPLES_PER_MS,
          ...(this.opts.speakingThresholdDb === undefined
            ? {}
            : { thresholdDb: this.opts.speakingThresholdDb }),
          ...(this.opts.speakingHangoverMs === undefined ? {} : { hangoverMs: this.opts.speakingHangoverMs }),
        }),
        level: -Infinity,
        pcm: undefined,
        endSeq: -1,
        reported: {
          played: 0,
          lost: 0,
          late: 0,
          skipped: 0,
          filled: 0,
          concealed: 0,
          recoveredByFec: 0,
          accelerated: 0,
          stretched: 0,
          dropped: 0,
        },
        redDepth: 0,
        cur: undefined,
        curPos: 0,
        nextSendMs: NaN,
        scaledLast: false,
        accelerated: 0,
        stretched: 0,
        samplesRemoved: 0,
        samplesAdded: 0,
        cuts: 0,
        out: new Int16Array(this.pullSamples),
      };
      this.streams.set(ssrc, s);
    }
    s.lastArrival = arrivalMs;
    if (p.flags !== undefined && isCut(p.flags)) {
      this.cut(s, extSeq);
      return;
    }
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
   * The speaker muted: its spurt ends now, at this packet's arrival, not in
   * its turn. What is held of it is dropped, the frame being played fades
   * out over CUT_FADE_SAMPLES, and nothing is concealed after it. The
   * packet carries no audio and its timing is not measured (it left at the
   * click, ahead of its frame's time). A cut older than what was played is
   * ignored (docs/protocol.md, "Cut by mute").
   */
  private cut(s: Stream, extSeq: number): void {
    // (A second copy of a cut finds the buffer stopped and empty: only a cut that stops one counts.)
    const live = s.jb.isPlaying || s.jb.size > 0;
    if (!s.jb.cut(extSeq)) return;
    if (live) s.cuts++;
    s.endSeq = Math.max(s.endSeq, extSeq);
    s.jb.midSpurt(false);
    s.scaledLast = false;
    const cur = s.cur;
    s.cur = undefined;
    if (cur === undefined || s.curPos >= cur.length) return;
    const n = Math.min(CUT_FADE_SAMPLES, cur.length - s.curPos);
    const faded = new Int16Array(n);
    for (let i = 0; i < n; i++)
      faded[i] = Math.round(cur[s.curPos + i]! * 0.5 * (1 + Math.cos((Math.PI * (i + 1)) / n)));
    s.cur = faded;
    s.curPos = 0;
  }

  /**
   * The stream's redundancy reaches `depth` packets back: its frames wait
   * `depth` frames more than the jitter asks, so that the last copy of a
   * lost frame, `depth` packets later and as jittery, comes before its
   * turn (the sender turns redundancy on only when its listeners lose).
   */
  private redundancyDepth(s: Stream, depth: number): void {
    if (depth === s.redDepth) return;
    s.redDepth = depth;
    s.jb.setExtraDelay(depth * this.frameMs);
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
        accelerated: s.accelerated,
        stretched: s.stretched,
        dropped: j.duplicate + j.overflow,
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
        accelerated: cap(now.accelerated - was.accelerated + now.skipped - was.skipped),
        stretched: cap(now.stretched - was.stretched),
        dropped: cap(now.dropped - was.dropped),
        jitterMs: Math.min(10_000, s.jb.jitter),
        delayMs: Math.min(10_000, s.jb.targetDelayMs),
      });
    }
    return out;
  }

  /**
   * The chunk of the last `pull` was written to the output, its first
   * sample at `pos`: the `played` events of the frames that started in it.
   */
  played(pos: number): void {
    const tracer = this.opts.tracer;
    if (tracer === undefined) return;
    const t = tracer.now();
    // Each frame whose first sample went out in this chunk, at that sample's place and time.
    for (let i = 0; i < this.lastMix.length; i += 3) {
      const off = this.lastMix[i + 2]!;
      tracer.mark('played', this.lastMix[i]!, this.lastMix[i + 1]!, t + off / SAMPLES_PER_MS, pos + off);
    }
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

  /** A speaker's volume (1 unless set). */
  volumeOf(ssrc: number): number {
    return this.volumes.get(ssrc);
  }

  /** One mixed chunk (`pullSamples` long) for this playout tick. */
  pull(nowMs: number): Int16Array {
    const n = this.pullSamples;
    this.advanceClock(nowMs);
    const sources = this.sources;
    sources.length = 0;
    if (this.opts.tracer !== undefined) this.lastMix.length = 0;
    let priorityHeard = false;
    for (const [ssrc, s] of this.streams) {
      const taken = this.fill(ssrc, s, nowMs);
      if (taken < 0) {
        this.retire(ssrc, s);
        continue;
      }
      const pcm = taken === 0 ? undefined : s.out;
      s.pcm = pcm;
      const db = pcm === undefined ? -Infinity : rmsDbfs(pcm);
      const was = s.speaking.isOpen;
      const now = s.speaking.update(db);
      if (now !== was) this.opts.onSpeaking?.(ssrc, now, db);
      if (now && this.priority.has(ssrc)) priorityHeard = true;
    }
    this.outPos += n;
    // Ducking: the others fade to duckGain over this chunk while a priority speaker is heard.
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
    return this.mixer.mix(sources, new Int16Array(n));
  }

  /**
   * The output clock: when the first sample of the output would have been
   * needed, from the earliest-looking pull lately (a late timer does not
   * move it; a real drift moves it by ANCHOR_CREEP_MS per pull; a pause
   * restarts it).
   */
  private advanceClock(nowMs: number): void {
    const anchor = nowMs - this.outPos / SAMPLES_PER_MS;
    if (Number.isNaN(this.anchorMs) || nowMs - this.lastPullMs > ANCHOR_RESET_MS) this.anchorMs = anchor;
    else this.anchorMs = Math.min(anchor, this.anchorMs + ANCHOR_CREEP_MS);
    this.lastPullMs = nowMs;
  }

  /** When the output needs the sample at position `pos` (≥ this pull's start): the pull whose chunk holds it. */
  private neededAtMs(pos: number): number {
    const n = this.pullSamples;
    const pullStart = this.outPos + Math.floor((pos - this.outPos) / n) * n;
    return this.anchorMs + pullStart / SAMPLES_PER_MS;
  }

  /**
   * Fills `s.out` with this pull's samples of one stream: from the frame
   * being played, then from the next frames (popped, decoded, time-scaled)
   * as it runs out; the rest of a chunk after a spurt's end is zeros.
   * Returns the samples taken (0: nothing to play), or −1 when the stream
   * has been idle long enough to forget.
   */
  private fill(ssrc: number, s: Stream, nowMs: number): number {
    const n = this.pullSamples;
    const out = s.out;
    let taken = 0;
    for (let guard = 0; taken < n && guard < n + 2; guard++) {
      const cur = s.cur;
      if (cur !== undefined && s.curPos < cur.length) {
        const k = Math.min(n - taken, cur.length - s.curPos);
        out.set(cur.subarray(s.curPos, s.curPos + k), taken);
        s.curPos += k;
        taken += k;
        continue;
      }
      s.cur = undefined;
      const r = s.jb.pop(nowMs);
      let pcm: Int16Array | undefined;
      let sendMs = s.nextSendMs;
      if (r.kind === 'frame') {
        const tracer = this.opts.tracer;
        if (tracer === undefined) pcm = s.decoder.decode(r.payload);
        else {
          tracer.mark('popped', ssrc, r.extSeq);
          pcm = s.decoder.decode(r.payload);
          tracer.mark('decoded', ssrc, r.extSeq);
          this.lastMix.push(ssrc, r.extSeq, taken);
        }
        sendMs = r.sendMs;
      } else if (r.kind === 'missing') {
        if (r.next !== undefined) pcm = s.decoder.decodeFec(r.next, this.frameSamples);
        // After a spurt's last frame (TALK_END) the silence is meant: nothing to conceal.
        else if (s.endSeq < 0 || r.extSeq <= s.endSeq) pcm = s.decoder.conceal(this.frameSamples);
      } else if (!s.jb.isPlaying && s.jb.size === 0 && nowMs - s.lastArrival > this.idleMs && taken === 0) {
        return -1;
      }
      if (pcm === undefined) break;
      s.nextSendMs = sendMs + this.frameMs;
      if (this.timeScale && r.kind === 'frame') pcm = this.scale(s, pcm, this.outPos + taken);
      else s.scaledLast = false;
      // The decoder reuses its buffer: the frame is copied into `out` as it is taken, never held past the next decode.
      s.cur = pcm;
      s.curPos = 0;
    }
    if (taken < n) out.fill(0, taken);
    return taken;
  }

  /**
   * The decision of docs/playout.md for one decoded frame whose first
   * sample goes out at output position `pos`: accelerate when the next
   * frame would still be in time with a pitch period less, expand when it
   * would not be in time as it is; otherwise the frame as it is.
   */
  private scale(s: Stream, pcm: Int16Array, pos: number): Int16Array {
    if (Number.isNaN(s.nextSendMs) || Number.isNaN(this.anchorMs)) return pcm;
    const target = s.jb.targetDelayMs;
    // Slack of the next frame, were this one `len` samples long: when it is needed against when it comes.
    const due = s.jb.fastestArrivalMs(s.nextSendMs);
    const asIs = this.neededAtMs(pos + pcm.length) - due;
    const wantsLess = asIs >= target + ACCELERATE_SPARE_MS;
    const wantsMore = asIs < target - STRETCH_SHORT_MS && s.endSeq < 0;
    if ((!wantsLess && !wantsMore) || s.scaledLast) {
      s.scaledLast = false;
      return pcm;
    }
    const c = scaleChoice(pcm);
    if (!c.periodic && !c.quiet) {
      s.scaledLast = false;
      return pcm;
    }
    let lag = c.lag;
    if (wantsLess) {
      if (c.quiet) {
        // Silence: take out what the room allows, up to half a frame.
        const roomMs = asIs - target - ACCELERATE_SPARE_MS;
        lag = Math.min(pcm.length >> 1, this.frameSamples >> 1, Math.floor(roomMs * SAMPLES_PER_MS));
        while (lag > 0 && this.neededAtMs(pos + pcm.length - lag) - due < target + ACCELERATE_SPARE_MS)
          lag >>= 1;
      } else if (this.neededAtMs(pos + pcm.length - lag) - due < target + ACCELERATE_SPARE_MS) lag = 0;
      if (lag < SAMPLES_PER_MS) {
        s.scaledLast = false;
        return pcm;
      }
      s.accelerated++;
      s.samplesRemoved += lag;
      s.scaledLast = !c.quiet;
      return accelerate(pcm, lag);
    }
    s.stretched++;
    s.samplesAdded += lag;
    s.scaledLast = !c.quiet;
    return expand(pcm, lag);
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
    accelerated: 0,
    stretched: 0,
    samplesRemoved: 0,
    samplesAdded: 0,
    cuts: 0,
  };
}

function addStream(t: ReceiverStats, s: Stream): void {
  const j = s.jb.stats;
  for (const k of Object.keys(j) as (keyof JitterBufferStats)[]) t[k] += j[k];
  t.concealed += s.decoder.stats.concealed;
  t.recoveredByFec += s.decoder.stats.recoveredByFec;
  t.corrupt += s.decoder.stats.corrupt;
  t.accelerated += s.accelerated;
  t.stretched += s.stretched;
  t.samplesRemoved += s.samplesRemoved;
  t.samplesAdded += s.samplesAdded;
  t.cuts += s.cuts;
}
