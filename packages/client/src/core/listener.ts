/**
 * The listening half of a participant, wired: a client's decrypted audio
 * into a Receiver (jitter buffers, Opus, mixer), a drift-free frame clock
 * that pulls one mixed frame per tick, and an output that takes it (a WAV
 * file, a speaker, a bot's ears). Per-user volumes follow the channel's
 * members. What `parley record`, a bot and the web app all need, in one
 * object with one `close()`.
 */
import type { Member, ReportMessage, ServerMessage } from '@parley/protocol';
import { FRAME_SAMPLES, SAMPLE_RATE } from '@parley/protocol';
import type { OpusModule } from '../audio/opus.js';
import { FrameClock, type ClockDeps } from './clock.js';
import { recordMix, type FrameSink } from './recorder.js';
import type { AudioPacketIn } from './media-path.js';
import { Receiver, type ReceiverOptions, type ReceiverStats } from './receiver.js';
import { UserVolumes, userKey } from './user-volumes.js';

/** What a Listener needs of a VoiceClient (tests give a fake). */
export interface AudioSource {
  onAudio(fn: (p: AudioPacketIn) => void): () => void;
  onEvent(fn: (m: ServerMessage) => void): () => void;
  /** The channel's other members by ssrc. */
  readonly members: ReadonlyMap<number, Member>;
  /** Sends a receiver report (VoiceClient.sendReport); absent: the Listener reports nothing. */
  sendReport?(report: Omit<ReportMessage, 'type' | 'ref'>): void;
  /** Round trip on the media path (ms), when measured (VoiceClient.rttMs); goes into the reports. */
  readonly rttMs?: number | null;
}

/**
 * Where mixed audio goes: one call per tick with a chunk of `pullSamples`
 * 48 kHz mono samples (reused: copy what must outlive the call) and its
 * position, in samples since `start()`.
 */
export type AudioOutput = (frame: Int16Array, pos: number) => void;

export interface ListenerOptions {
  opus: OpusModule;
  /** Where `start()` sends the mix (not needed for `record`). */
  output?: AudioOutput;
  /** Samples per frame: `frameSamples(joined.media.frameMs)` of the channel (default FRAME_SAMPLES, 20 ms). */
  frameSamples?: number;
  /**
   * Samples per tick of the output clock (default 480: 10 ms, as a sound
   * card takes them). Smaller ticks let a frame start anywhere in the
   * output, so the playout delay is not rounded up to whole frames
   * (docs/playout.md).
   */
  pullSamples?: number;
  /** Jitter buffer, stream limits, tracing. */
  receiver?: Omit<ReceiverOptions, 'frameSamples'>;
  /** Volumes by user (shared with a UI, kept across channels); a new store by default. */
  volumes?: UserVolumes;
  /** Timers and monotonic clock (tests inject fakes). */
  clock?: Partial<ClockDeps>;
  /** A receiver report this often (ms, docs/protocol.md §2.6; default 5000, 0 = never). */
  reportEveryMs?: number;
}

/** 10 ms of 48 kHz audio: what a Listener's output clock takes per tick by default. */
export const DEFAULT_PULL_SAMPLES = 480;

export class Listener {
  readonly receiver: Receiver;
  readonly volumes: UserVolumes;
  private readonly clock: FrameClock;
  private readonly now: () => number;
  private readonly frameSamples: number;
  private readonly pullSamples: number;
  private readonly unsubscribe: (() => void)[];
  private pos = 0;
  private closed = false;
  /** Aborted by `close()`: ends the recordings in progress. */
  private readonly recordings = new AbortController();
  private reportTimer: unknown = null;
  private readonly timers: Pick<ClockDeps, 'setTimeout' | 'clearTimeout'>;

  constructor(
    private readonly source: AudioSource,
    private readonly opts: ListenerOptions,
  ) {
    this.frameSamples = opts.frameSamples ?? FRAME_SAMPLES;
    this.pullSamples = opts.pullSamples ?? DEFAULT_PULL_SAMPLES;
    this.receiver = new Receiver(opts.opus, {
      ...opts.receiver,
      frameSamples: this.frameSamples,
      pullSamples: this.pullSamples,
    });
    this.volumes = opts.volumes ?? new UserVolumes();
    this.now = opts.clock?.now ?? (() => performance.now());
    this.clock = new FrameClock({
      periodMs: (this.pullSamples / SAMPLE_RATE) * 1000,
      onTick: () => this.tick(),
      // Pull after reading the packets a stall held back (real timers only: tests inject theirs).
      afterIo: opts.clock?.setTimeout === undefined,
      ...opts.clock,
    });
    this.unsubscribe = [
      source.onAudio((p) => this.receiver.push(p)),
      source.onEvent((m) => {
        if (m.type === 'presence') {
          for (const member of m.joined) this.applyVolume(member);
          for (const member of m.changed) this.applyVolume(member);
        } else if (m.type === 'joined') this.applyVolumes();
      }),
    ];
    this.applyVolumes();
    this.timers = {
      setTimeout: opts.clock?.setTimeout ?? ((fn, ms) => setTimeout(fn, ms)),
      clearTimeout: opts.clock?.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>)),
    };
    this.scheduleReport();
  }

  /** Samples written to the output so far. */
  get position(): number {
    return this.pos;
  }

  /** Starts pulling one frame per tick into the output. Idempotent. */
  start(): void {
    if (this.opts.output === undefined) throw new RangeError('Listener.start needs an output');
    if (!this.closed) this.clock.start();
  }

  /**
   * Records exactly `seconds` of the mix into `sink`, one frame per tick on
   * its own drift-free clock (silence where nobody speaks); resolves with
   * the samples delivered (fewer if `close()` comes first; none after it).
   * For `parley record` and bots that listen for a while; `start()` is the
   * open-ended form.
   */
  record(seconds: number, sink: FrameSink): Promise<number> {
    return recordMix(this.receiver, seconds, sink, {
      frameSamples: this.pullSamples,
      now: this.now,
      ...(this.opts.clock === undefined ? {} : { clock: this.opts.clock }),
      signal: this.recordings.signal,
    });
  }

  /** Stops the clock (audio still goes into the jitter buffers). Idempotent. */
  stop(): void {
    this.clock.stop();
  }

  /** A user's volume (linear gain ≥ 0; 0 = local mute), kept when they go silent, leave or come back. */
  setUserVolume(member: Pick<Member, 'userId' | 'name'>, gain: number): void {
    this.volumes.set(userKey(member), gain);
    this.applyVolumes();
  }

  /** The same, by user key (`userKey(member)`: `user:<id>` or `guest:<name>`), for a UI that keeps keys. */
  setUserVolumeByKey(key: string, gain: number): void {
    this.volumes.set(key, gain);
    this.applyVolumes();
  }

  stats(): ReceiverStats {
    return this.receiver.stats();
  }

  /**
   * Stops the clock, ends a `record` in progress (it resolves with what it
   * delivered), detaches from the client and frees every decoder. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.stop();
    this.recordings.abort();
    if (this.reportTimer !== null) this.timers.clearTimeout(this.reportTimer);
    this.reportTimer = null;
    for (const off of this.unsubscribe) off();
    this.receiver.close();
  }

  /** Every `reportEveryMs`: how each speaker arrived, to the server (when there is something to say). */
  private scheduleReport(): void {
    const every = this.opts.reportEveryMs ?? 5000;
    const send = this.source.sendReport?.bind(this.source);
    if (every <= 0 || send === undefined || this.closed) return;
    this.reportTimer = this.timers.setTimeout(() => {
      this.reportTimer = null;
      if (this.closed) return;
      const streams = this.receiver.reportStreams();
      const rtt = this.source.rttMs;
      if (streams.length > 0)
        send({
          intervalMs: Math.min(60_000, Math.max(1000, Math.round(every))),
          ...(rtt === undefined || rtt === null ? {} : { rttMs: Math.min(10_000, rtt) }),
          streams,
        });
      this.scheduleReport();
    }, every);
  }

  private tick(): void {
    const frame = this.receiver.pull(this.now());
    this.opts.output?.(frame, this.pos);
    this.receiver.played(this.pos);
    this.pos += frame.length;
  }

  private applyVolume(m: Member): void {
    this.receiver.setVolume(m.ssrc, this.volumes.gainOf(m));
    this.receiver.setPriority(m.ssrc, m.prioritySpeaker);
  }

  private applyVolumes(): void {
    for (const m of this.source.members.values()) this.applyVolume(m);
  }
}
