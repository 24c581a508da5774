/**
 * The main thread's side of the playout worklet: it creates the
 * `parley-playout` node (the bundle of processor.ts, loaded from a Blob
 * URL, so the SDK needs no file served and no bundler), posts each
 * decrypted packet to it (the payload transferred) and the controls
 * (volume, priority, deafen, tap, report), and keeps what the worklet
 * reports: levels, speaking, stats, played frames — so that reading them
 * costs the page nothing and waits for nothing.
 */
import type { ReportStream } from '@parley/protocol';
import type { AudioPacketIn } from '../../core/media-path.js';
import type { FrameTracer } from '../../core/trace.js';
import { ClockMap } from './clock-map.js';
import {
  PLAYOUT_PROCESSOR,
  type FromPlayout,
  type PlayoutInit,
  type PlayoutReceiverOptions,
  type PlayoutStats,
  type StatusMessage,
  type TapMessage,
  type ToPlayout,
} from './messages.js';
import { PLAYOUT_WORKLET_SOURCE } from './playout-bundle.generated.js';
import { replayTrace } from './trace-replay.js';

/** One frame as it was played, for tests and measurements. */
export interface OutputTapInfo {
  /** Wall-clock ms (`performance.timeOrigin + performance.now()`) at which its first sample was rendered. */
  t: number;
  /** Always 0: kept for callers that add it to `t` (the output no longer queues ahead of the mix). */
  aheadMs: number;
}

/** Sees each 20 ms frame (48 kHz mono int16) the output played, after volume, ducking and deafen. */
export type OutputTap = (frame: Int16Array, info: OutputTapInfo) => void;

export interface WorkletPlayoutOptions {
  /** libopus, compiled (loadOpusModule). */
  opus: WebAssembly.Module;
  /** Samples per frame of the channel. */
  frameSamples: number;
  receiver?: PlayoutReceiverOptions;
  /** The Receiver's frame trace (popped, decoded, played, arrived), on the wall clock. */
  tracer?: FrameTracer;
  /** A speaker started or stopped speaking (from the audio the worklet plays). */
  onSpeaking?: (ssrc: number, speaking: boolean, dbfs: number) => void;
  /** Render quanta between two status messages (default 8: 21 ms at 48 kHz). */
  statusQuanta?: number;
  /** Status messages between two that carry the stats (default 12: 0.26 s). */
  statsEvery?: number;
}

/** Trace events one status message carries at most (the rest are counted as dropped). */
const MAX_TRACE_EVENTS_PER_STATUS = 1024;
/** Report requests waiting for the worklet at most. */
const MAX_PENDING_REPORTS = 4;

function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

const loaded = new WeakMap<BaseAudioContext, Promise<void>>();

/** Adds the playout processor to a context (once per context). */
function loadPlayoutWorklet(ctx: BaseAudioContext): Promise<void> {
  let p = loaded.get(ctx);
  if (p === undefined) {
    const url = URL.createObjectURL(new Blob([PLAYOUT_WORKLET_SOURCE], { type: 'text/javascript' }));
    p = ctx.audioWorklet.addModule(url).finally(() => URL.revokeObjectURL(url));
    p.catch(() => loaded.delete(ctx));
    loaded.set(ctx, p);
  }
  return p;
}

export class WorkletPlayout {
  private readonly levels = new Map<number, number>();
  private readonly speaking = new Set<number>();
  private readonly taps = new Set<OutputTap>();
  private readonly clock = new ClockMap();
  private readonly pendingReports: ((streams: ReportStream[]) => void)[] = [];
  private last: PlayoutStats | null = null;
  private playedSamples = 0;
  /** Control messages posted, and the count when the last deafen was posted. */
  private ctl = 0;
  private deafCtl = 0;
  private deafened = false;
  private closed = false;
  private started: { resolve: () => void; reject: (e: Error) => void } | null = null;
  /** Trace events the worklet could not keep (its batch was full). */
  traceDropped = 0;
  /** Why the worklet stopped, when it did (its processor threw). */
  error: string | null = null;

  private constructor(
    private readonly node: AudioWorkletNode,
    private readonly opts: WorkletPlayoutOptions,
  ) {
    node.port.onmessage = (e: MessageEvent<FromPlayout>) => this.onMessage(e.data);
    node.onprocessorerror = () => this.fail('the playout worklet stopped on an error');
  }

  /** Creates the node, waits for its processor (libopus instantiated), connects it to the speakers. */
  static async open(ctx: AudioContext, opts: WorkletPlayoutOptions): Promise<WorkletPlayout> {
    await loadPlayoutWorklet(ctx);
    const init: PlayoutInit = {
      opus: opts.opus,
      frameSamples: opts.frameSamples,
      receiver: opts.receiver ?? {},
      statusQuanta: opts.statusQuanta ?? 8,
      statsEvery: opts.statsEvery ?? 12,
      trace: opts.tracer !== undefined,
      maxTraceEvents: MAX_TRACE_EVENTS_PER_STATUS,
    };
    const node = new AudioWorkletNode(ctx, PLAYOUT_PROCESSOR, {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
      processorOptions: init,
    });
    const p = new WorkletPlayout(node, opts);
    try {
      await new Promise<void>((resolve, reject) => (p.started = { resolve, reject }));
    } catch (err) {
      p.close();
      throw err;
    }
    node.connect(ctx.destination);
    return p;
  }

  /** A decrypted packet, as VoiceClient.onAudio gives it: to the worklet (the payload copied, then moved). */
  push(p: AudioPacketIn): void {
    if (this.closed) return;
    const payload = p.payload.slice();
    const m: ToPlayout = {
      t: 'packet',
      ssrc: p.ssrc,
      extSeq: p.extSeq,
      timestamp: p.timestamp,
      flags: p.flags,
      payload,
    };
    this.node.port.postMessage(m, [payload.buffer]);
  }

  setVolume(ssrc: number, gain: number): void {
    this.control({ t: 'volume', ssrc, gain });
  }

  setPriority(ssrc: number, on: boolean): void {
    this.control({ t: 'priority', ssrc, on });
  }

  /** Deafened: the worklet keeps pulling (the jitter buffers keep time) and plays silence. */
  setDeafened(on: boolean): void {
    this.deafened = on;
    this.control({ t: 'deafen', on });
    if (on) this.deafCtl = this.ctl;
  }

  /** dBFS the worklet played for this speaker lately (after volume and ducking); −Infinity when nothing. */
  levelOf(ssrc: number): number {
    return this.levels.get(ssrc) ?? -Infinity;
  }

  isSpeaking(ssrc: number): boolean {
    return this.speaking.has(ssrc);
  }

  /** The Receiver's stats and delays, as of the last status that carried them (≤ 0.3 s old). */
  stats(): PlayoutStats | null {
    return this.last;
  }

  /** 48 kHz samples played so far. */
  get played(): number {
    return this.playedSamples;
  }

  /** Sees each frame played (the worklet sends them only while someone taps). Returns the unsubscribe. */
  tap(fn: OutputTap): () => void {
    if (this.closed) return () => undefined;
    if (this.taps.size === 0) this.control({ t: 'tap', on: true });
    this.taps.add(fn);
    return () => {
      if (!this.taps.delete(fn) || this.taps.size > 0 || this.closed) return;
      this.control({ t: 'tap', on: false });
    };
  }

  /** How each speaker arrived since the last call (Receiver.reportStreams, in the worklet). */
  report(): Promise<ReportStream[]> {
    if (this.closed || this.pendingReports.length >= MAX_PENDING_REPORTS) return Promise.resolve([]);
    return new Promise((resolve) => {
      this.pendingReports.push(resolve);
      this.control({ t: 'report' });
    });
  }

  /** Stops the worklet (it frees its decoders), disconnects the node and its port. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.control({ t: 'close' });
    this.closed = true;
    this.taps.clear();
    for (const r of this.pendingReports.splice(0)) r([]);
    this.started?.reject(new Error('closed'));
    this.started = null;
    this.node.port.onmessage = null;
    this.node.onprocessorerror = null;
    this.node.disconnect();
    this.node.port.close();
    this.levels.clear();
    this.speaking.clear();
  }

  private control(m: Exclude<ToPlayout, { t: 'packet' }>): void {
    if (this.closed) return;
    this.ctl++;
    this.node.port.postMessage(m);
  }

  private fail(message: string): void {
    this.error = message;
    this.started?.reject(new Error(message));
    this.started = null;
  }

  private onMessage(m: FromPlayout): void {
    if (this.closed) return;
    switch (m.t) {
      case 'ready':
        this.started?.resolve();
        this.started = null;
        break;
      case 'error':
        this.fail(`the playout worklet could not start: ${m.message}`);
        break;
      case 'status':
        this.onStatus(m);
        break;
      case 'tap':
        this.onTap(m);
        break;
      case 'speaking':
        if (m.on) this.speaking.add(m.ssrc);
        else this.speaking.delete(m.ssrc);
        this.opts.onSpeaking?.(m.ssrc, m.on, m.db);
        break;
      case 'report':
        this.pendingReports.shift()?.(m.streams);
        break;
    }
  }

  private onStatus(m: StatusMessage): void {
    this.clock.observe(m.ctxMs, wallMs());
    this.playedSamples = Math.max(this.playedSamples, m.played);
    this.levels.clear();
    for (let i = 0; i + 1 < m.levels.length; i += 2) this.levels.set(m.levels[i]!, m.levels[i + 1]!);
    const tracer = this.opts.tracer;
    if (m.trace !== null && tracer !== undefined) replayTrace(m.trace, tracer, (ms) => this.clock.toWall(ms));
    this.traceDropped = m.traceDropped;
    if (m.stats !== null) this.last = m.stats;
  }

  private onTap(m: TapMessage): void {
    this.playedSamples = Math.max(this.playedSamples, m.played);
    // Rendered before the worklet had the deafen: not what is played now.
    if (this.deafened && m.ctl < this.deafCtl) return;
    if (this.taps.size === 0 || !this.clock.ready) return;
    const info = { t: this.clock.toWall(m.ctxMs), aheadMs: 0 };
    for (const fn of this.taps) fn(m.pcm, info);
  }
}
