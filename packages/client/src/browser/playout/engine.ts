/**
 * The playout worklet's work, apart from the AudioWorklet API so that Node
 * runs and tests it as it is: the SDK's Receiver (jitter buffers, Opus,
 * time-scaling, per-user gain, ducking, the mix) pulled once per render
 * quantum on the audio thread's own clock, and fed the packets the main
 * thread posts, each stamped on arrival with that same clock.
 *
 *   main thread ──packet──► receive() ─► Receiver.push(arrival = now)
 *   audio thread ─────────► render()  ─► Receiver.pull(now) ─► output
 *                                      └► status / tap / speaking ─► main thread
 *
 * "Now" is the context's clock, `currentFrame / sampleRate` in ms: the
 * worklet scope has no `performance` (Chromium), and one clock for arrivals
 * and pulls is what the Receiver's slack needs. At 48 kHz with 128-sample
 * quanta the Receiver mixes exactly one quantum per pull; any other rate
 * (or quantum) goes through a StreamResampler from the 48 kHz mix.
 */
import { SAMPLE_RATE, SAMPLES_PER_MS } from '@parley/protocol';
import type { OpusModule } from '../../audio/opus.js';
import { StreamResampler } from '../../audio/stream-resample.js';
import { Receiver } from '../../core/receiver.js';
import { TraceRecorder } from '../../core/trace.js';
import type { FromPlayout, PlayoutInit, PlayoutStats, ToPlayout } from './messages.js';

/** Samples per pull of the Receiver: Web Audio's render quantum. */
export const RENDER_QUANTUM = 128;

/** Posts a message to the main thread, transferring the buffers listed. */
export type PlayoutPost = (m: FromPlayout, transfer?: Transferable[]) => void;

export interface PlayoutEngineOptions extends Omit<PlayoutInit, 'opus'> {
  /** The context's rate (the output's). */
  sampleRate: number;
}

interface Speaker {
  /** The worklet's clock at its last packet (ms). */
  lastMs: number;
  /** Its level's power, summed over the pulls of this status period. */
  power: number;
}

export class PlayoutEngine {
  private readonly rx: Receiver;
  private readonly trace: TraceRecorder | null;
  private resampler: StreamResampler | null = null;
  /** The clock (ms) the Receiver and the tracer see now. */
  private nowMs = 0;
  /** The clock at the start of the quantum being rendered. */
  private renderMs = 0;
  /** 48 kHz samples taken from the Receiver (the output position). */
  private played = 0;
  private quanta = 0;
  private statuses = 0;
  /** Pulls in this status period. */
  private pulls = 0;
  private ctl = 0;
  private deafened = false;
  private closed = false;
  private readonly speakers = new Map<number, Speaker>();
  private readonly maxSpeakers: number;
  private readonly idleMs: number;
  /** The tap's frame being filled (null: not tapped), where it began and under which control message. */
  private tap: Int16Array<ArrayBuffer> | null = null;
  private tapFill = 0;
  private tapMs = 0;
  private tapCtl = 0;

  constructor(
    opus: OpusModule,
    private readonly opts: PlayoutEngineOptions,
    private readonly post: PlayoutPost,
  ) {
    this.trace = opts.trace
      ? new TraceRecorder({ maxEvents: opts.maxTraceEvents, now: () => this.nowMs })
      : null;
    this.maxSpeakers = 2 * (opts.receiver.maxStreams ?? 64);
    this.idleMs = opts.receiver.idleMs ?? 5000;
    this.rx = new Receiver(opus, {
      ...opts.receiver,
      frameSamples: opts.frameSamples,
      pullSamples: RENDER_QUANTUM,
      ...(this.trace === null ? {} : { tracer: this.trace }),
      onSpeaking: (ssrc, on, db) => {
        if (!this.closed) this.post({ t: 'speaking', ssrc, on, db });
      },
    });
  }

  /** A message from the main thread, handled at `nowMs` on the worklet's clock. */
  receive(m: ToPlayout, nowMs: number): void {
    if (this.closed) return;
    this.nowMs = nowMs;
    if (m.t === 'packet') {
      this.heard(m.ssrc, nowMs);
      this.rx.push({
        ssrc: m.ssrc,
        extSeq: m.extSeq,
        timestamp: m.timestamp,
        flags: m.flags,
        payload: m.payload,
        arrivalMs: nowMs,
      });
      return;
    }
    this.ctl++;
    switch (m.t) {
      case 'volume':
        this.rx.setVolume(m.ssrc, m.gain);
        break;
      case 'priority':
        this.rx.setPriority(m.ssrc, m.on);
        break;
      case 'deafen':
        this.deafened = m.on;
        break;
      case 'tap':
        this.tap = m.on ? new Int16Array(this.opts.frameSamples) : null;
        this.tapFill = 0;
        break;
      case 'report':
        this.post({ t: 'report', streams: this.rx.reportStreams() });
        break;
      case 'close':
        this.close();
        break;
    }
  }

  /** Renders one quantum into `out` (mono, ±1); `frame` is the context's `currentFrame`. */
  render(out: Float32Array, frame: number): void {
    if (this.closed) {
      out.fill(0);
      return;
    }
    this.renderMs = (frame / this.opts.sampleRate) * 1000;
    if (this.opts.sampleRate === SAMPLE_RATE && out.length === RENDER_QUANTUM && this.resampler === null) {
      const mix = this.pull(this.renderMs);
      for (let i = 0; i < out.length; i++) out[i] = mix[i]! / 32768;
    } else {
      // Each 48 kHz chunk is pulled when the resampler reaches it: at the time its first sample plays.
      this.resampler ??= new StreamResampler(SAMPLE_RATE, this.opts.sampleRate, (ahead) =>
        this.pull(this.renderMs + ahead / SAMPLES_PER_MS),
      );
      this.resampler.render(out);
    }
    if (++this.quanta % this.opts.statusQuanta === 0) this.status();
  }

  /** Frees the decoders; later messages and quanta do nothing (silence). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rx.close();
    this.speakers.clear();
    this.tap = null;
  }

  private heard(ssrc: number, nowMs: number): void {
    const s = this.speakers.get(ssrc);
    if (s !== undefined) s.lastMs = nowMs;
    else if (this.speakers.size < this.maxSpeakers) this.speakers.set(ssrc, { lastMs: nowMs, power: 0 });
  }

  private pull(ms: number): Int16Array {
    this.nowMs = ms;
    const mix = this.rx.pull(ms);
    this.rx.played(this.played);
    // Deafened: the Receiver keeps time (and speaking indicators), nothing is played.
    if (this.deafened) mix.fill(0);
    for (const [ssrc, s] of this.speakers) {
      const db = this.rx.levelOf(ssrc);
      if (db > -Infinity) s.power += 10 ** (db / 10);
    }
    this.pulls++;
    if (this.tap !== null) this.tapChunk(mix, ms);
    this.played += mix.length;
    return mix;
  }

  /** Copies a pulled chunk into the tap's frames; each full frame goes to the main thread. */
  private tapChunk(mix: Int16Array, ms: number): void {
    let i = 0;
    while (i < mix.length && this.tap !== null) {
      if (this.tapFill === 0) {
        this.tapMs = ms + i / SAMPLES_PER_MS;
        this.tapCtl = this.ctl;
      }
      const k = Math.min(mix.length - i, this.tap.length - this.tapFill);
      this.tap.set(mix.subarray(i, i + k), this.tapFill);
      this.tapFill += k;
      i += k;
      if (this.tapFill === this.tap.length) {
        const pcm = this.tap;
        this.post({ t: 'tap', pcm, ctxMs: this.tapMs, ctl: this.tapCtl, played: this.played + i }, [
          pcm.buffer,
        ]);
        this.tap = new Int16Array(this.opts.frameSamples);
        this.tapFill = 0;
      }
    }
  }

  private status(): void {
    const levels = new Float64Array(2 * this.speakers.size);
    let i = 0;
    for (const [ssrc, s] of this.speakers) {
      const db = s.power > 0 && this.pulls > 0 ? 10 * Math.log10(s.power / this.pulls) : -Infinity;
      levels[i++] = ssrc;
      levels[i++] = db;
      s.power = 0;
      // Forgotten a second after the Receiver forgets its stream.
      if (db === -Infinity && this.renderMs - s.lastMs > this.idleMs + 1000) this.speakers.delete(ssrc);
    }
    this.pulls = 0;
    const trace = this.trace?.takeRaw() ?? null;
    const traceDropped = this.trace?.dropped ?? 0;
    const stats = ++this.statuses % this.opts.statsEvery === 0 ? this.stats() : null;
    const transfer: Transferable[] = [levels.buffer];
    if (trace !== null) transfer.push(trace.buffer);
    this.post(
      {
        t: 'status',
        ctxMs: this.renderMs,
        played: this.played,
        ctl: this.ctl,
        levels,
        trace,
        traceDropped,
        stats,
      },
      transfer,
    );
  }

  private stats(): PlayoutStats {
    return { ...this.rx.stats(), ...this.rx.delays() };
  }
}
