/**
 * A client's received audio into the playout worklet: what the SDK's
 * Listener does for `parley record` and bots (packets in, per-user volumes
 * and priority speakers following the channel's members, a receiver
 * report every few seconds), with the Receiver in the worklet instead of
 * on this thread. One `close()` detaches it from the client and stops its
 * timer.
 */
import type { Member } from '@parley/protocol';
import type { AudioSource } from '../../core/listener.js';
import { UserVolumes } from '../../core/user-volumes.js';
import type { WorkletPlayout } from './worklet-node.js';

/** What the listener needs of the playout worklet's node (WorkletPlayout; tests give a fake). */
export type PlayoutTarget = Pick<WorkletPlayout, 'push' | 'setVolume' | 'setPriority' | 'report'>;

export interface PlayoutListenerOptions {
  /** A receiver report this often (ms, docs/protocol.md §2.6; default 5000, 0 = never). */
  reportEveryMs?: number;
  /** Volumes by user (shared with a UI, kept across channels); a new store by default. */
  volumes?: UserVolumes;
}

export class PlayoutListener {
  readonly volumes: UserVolumes;
  private readonly unsubscribe: (() => void)[];
  private reportTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    private readonly source: AudioSource,
    private readonly playout: PlayoutTarget,
    private readonly opts: PlayoutListenerOptions = {},
  ) {
    this.volumes = opts.volumes ?? new UserVolumes();
    this.unsubscribe = [
      source.onAudio((p) => playout.push(p)),
      source.onEvent((m) => {
        if (m.type === 'presence') for (const member of [...m.joined, ...m.changed]) this.apply(member);
        else if (m.type === 'joined') this.applyAll();
      }),
    ];
    this.applyAll();
    this.scheduleReport();
  }

  /** A user's volume by `userKey(member)` (linear gain ≥ 0; 0 = local mute). */
  setUserVolumeByKey(key: string, gain: number): void {
    this.volumes.set(key, gain);
    this.applyAll();
  }

  /** Detaches from the client and stops the reports. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.reportTimer !== null) clearTimeout(this.reportTimer);
    this.reportTimer = null;
    for (const off of this.unsubscribe) off();
  }

  private apply(m: Member): void {
    this.playout.setVolume(m.ssrc, this.volumes.gainOf(m));
    this.playout.setPriority(m.ssrc, m.prioritySpeaker);
  }

  private applyAll(): void {
    for (const m of this.source.members.values()) this.apply(m);
  }

  /** Every `reportEveryMs`: how each speaker arrived (asked of the worklet), to the server. */
  private scheduleReport(): void {
    const every = this.opts.reportEveryMs ?? 5000;
    if (every <= 0 || this.source.sendReport === undefined || this.closed) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = null;
      void this.playout.report().then((streams) => {
        if (this.closed) return;
        const rtt = this.source.rttMs;
        if (streams.length > 0)
          this.source.sendReport?.({
            intervalMs: Math.min(60_000, Math.max(1000, Math.round(every))),
            ...(rtt === undefined || rtt === null ? {} : { rttMs: Math.min(10_000, rtt) }),
            streams,
          });
        this.scheduleReport();
      });
    }, every);
  }
}
