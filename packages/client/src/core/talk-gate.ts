/**
 * Whether a captured frame is sent: voice activation, push-to-talk or an
 * open microphone, and mute — with the protocol's talk-spurt flags
 * (`TALK_START` on the first packet of a spurt, `TALK_END` on its last).
 * Pure; shared by the browser engine and `parley send --vad`.
 */
import { AudioFlag } from '@parley/protocol';
import { VoiceActivityDetector, type LevelGateOptions } from '../audio/vad.js';

export type VoiceMode = 'voice-activity' | 'push-to-talk' | 'open';

/** What to do with one frame: not send it, or send it with these flags. */
export type GateDecision = { send: false } | { send: true; flags: number };

const SKIP: GateDecision = { send: false };
const SEND: GateDecision = { send: true, flags: 0 };
const START: GateDecision = { send: true, flags: AudioFlag.TalkStart };
const END: GateDecision = { send: true, flags: AudioFlag.TalkEnd };

export interface TalkGateOptions extends LevelGateOptions {
  mode?: VoiceMode;
}

export class TalkGate {
  mode: VoiceMode;
  private readonly vad: VoiceActivityDetector;
  private ptt = false;
  private muted = false;
  /** A spurt is in progress (its TALK_START was sent). */
  private talking = false;

  constructor(opts: TalkGateOptions = {}) {
    this.mode = opts.mode ?? 'voice-activity';
    this.vad = new VoiceActivityDetector(opts);
  }

  get thresholdDb(): number {
    return this.vad.thresholdDb;
  }

  set thresholdDb(db: number) {
    this.vad.thresholdDb = db;
  }

  /** Push-to-talk key state (used in 'push-to-talk' mode). */
  setPushToTalk(pressed: boolean): void {
    this.ptt = pressed;
  }

  /**
   * Muted: from the next frame on nothing of the microphone is sent. True
   * when this cut a spurt in progress: the caller sends the packet that
   * says so now, `TALK_END | CUT` (docs/protocol.md, "Cut by mute"), and
   * drops what it has not sent of the spurt yet.
   */
  setMuted(muted: boolean): boolean {
    this.muted = muted;
    if (!muted || !this.talking) return false;
    this.talking = false;
    return true;
  }

  get isMuted(): boolean {
    return this.muted;
  }

  /** A spurt is being sent. */
  get isTalking(): boolean {
    return this.talking;
  }

  /** One captured frame's level (dBFS RMS): send it or not, and with which flags. */
  decide(dbfs: number): GateDecision {
    const vadOpen = this.vad.update(dbfs); // runs in every mode: switching mode starts from a warm state
    if (this.muted) return SKIP;
    const want = this.mode === 'open' ? true : this.mode === 'push-to-talk' ? this.ptt : vadOpen;
    if (want) {
      if (this.talking) return SEND;
      this.talking = true;
      return START;
    }
    if (!this.talking) return SKIP;
    // The frame that closes the gate ends the spurt: sent, marked as its last.
    this.talking = false;
    return END;
  }
}
