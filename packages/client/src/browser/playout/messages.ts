/**
 * What the main thread and the playout worklet (`parley-playout`,
 * processor.ts) say to each other over the node's port, both ways.
 * Structured clones; the payloads and PCM buffers are transferred, not
 * copied. Everything the worklet sends is batched per status period (a
 * few render quanta) and bounded, apart from `speaking` (rare, and late
 * would be wrong) and the tap's frames (one per 20 ms, only while tapped).
 */
import type { ReportStream } from '@parley/protocol';
import type { ReceiverOptions, ReceiverStats } from '../../core/receiver.js';

export const PLAYOUT_PROCESSOR = 'parley-playout';

/** The Receiver options that cross to the worklet (no callbacks: those become messages). */
export type PlayoutReceiverOptions = Pick<
  ReceiverOptions,
  | 'jitter'
  | 'maxStreams'
  | 'idleMs'
  | 'maxVolumes'
  | 'duckDb'
  | 'speakingThresholdDb'
  | 'speakingHangoverMs'
  | 'timeScale'
>;

/** The processor's `processorOptions`. */
export interface PlayoutInit {
  /** libopus, compiled on the main thread (a WebAssembly.Module is cloneable to a worklet). */
  opus: WebAssembly.Module;
  /** Samples per frame of the channel (48 kHz). */
  frameSamples: number;
  receiver: PlayoutReceiverOptions;
  /** Render quanta between two status messages. */
  statusQuanta: number;
  /** Status messages between two that carry the Receiver's stats. */
  statsEvery: number;
  /** Record the Receiver's frame trace (popped, decoded, played, arrived) and send it with the status. */
  trace: boolean;
  /** Trace events one status carries at most; more are counted in `traceDropped`. */
  maxTraceEvents: number;
}

/** A decrypted audio packet, as VoiceClient.onAudio hands it (the arrival is stamped by the worklet). */
export interface PacketMessage {
  t: 'packet';
  ssrc: number;
  extSeq: number;
  timestamp: number;
  flags: number;
  payload: Uint8Array<ArrayBuffer>;
}

/** Main thread → worklet. Every message but `packet` is a control message, counted (`ctl`). */
export type ToPlayout =
  | PacketMessage
  | { t: 'volume'; ssrc: number; gain: number }
  | { t: 'priority'; ssrc: number; on: boolean }
  | { t: 'deafen'; on: boolean }
  | { t: 'tap'; on: boolean }
  | { t: 'report' }
  | { t: 'close' };

/** The Receiver's stats and delays, as the status carries them. */
export interface PlayoutStats extends ReceiverStats {
  jitterMs: number;
  targetDelayMs: number;
}

export interface StatusMessage {
  t: 'status';
  /** The worklet's clock (ms: currentFrame / sampleRate) at the start of the quantum just rendered. */
  ctxMs: number;
  /** 48 kHz samples taken from the Receiver so far (the output position). */
  played: number;
  /** Control messages handled so far. */
  ctl: number;
  /** (ssrc, dBFS) pairs: each speaker's level over the period, after volume and ducking. */
  levels: Float64Array<ArrayBuffer>;
  /** Trace events of the period (TraceRecorder.takeRaw: times on the worklet's clock), when tracing. */
  trace: Float64Array<ArrayBuffer> | null;
  traceDropped: number;
  /** Every `statsEvery` statuses. */
  stats: PlayoutStats | null;
}

/** One frame (`frameSamples`, 48 kHz) of what was played, while tapped. */
export interface TapMessage {
  t: 'tap';
  pcm: Int16Array<ArrayBuffer>;
  /** The worklet's clock when its first sample was rendered. */
  ctxMs: number;
  /** Control messages handled when it began. */
  ctl: number;
  played: number;
}

/** Worklet → main thread. */
export type FromPlayout =
  | { t: 'ready' }
  | { t: 'error'; message: string }
  | StatusMessage
  | TapMessage
  | { t: 'speaking'; ssrc: number; on: boolean; db: number }
  | { t: 'report'; streams: ReportStream[] };
