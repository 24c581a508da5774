/**
 * BrowserVoice: a joined VoiceClient's audio in a browser.
 *
 *   mic → getUserMedia → `parley-capture` worklet (20 ms frames, 48 kHz)
 *       → [RNNoise] → TalkGate (voice activation / push-to-talk / open, mute)
 *       → Opus (WebCodecs AudioEncoder, or the SDK's wasm libopus)
 *       → VoiceClient.sealAudio → the client's media transport
 *   VoiceClient.onAudio → (posted, payload moved) → `parley-playout` worklet:
 *       the SDK's Receiver on the audio thread (jitter buffers, Opus PLC/FEC,
 *       time-scaling, per-user volume, priority ducking, the mix), pulled
 *       once per render quantum; levels, speaking, stats and taps come back
 *       as messages (playout/worklet-node.ts, docs/playout.md "In a browser")
 *
 * The transport stays the client's (MediaTransport: WebSocket today).
 * `close()` stops tracks, worklets and listeners and closes the
 * AudioContext it made; the client stays open (it is the app's).
 */
import { FRAME_SAMPLES, SAMPLES_PER_MS } from '@parley/protocol';
import { rmsDbfs } from '../audio/analysis.js';
import type { JitterBufferOptions } from '../audio/jitter-buffer.js';
import { instantiateOpus, type OpusModule } from '../audio/opus.js';
import { SpeakingDetector, DEFAULT_VAD_THRESHOLD_DB } from '../audio/vad.js';
import { CUT_COPIES, sendCut } from '../core/sender.js';
import { TalkGate, type VoiceMode } from '../core/talk-gate.js';
import type { FrameTracer } from '../core/trace.js';
import type { VoiceClient } from '../core/voice-client.js';
import { MicCapture, type AudioProcessing } from './capture.js';
import { watchAudioDevices, type AudioDeviceList } from './devices.js';
import { createEncoder, type EncoderKind, type VoiceEncoder } from './encoders.js';
import { Listeners } from './listeners.js';
import { loadOpusModule, loadOpusWasm } from './opus-loader.js';
import { PlayoutListener } from './playout/listener.js';
import type { PlayoutStats } from './playout/messages.js';
import { WorkletPlayout, type OutputTap } from './playout/worklet-node.js';

export type { VoiceMode } from '../core/talk-gate.js';

export interface BrowserVoiceOptions {
  inputDeviceId?: string;
  outputDeviceId?: string;
  echoCancellation?: boolean;
  noiseSuppression?: boolean;
  autoGainControl?: boolean;
  /** RNNoise wasm suppressor (@jitsi/rnnoise-wasm), loaded only when on. */
  rnnoise?: boolean;
  /** Opus bits/s (default: the channel's `joined.media.bitrate`). */
  bitrate?: number;
  /** Default 'voice-activity'. */
  mode?: VoiceMode;
  /** dBFS (frame RMS) at which voice activation opens (default −45). */
  vadThresholdDb?: number;
  /** Optional, else one is created at 48 kHz (and closed by `close()`). */
  audioContext?: AudioContext;
  /** libopus, already instantiated on this thread (encoding without WebCodecs). */
  opus?: OpusModule;
  /** libopus, compiled: what the playout worklet instantiates (decoding). */
  opusModule?: WebAssembly.Module;
  /**
   * Where to fetch libopus's `.wasm` when `opusModule` is not given
   * (default `opus.wasm` next to the page): compiled once, for the worklet
   * and (unless `opus` is given) this thread.
   */
  opusWasmUrl?: string | URL;
  /** 'auto' (default): WebCodecs when it has Opus, else wasm. */
  encoder?: EncoderKind | 'auto';
  /** The jitter buffers' options (min / max / initial delay, capacity); `JITTER_DEFAULTS` under them. */
  jitterBuffer?: JitterBufferOptions;
  /**
   * Per-frame timing (core/trace.ts, docs/benchmarks.md "Mouth-to-ear
   * latency"): `arrived`, `popped`, `decoded` and `played` from the
   * Receiver in the playout worklet, on the worklet's clock turned into
   * this page's wall clock (`played`: when the frame's first sample was
   * rendered, `pos` in samples of the output). Absent: no tracing.
   */
  tracer?: FrameTracer;
}

export interface BrowserVoiceStats {
  transport: 'udp' | 'ws' | null;
  cipher: string | null;
  encoder: 'webcodecs' | 'wasm';
  /** Round-trip time to the server on the media path (PING/PONG); null until the first answer. */
  rttMs: number | null;
  /** Frames lost of those due, received side (%). */
  lossPct: number;
  /** Largest interarrival jitter among the speakers heard (ms). */
  jitterMs: number;
  /** Largest jitter-buffer target delay (ms). */
  jitterBufferMs: number;
  sendKbps: number;
  recvKbps: number;
}

/** The figures behind `stats()`, for tests and the connection panel's details. */
export interface BrowserVoiceCounters {
  framesCaptured: number;
  /** Captured frames the encoder dropped (it was too far behind). */
  framesDroppedByEncoder: number;
  packetsSent: number;
  packetsReceived: number;
  /** Frames' worth of audio the output played (its 48 kHz samples / the frame). */
  framesPlayed: number;
  /** The Receiver in the playout worklet: counters and delays (null until its first report, ≈ 0.3 s). */
  playout: PlayoutStats | null;
}

export interface BrowserVoiceEvents {
  /** Every captured frame: its level (dBFS RMS) and whether it is sent. */
  'input-level': [dbfs: number, sending: boolean];
  /** A remote speaker started/stopped, from the audio actually received. */
  speaking: [ssrc: number, speaking: boolean, dbfs: number];
  /** We started/stopped speaking, from the audio actually sent. */
  'self-speaking': [speaking: boolean];
  /**
   * A device in use went away (unplugged: the default one stands in for
   * it) or came back (and is used again).
   */
  'device-change': [change: DeviceChange];
}

/** `deviceId`: the device chosen (undefined: the system default). */
export interface DeviceChange {
  kind: 'input' | 'output';
  state: 'lost' | 'back';
  deviceId: string | undefined;
  /** There is no such device left at all (an input: nothing is captured until one is plugged in). */
  error?: unknown;
}

/** One captured frame, for measurements: 48 kHz mono, and when it was complete. */
export type InputTap = (pcm: Float32Array, info: { t: number; sent: boolean }) => void;

/** 28 bytes of header and tag around each Opus payload. */
const PACKET_OVERHEAD = 28;

/**
 * The browser engine's floor under the jitter buffer's target (ms): one
 * frame. The output no longer waits for the page's main thread, but the
 * packets still come through it, and its stalls come without warning
 * (docs/playout.md, "In a browser").
 */
export const BROWSER_MIN_DELAY_MS = 20;

/**
 * The browser engine's jitter-buffer defaults (docs/playout.md, "In a
 * browser"): the floor above, and after a TALK_END the speaker has
 * stopped: its stream goes idle at the first underrun (the jitter buffer
 * once counted the end of each spurt as late frames and grew its delay by
 * 40 ms — test/browser/web-mute). Mid-spurt underruns keep their own limit
 * (`idleAfterUnderrunsMidSpurt`).
 */
const JITTER_DEFAULTS: JitterBufferOptions = {
  minDelayMs: BROWSER_MIN_DELAY_MS,
  idleAfterUnderruns: 0,
};

function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export class BrowserVoice {
  private readonly events = new Listeners<BrowserVoiceEvents>();
  private readonly inputTaps = new Set<InputTap>();
  private readonly gate: TalkGate;
  private readonly selfSpeaking: SpeakingDetector;
  private readonly frameSamples: number;
  private readonly offClient: (() => void)[] = [];
  private capture: MicCapture | null = null;
  private playout: WorkletPlayout | null = null;
  private listener: PlayoutListener | null = null;
  private encoder: VoiceEncoder | null = null;
  private timestamp = Math.floor(Math.random() * 0x100000000);
  private deafened = false;
  /**
   * The timestamp a mute cut the last spurt at (null: none, or the encoder
   * has handed over a frame since): what the encoder still hands over of
   * frames before it is dropped, not sent.
   */
  private cutTimestamp: number | null = null;
  /** The output chosen (`''`: the default), and whether it went away (the default stands in). */
  private wantedOutput = '';
  private outputFallback = false;
  /** Output checks on `devicechange`, one after the other. */
  private outputChecks: Promise<void> = Promise.resolve();
  private stopWatch: (() => void) | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly counters = {
    framesCaptured: 0,
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
  };
  private rateMark = { t: 0, sent: 0, recv: 0 };
  private lastRates = { sendKbps: 0, recvKbps: 0 };

  private constructor(
    private readonly client: VoiceClient,
    private readonly ctx: AudioContext,
    private readonly ownsContext: boolean,
    private readonly opts: BrowserVoiceOptions,
  ) {
    this.frameSamples = client.joined === null ? FRAME_SAMPLES : client.joined.media.frameMs * SAMPLES_PER_MS;
    this.gate = new TalkGate({
      mode: opts.mode ?? 'voice-activity',
      thresholdDb: opts.vadThresholdDb ?? DEFAULT_VAD_THRESHOLD_DB,
      frameMs: this.frameSamples / SAMPLES_PER_MS,
    });
    this.selfSpeaking = new SpeakingDetector({ frameMs: this.frameSamples / SAMPLES_PER_MS });
    this.rateMark.t = performance.now();
  }

  /** Starts the microphone and the speakers for a client that has joined a channel. */
  static async start(client: VoiceClient, opts: BrowserVoiceOptions = {}): Promise<BrowserVoice> {
    const joined = client.joined;
    if (joined === null) throw new Error('BrowserVoice.start: join a channel first');
    const url = opts.opusWasmUrl ?? new URL('opus.wasm', document.baseURI);
    const module = opts.opusModule ?? (await loadOpusModule(url));
    const opus =
      opts.opus ?? (opts.opusModule === undefined ? await loadOpusWasm(url) : await instantiateOpus(module));
    const ctx = opts.audioContext ?? new AudioContext({ sampleRate: 48000, latencyHint: 'interactive' });
    const voice = new BrowserVoice(client, ctx, opts.audioContext === undefined, opts);
    try {
      await voice.open(opus, module, joined.media.bitrate);
    } catch (err) {
      await voice.close();
      throw err;
    }
    return voice;
  }

  private async open(opus: OpusModule, module: WebAssembly.Module, channelBitrate: number): Promise<void> {
    const counters = this.counters;
    this.offClient.push(
      this.client.onAudio((p) => {
        counters.packetsReceived++;
        counters.bytesReceived += p.payload.length + PACKET_OVERHEAD;
      }),
    );
    this.encoder = await createEncoder((bytes, ts, flags) => this.send(bytes, ts, flags), {
      prefer: this.opts.encoder ?? 'auto',
      opus,
      bitrate: this.opts.bitrate ?? channelBitrate,
      frameSamples: this.frameSamples,
    });
    if (this.closed) return;
    this.playout = await WorkletPlayout.open(this.ctx, {
      opus: module,
      frameSamples: this.frameSamples,
      receiver: { jitter: { ...JITTER_DEFAULTS, ...this.opts.jitterBuffer } },
      ...(this.opts.tracer === undefined ? {} : { tracer: this.opts.tracer }),
      onSpeaking: (ssrc, on, db) => this.events.emit('speaking', ssrc, on, db),
    });
    if (this.closed) {
      this.playout.close();
      return;
    }
    this.listener = new PlayoutListener(this.client, this.playout);
    if (this.opts.outputDeviceId !== undefined) await this.setOutputDevice(this.opts.outputDeviceId);
    if (this.closed) return;
    const processing: AudioProcessing = {};
    if (this.opts.echoCancellation !== undefined) processing.echoCancellation = this.opts.echoCancellation;
    if (this.opts.noiseSuppression !== undefined) processing.noiseSuppression = this.opts.noiseSuppression;
    if (this.opts.autoGainControl !== undefined) processing.autoGainControl = this.opts.autoGainControl;
    if (this.opts.rnnoise !== undefined) processing.rnnoise = this.opts.rnnoise;
    this.capture = await MicCapture.open(this.ctx, {
      ...(this.opts.inputDeviceId === undefined ? {} : { inputDeviceId: this.opts.inputDeviceId }),
      processing,
      frameMs: this.frameSamples / SAMPLES_PER_MS,
      onFrame: (pcm) => this.onFrame(pcm),
      onInputChange: (c) => this.events.emit('device-change', { kind: 'input', ...c }),
    });
    if (this.closed) return;
    this.stopWatch = watchAudioDevices((list) => {
      this.outputChecks = this.outputChecks.then(() => this.checkOutput(list)).catch(() => undefined);
    });
    // Without a user gesture the browser keeps a new context suspended, and resume() stays
    // pending until one comes: start() does not wait for it (call it from a click).
    if (this.ctx.state === 'suspended') void this.ctx.resume().catch(() => undefined);
  }

  /** The AudioContext in use. */
  get audioContext(): AudioContext {
    return this.ctx;
  }

  /** The current microphone track (null once closed). */
  get inputTrack(): MediaStreamTrack | null {
    return this.capture?.track ?? null;
  }

  /** Switches the microphone mid-call: frames keep flowing from the old one until the new one is connected. */
  async setInputDevice(deviceId: string): Promise<void> {
    await this.capture?.setInputDevice(deviceId);
  }

  /**
   * Plays on another output device (`AudioContext.setSinkId`, Chromium
   * 110+; `''` = the default). Unplugged, the default stands in until it
   * is listed again (`device-change`).
   */
  async setOutputDevice(deviceId: string): Promise<void> {
    this.wantedOutput = deviceId;
    this.outputFallback = false;
    await this.applySink(deviceId);
  }

  private async applySink(deviceId: string): Promise<void> {
    const ctx = this.ctx as AudioContext & { setSinkId?: (id: string) => Promise<void> };
    if (typeof ctx.setSinkId !== 'function') throw new Error('this browser cannot choose the output device');
    await ctx.setSinkId(deviceId);
  }

  /** The devices changed: the chosen output went away (play on the default) or came back (play on it again). */
  private async checkOutput(list: AudioDeviceList): Promise<void> {
    const want = this.wantedOutput;
    if (this.closed || want === '' || want === 'default') return;
    const listed = list.outputs.some((d) => d.deviceId === want);
    if (!listed && !this.outputFallback) {
      this.outputFallback = true;
      await this.applySink('').catch(() => undefined);
      if (!this.closed) this.events.emit('device-change', { kind: 'output', state: 'lost', deviceId: want });
    } else if (listed && this.outputFallback) {
      try {
        await this.applySink(want);
        this.outputFallback = false;
        if (!this.closed)
          this.events.emit('device-change', { kind: 'output', state: 'back', deviceId: want });
      } catch {
        // Listed but not usable yet: the next change tries again.
      }
    }
  }

  /** The output device in use, as the AudioContext reports it (`''` = the system default). */
  get outputDeviceId(): string {
    const id = (this.ctx as AudioContext & { sinkId?: unknown }).sinkId;
    return typeof id === 'string' ? id : '';
  }

  async setProcessing(p: AudioProcessing): Promise<void> {
    await this.capture?.setProcessing(p);
  }

  setBitrate(bps: number): void {
    this.encoder?.setBitrate(bps);
  }

  setMode(mode: VoiceMode): void {
    this.gate.mode = mode;
  }

  setVadThreshold(db: number): void {
    this.gate.thresholdDb = db;
  }

  setPushToTalk(pressed: boolean): void {
    this.gate.setPushToTalk(pressed);
  }

  /**
   * Stops sending now. A spurt in progress is cut: the packet that says so
   * (`TALK_END | CUT`, docs/protocol.md "Cut by mute") is handed to the
   * transport before this returns, and listeners drop what they hold of
   * the spurt and fade out on its arrival; what the encoder still holds of
   * it is not sent. Tell the server (`client.setState({ muted })`) after
   * this, since the server drops what a muted session sends — that packet
   * too, if the state arrives first. Unmuting, tell the server first and
   * wait for its answer, for the same reason: the next frame starts a new
   * spurt.
   */
  setMuted(muted: boolean): void {
    if (!this.gate.setMuted(muted) || this.closed || this.client.joined === null) return;
    this.cutTimestamp = this.timestamp;
    if (!sendCut(this.client, this.timestamp)) return;
    this.counters.packetsSent += CUT_COPIES;
    this.counters.bytesSent += CUT_COPIES * PACKET_OVERHEAD;
  }

  /** Stops playing (the app also mutes and tells the server). */
  setDeafened(deafened: boolean): void {
    this.deafened = deafened;
    this.playout?.setDeafened(deafened);
  }

  /** A user's volume by `userKey(member)`; 0 = local mute. Kept while they are silent, leave or come back. */
  setUserVolume(key: string, gain: number): void {
    this.listener?.setUserVolumeByKey(key, gain);
  }

  on<K extends keyof BrowserVoiceEvents>(ev: K, fn: (...args: BrowserVoiceEvents[K]) => void): () => void {
    return this.events.on(ev, fn);
  }

  /** dBFS of what is being played for that speaker (after volume and ducking); −Infinity when silent. */
  remoteLevel(ssrc: number): number {
    if (this.deafened || this.playout === null) return -Infinity;
    return this.playout.levelOf(ssrc);
  }

  /**
   * Whether a remote speaker is heard speaking now: the state the last
   * `speaking` event for it said (an app that subscribes after `start()`
   * reads what it missed here).
   */
  isSpeaking(ssrc: number): boolean {
    return this.playout?.isSpeaking(ssrc) ?? false;
  }

  /**
   * Sees each 20 ms frame the output played (after volume, ducking and
   * deafen), in batches from the worklet: for tests, measurements and meters.
   */
  tapOutput(fn: OutputTap): () => void {
    if (this.playout === null) return () => undefined;
    return this.playout.tap(fn);
  }

  /** Sees each captured frame (after RNNoise), sent or not (for tests and measurements). */
  tapInput(fn: InputTap): () => void {
    this.inputTaps.add(fn);
    return () => this.inputTaps.delete(fn);
  }

  /**
   * The connection figures. Each call also sends a PING on the media path:
   * `rttMs` is the answer to an earlier call's (call it every second or so
   * for the connection panel; nothing runs between calls).
   */
  stats(): BrowserVoiceStats {
    this.client.ping();
    const r = this.playout?.stats() ?? null;
    const now = performance.now();
    const dt = now - this.rateMark.t;
    if (dt >= 1000) {
      this.lastRates = {
        sendKbps: ((this.counters.bytesSent - this.rateMark.sent) * 8) / dt,
        recvKbps: ((this.counters.bytesReceived - this.rateMark.recv) * 8) / dt,
      };
      this.rateMark = { t: now, sent: this.counters.bytesSent, recv: this.counters.bytesReceived };
    }
    const due = r === null ? 0 : r.played + r.lost;
    return {
      transport: this.client.transportKind,
      cipher: this.client.joined?.media.cipher ?? null,
      encoder: this.encoder?.kind ?? 'wasm',
      rttMs: this.client.rttMs,
      lossPct: r === null || due === 0 ? 0 : (100 * r.lost) / due,
      jitterMs: r?.jitterMs ?? 0,
      jitterBufferMs: r?.targetDelayMs ?? 0,
      sendKbps: this.lastRates.sendKbps,
      recvKbps: this.lastRates.recvKbps,
    };
  }

  counts(): BrowserVoiceCounters {
    return {
      framesCaptured: this.counters.framesCaptured,
      framesDroppedByEncoder: this.encoder?.dropped ?? 0,
      packetsSent: this.counters.packetsSent,
      packetsReceived: this.counters.packetsReceived,
      framesPlayed: Math.floor((this.playout?.played ?? 0) / this.frameSamples),
      playout: this.playout?.stats() ?? null,
    };
  }

  /** Listeners still registered on this object (0 after `close()`). */
  get listenerCount(): number {
    return (
      this.events.count + this.inputTaps.size + this.offClient.length + (this.stopWatch === null ? 0 : 1)
    );
  }

  /** Stops the microphone, the worklets, the listeners; closes the AudioContext it made. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.stopWatch?.();
    this.stopWatch = null;
    for (const off of this.offClient.splice(0)) off();
    this.events.clear();
    this.inputTaps.clear();
    const capture = this.capture;
    this.capture = null;
    await capture?.close();
    this.encoder?.close();
    this.encoder = null;
    this.listener?.close();
    this.listener = null;
    this.playout?.close();
    this.playout = null;
    if (this.ownsContext && this.ctx.state !== 'closed') await this.ctx.close();
  }

  private onFrame(pcm: Float32Array<ArrayBuffer>): void {
    if (this.closed) return;
    this.counters.framesCaptured++;
    const db = rmsDbfs(pcm);
    const d = this.gate.decide(db);
    const ts = this.timestamp;
    this.timestamp = (this.timestamp + pcm.length) >>> 0;
    if (this.inputTaps.size > 0) {
      const info = { t: wallMs(), sent: d.send };
      for (const fn of this.inputTaps) fn(pcm, info);
    }
    this.events.emit('input-level', db, d.send);
    const was = this.selfSpeaking.isOpen;
    const now = this.selfSpeaking.update(d.send ? db : -Infinity);
    if (now !== was) this.events.emit('self-speaking', now);
    if (d.send) this.encoder?.encode(pcm, ts, d.flags);
  }

  private send(opus: Uint8Array, timestamp: number, flags: number): void {
    if (this.closed || this.client.joined === null) return;
    // A frame of a spurt that a mute has cut (it was still in the encoder): listeners have ended it.
    // The encoder hands frames over in order: once one at or after the cut comes, none before it is
    // left, and the cut is forgotten (2^31 samples later, 12.4 h, the comparison would turn over).
    if (this.cutTimestamp !== null) {
      if (((this.cutTimestamp - timestamp) | 0) > 0) return;
      this.cutTimestamp = null;
    }
    this.client.sendPacket(this.client.sealAudio(opus, timestamp, flags));
    this.counters.packetsSent++;
    this.counters.bytesSent += opus.length + PACKET_OVERHEAD;
  }
}
