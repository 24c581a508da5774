import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReportMessage, ReportStream } from '@parley/protocol';
import { FakeAudioSource, member } from '../../../../../test/helpers/sdk.js';
import type { AudioPacketIn } from '../../core/media-path.js';
import { userKey } from '../../core/user-volumes.js';
import { PlayoutListener, type PlayoutTarget } from './listener.js';

/** One speaker's entry of a receiver report, as the worklet would answer. */
const COUNTS = {
  lost: 0,
  late: 0,
  concealed: 0,
  recoveredFec: 0,
  recoveredRed: 0,
  accelerated: 1,
  stretched: 0,
};
const STREAM: ReportStream = { ssrc: 11, expected: 250, jitterMs: 2, delayMs: 20, ...COUNTS };

/** A playout node that records what it is told, and answers reports with STREAM. */
class FakePlayout implements PlayoutTarget {
  readonly packets: AudioPacketIn[] = [];
  readonly volumes = new Map<number, number>();
  readonly priority = new Map<number, boolean>();
  reports = 0;
  push(p: AudioPacketIn): void {
    this.packets.push(p);
  }
  setVolume(ssrc: number, gain: number): void {
    this.volumes.set(ssrc, gain);
  }
  setPriority(ssrc: number, on: boolean): void {
    this.priority.set(ssrc, on);
  }
  report(): Promise<ReportStream[]> {
    this.reports++;
    return Promise.resolve([STREAM]);
  }
}

class ReportingSource extends FakeAudioSource {
  readonly sent: Omit<ReportMessage, 'type' | 'ref'>[] = [];
  rttMs: number | null = 12;
  sendReport(r: Omit<ReportMessage, 'type' | 'ref'>): void {
    this.sent.push(r);
  }
}

describe('PlayoutListener', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('posts the packets, follows the members with their volumes and priority, reports every 5 s', async () => {
    const src = new ReportingSource();
    src.members.set(11, member(11, 'ana', 5));
    const out = new FakePlayout();
    const l = new PlayoutListener(src, out);
    expect(out.volumes.get(11)).toBe(1);
    l.setUserVolumeByKey(userKey(member(11, 'ana', 5)), 0);
    expect(out.volumes.get(11)).toBe(0);
    // Ana comes back with another ssrc, as a priority speaker: her volume follows her.
    const back = { ...member(33, 'ana', 5), prioritySpeaker: true };
    src.members.set(33, back);
    src.emit({
      type: 'presence',
      channelId: 1,
      count: 2,
      joined: [back],
      changed: [],
      left: [],
      more: false,
    });
    expect(out.volumes.get(33)).toBe(0);
    expect(out.priority.get(33)).toBe(true);
    const p = { ssrc: 11, extSeq: 1, timestamp: 960, flags: 0, payload: Uint8Array.of(1, 2), arrivalMs: 0 };
    src.push(p);
    expect(out.packets).toEqual([p]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(src.sent).toEqual([{ intervalMs: 5000, rttMs: 12, streams: [STREAM] }]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(out.reports).toBe(2);
    l.close();
    l.close();
    expect(src.audio.size + src.events.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
