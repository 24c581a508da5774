/**
 * Fakes and fixtures for the SDK's unit tests (packages/client/src): a
 * client as the Listener sees it, a channel member, and Opus frames of a
 * tone. Real Opus, no sockets.
 */
import { FRAME_SAMPLES, SAMPLE_RATE, type Member, type ServerMessage } from '@parley/protocol';
import {
  OpusEncoder,
  toneInt16,
  type AudioPacketIn,
  type AudioSource,
  type OpusModule,
} from '@parley/client';

/** A client as the Listener sees it: audio and events pushed by the test, the listeners it holds countable. */
export class FakeAudioSource implements AudioSource {
  readonly members = new Map<number, Member>();
  readonly audio = new Set<(p: AudioPacketIn) => void>();
  readonly events = new Set<(m: ServerMessage) => void>();
  onAudio(fn: (p: AudioPacketIn) => void): () => void {
    this.audio.add(fn);
    return () => this.audio.delete(fn);
  }
  onEvent(fn: (m: ServerMessage) => void): () => void {
    this.events.add(fn);
    return () => this.events.delete(fn);
  }
  push(p: AudioPacketIn): void {
    for (const fn of this.audio) fn(p);
  }
  emit(m: ServerMessage): void {
    for (const fn of this.events) fn(m);
  }
}

/** A channel member: an account when `userId` is a number, a guest when null. */
export function member(ssrc: number, name: string, userId: number | null = null): Member {
  return {
    ssrc,
    userId,
    name,
    role: userId === null ? 'guest' : 'member',
    muted: false,
    deafened: false,
    serverMuted: false,
    serverDeafened: false,
    prioritySpeaker: false,
    speaking: false,
  };
}

/** `frames` Opus packets of a `freq` Hz tone at −12 dBFS, one per 20 ms frame. */
export function encodeTone(opus: OpusModule, freq: number, frames: number): Uint8Array[] {
  const enc = new OpusEncoder(opus);
  const pcm = toneInt16(freq, (frames * FRAME_SAMPLES) / SAMPLE_RATE, SAMPLE_RATE, -12);
  const out = Array.from({ length: frames }, (_, f) =>
    enc.encode(pcm.subarray(f * FRAME_SAMPLES, (f + 1) * FRAME_SAMPLES)),
  );
  enc.destroy();
  return out;
}
