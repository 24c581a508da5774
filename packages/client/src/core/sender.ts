import { AudioFlag, CUT_FLAGS, extendSeq16, FRAME_SAMPLES, SAMPLES_PER_MS } from '@parley/protocol';
import { FrameClock, type ClockDeps } from './clock.js';
import { rmsDbfs } from '../audio/analysis.js';
import type { Impairment } from './impair.js';
import { RedundancyPolicy, RedundantFramer, type RedundancyDepth } from './redundancy.js';
import type { TalkGate } from './talk-gate.js';
import type { FrameTracer } from './trace.js';
import type { VoiceClient } from './voice-client.js';

const NO_AUDIO = new Uint8Array(0);

/** Copies of the cut sent, back to back: one lost on UDP costs nothing (docs/protocol.md, "Cut by mute"). */
export const CUT_COPIES = 2;

/**
 * Sends the packets that cut a spurt (mute): `TALK_END | CUT`, the next
 * sequence numbers, the timestamp of the frame being captured, no audio
 * (docs/protocol.md, "Cut by mute"), CUT_COPIES times; false when not
 * sent. Without a media
 * key (between a drop and the session's resume) there is nothing to cut:
 * nothing could be sent either, and a mute must never fail for it.
 */
export function sendCut(client: Pick<VoiceClient, 'sealAudio' | 'sendPacket'>, timestamp: number): boolean {
  try {
    for (let i = 0; i < CUT_COPIES; i++) client.sendPacket(client.sealAudio(NO_AUDIO, timestamp, CUT_FLAGS));
    return true;
  } catch {
    return false; // no key: see above
  }
}

/** A source of PCM frames (48 kHz mono Int16); null ends the stream. */
export interface FrameSource {
  next(): Int16Array | null;
  /**
   * Optional: true when the frame just returned was the last (the next
   * call returns null). The sender then marks it TALK_END, so listeners
   * stop there instead of concealing after the end (a file, a bot's
   * phrase); a live source that cannot know leaves it out.
   */
  ended?(): boolean;
}

/** Anything that turns one PCM frame into one Opus packet. */
export interface FrameEncoder {
  encode(pcm: Int16Array): Uint8Array;
  /** The listeners' loss (percent): tunes in-band FEC (OpusEncoder has it). */
  setExpectedLoss?(pct: number): void;
}

export interface StreamSenderOptions {
  frameSamples?: number;
  impairment?: Impairment;
  clock?: Partial<ClockDeps>;
  /** Random 32-bit start of the RTP-style timestamp. */
  initialTimestamp?: number;
  /** Records capture / encoded / sent per frame (core/trace.ts); absent = no tracing. */
  tracer?: FrameTracer;
  /**
   * Voice activation / push-to-talk: frames it does not pass are not sent
   * (their time still passes: the timestamp moves on), and it sets the
   * TALK_START / TALK_END flags. Absent: every frame is sent, the first
   * one marked TALK_START.
   */
  gate?: TalkGate;
  /**
   * Redundancy (docs/protocol.md, "Redundancy"): a fixed depth (0 = off,
   * the default), or `auto`: chosen, with the encoder's expected loss, from
   * the listeners' reports (`quality` events; RedundancyPolicy). Off by
   * default until the jitter buffer makes the most of it (docs/benchmarks.md,
   * "Audio under bad networks").
   */
  redundancy?: RedundancyDepth | 'auto';
  /** The channel's packet size limit (`joined.media.maxPacketSize`): blocks that do not fit are left out. */
  maxPacketSize?: number;
}

export interface SenderStats {
  framesSent: number;
  /** Frames the gate held back (silence under voice activation, push-to-talk released, muted). */
  framesGated: number;
  framesDroppedByImpairment: number;
  clockSkips: number;
}

/**
 * Paces a PCM source into the channel in real time: one frame per 20 ms on a
 * drift-free clock, encoded, sealed and sent; the impairment (for tests and
 * demos) may drop or delay each packet.
 */
export class StreamSender {
  readonly stats: SenderStats = {
    framesSent: 0,
    framesGated: 0,
    framesDroppedByImpairment: 0,
    clockSkips: 0,
  };
  private readonly clock: FrameClock;
  private readonly frameSamples: number;
  private readonly pendingDelays = new Set<ReturnType<typeof setTimeout>>();
  private timestamp: number;
  private first = true;
  /** Muted without a gate (`setMuted`): frames are held back. */
  private muted = false;
  private stopped = false;
  /** Samples taken from the source so far (a traced frame's `pos`). */
  private samplesTaken = 0;
  private traceSeq: number | undefined;
  private finish: (() => void) | null = null;
  private readonly done: Promise<void>;
  private readonly framer: RedundantFramer;
  private offQuality: (() => void) | null = null;

  constructor(
    private readonly client: VoiceClient,
    private readonly encoder: FrameEncoder,
    private readonly source: FrameSource,
    private readonly opts: StreamSenderOptions = {},
  ) {
    this.frameSamples = opts.frameSamples ?? FRAME_SAMPLES;
    this.timestamp = opts.initialTimestamp ?? Math.floor(Math.random() * 0x100000000);
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.framer = new RedundantFramer(
      opts.maxPacketSize === undefined ? {} : { maxPacketSize: opts.maxPacketSize },
    );
    const redundancy = opts.redundancy ?? 0;
    if (redundancy !== 'auto') this.framer.setDepth(redundancy);
    this.clock = new FrameClock({
      periodMs: this.frameSamples / SAMPLES_PER_MS,
      onTick: () => this.tick(),
      ...opts.clock,
    });
  }

  /** Starts sending; resolves when the source ends or `stop()` is called. */
  run(): Promise<void> {
    if (this.opts.redundancy === 'auto' && this.offQuality === null) {
      const policy = new RedundancyPolicy();
      this.offQuality = this.client.on('quality', (agg) => {
        const d = policy.update(agg, performance.now());
        this.framer.setDepth(d.depth);
        this.encoder.setExpectedLoss?.(d.expectedLossPct);
      });
    }
    this.clock.start();
    return this.done;
  }

  /** Redundancy depth in use now (0–2). */
  get redundancy(): RedundancyDepth {
    return this.framer.depth;
  }

  /**
   * Mutes or unmutes (a bot's mute; docs/protocol.md, "Cut by mute"). From
   * now on no frame is sent (their time still passes); a spurt in progress
   * is cut at once with a `TALK_END | CUT` packet, so listeners stop within
   * a few milliseconds instead of playing out what they hold. Unmuted, the
   * next frame sent starts a new spurt (`TALK_START`).
   */
  setMuted(muted: boolean): void {
    const gate = this.opts.gate;
    let cut: boolean;
    if (gate !== undefined) cut = gate.setMuted(muted);
    else {
      cut = muted && !this.muted && !this.first;
      this.muted = muted;
      if (muted) this.first = true;
    }
    if (cut && !this.stopped) sendCut(this.client, this.timestamp);
  }

  stop(): void {
    this.stopped = true;
    this.offQuality?.();
    this.offQuality = null;
    this.clock.stop();
    this.stats.clockSkips = this.clock.skipped;
    for (const t of this.pendingDelays) clearTimeout(t);
    this.pendingDelays.clear();
    this.finish?.();
    this.finish = null;
  }

  private tick(): void {
    const pcm = this.source.next();
    if (pcm === null) {
      this.stop();
      return;
    }
    const tracer = this.opts.tracer;
    const tCapture = tracer === undefined ? 0 : tracer.now();
    let flags = 0;
    let send = true;
    const gate = this.opts.gate;
    if (gate !== undefined) {
      const d = gate.decide(rmsDbfs(pcm));
      send = d.send;
      if (d.send) flags = d.flags;
    } else if (this.muted) send = false;
    else if (this.first) {
      flags |= AudioFlag.TalkStart;
      this.first = false;
    }
    if (!send) {
      // Held back: its time still passes.
      this.timestamp = (this.timestamp + this.frameSamples) >>> 0;
      this.samplesTaken += pcm.length;
      this.stats.framesGated++;
      return;
    }
    if (this.source.ended?.() === true) flags |= AudioFlag.TalkEnd;
    const opus = this.encoder.encode(pcm);
    const tEncoded = tracer === undefined ? 0 : tracer.now();
    if ((flags & AudioFlag.TalkStart) !== 0) this.framer.reset();
    const wrapped = this.framer.wrap(opus);
    const packet = this.client.sealAudio(wrapped.payload, this.timestamp, flags | wrapped.flags);
    this.timestamp = (this.timestamp + this.frameSamples) >>> 0;
    this.stats.framesSent++;
    const pos = this.samplesTaken;
    this.samplesTaken += pcm.length;
    let ssrc = 0;
    let seq = 0;
    if (tracer !== undefined) {
      // ssrc and sequence number as sealed into the header (bytes 8–11 and 2–3).
      ssrc = new DataView(packet.buffer, packet.byteOffset, packet.byteLength).getUint32(8);
      seq = this.traceSeq = extendSeq16((packet[2]! << 8) | packet[3]!, this.traceSeq);
      tracer.mark('capture', ssrc, seq, tCapture, pos);
      tracer.mark('encoded', ssrc, seq, tEncoded);
    }
    const decision = this.opts.impairment?.decide();
    if (decision === undefined || (!decision.drop && decision.delayMs <= 0)) {
      tracer?.mark('sent', ssrc, seq);
      this.client.sendPacket(packet);
      return;
    }
    if (decision.drop) {
      this.stats.framesDroppedByImpairment++;
      return;
    }
    const t = setTimeout(() => {
      this.pendingDelays.delete(t);
      tracer?.mark('sent', ssrc, seq);
      this.client.sendPacket(packet);
    }, decision.delayMs);
    this.pendingDelays.add(t);
  }
}

/** Cuts a mono 48 kHz Float32 or Int16 signal into frames, optionally looping. */
export class BufferSource implements FrameSource {
  private pos = 0;
  constructor(
    private readonly samples: Int16Array,
    private readonly frameSamples = FRAME_SAMPLES,
    private readonly loop = false,
  ) {}

  /** The frame just taken was the last one (never, when looping). */
  ended(): boolean {
    return !this.loop && this.pos >= this.samples.length;
  }

  next(): Int16Array | null {
    const n = this.frameSamples;
    if (this.samples.length === 0) return null;
    if (this.pos >= this.samples.length) {
      if (!this.loop) return null;
      this.pos = 0;
    }
    const frame = new Int16Array(n);
    let filled = 0;
    while (filled < n) {
      const take = Math.min(n - filled, this.samples.length - this.pos);
      frame.set(this.samples.subarray(this.pos, this.pos + take), filled);
      filled += take;
      this.pos += take;
      if (this.pos >= this.samples.length) {
        if (!this.loop) break;
        this.pos = 0;
      }
    }
    return frame;
  }
}
