/**
 * The latest receiver reports (docs/protocol.md §2.6), pure: per listener,
 * the newest entry about each speaker it hears (at most MAX_REPORT_STREAMS,
 * the oldest replaced), each scored once by `streamScore`. Entries older
 * than `ttlMs` are not shown and are pruned as the book is used; a
 * listener's or speaker's entries go when it leaves the channel. Bounded:
 * entries ≤ listeners × 64, listeners ≤ sessions.
 */
import {
  MAX_REPORT_STREAMS,
  streamScore,
  type QualityAggregate,
  type ReportStream,
  type StreamScore,
} from '@parley/protocol';

export interface QualityEntry {
  /** Serial of the report that made this entry (unique, increasing). */
  id: number;
  channelId: number;
  listener: number;
  speaker: number;
  figures: ReportStream;
  rttMs: number | null;
  score: StreamScore;
  /** When it was reported (the book's clock, ms). */
  at: number;
}

export interface QualityFilter {
  channel?: number | undefined;
  speaker?: number | undefined;
  listener?: number | undefined;
  /** Only entries scored at or under this MOS. */
  maxMos?: number | undefined;
}

/** Entries are shown this long after their report. */
export const QUALITY_TTL_MS = 30_000;
/** A listener's reports closer together than this are refused. */
export const REPORT_MIN_INTERVAL_MS = 1000;

export class QualityBook {
  /** listener ssrc → speaker ssrc → entry (insertion order: oldest first). */
  private readonly byListener = new Map<number, Map<number, QualityEntry>>();
  /** speaker ssrc → listeners with an entry about it. */
  private readonly bySpeaker = new Map<number, Set<number>>();
  /** When each listener's last report was accepted. */
  private readonly lastReport = new Map<number, number>();
  private nextId = 1;

  constructor(private readonly ttlMs = QUALITY_TTL_MS) {}

  /** Listeners with entries now. */
  get listeners(): number {
    return this.byListener.size;
  }

  /** Whether `listener` may report at `now` (one report a second); takes the turn when it may. */
  admit(listener: number, now: number): boolean {
    const last = this.lastReport.get(listener);
    if (last !== undefined && now - last < REPORT_MIN_INTERVAL_MS) return false;
    this.lastReport.set(listener, now);
    return true;
  }

  /**
   * Records a report's streams about speakers for which `hears(ssrc)` is
   * true (a speaker of the listener's channel, not itself); returns the
   * speakers whose entries changed.
   */
  record(
    listener: number,
    channelId: number,
    rttMs: number | undefined,
    streams: readonly ReportStream[],
    hears: (ssrc: number) => boolean,
    now: number,
  ): number[] {
    let mine = this.byListener.get(listener);
    const touched: number[] = [];
    for (const s of streams) {
      if (s.ssrc === listener || !hears(s.ssrc)) continue;
      if (mine === undefined) {
        mine = new Map();
        this.byListener.set(listener, mine);
      }
      // Newest last: delete first so that re-setting moves it to the end.
      mine.delete(s.ssrc);
      if (mine.size >= MAX_REPORT_STREAMS) {
        const oldest = mine.keys().next();
        if (oldest.done !== true) this.unlink(listener, oldest.value, mine);
      }
      const score = streamScore({ ...s, rttMs });
      mine.set(s.ssrc, {
        id: this.nextId++,
        channelId,
        listener,
        speaker: s.ssrc,
        figures: s,
        rttMs: rttMs ?? null,
        score,
        at: now,
      });
      let ls = this.bySpeaker.get(s.ssrc);
      if (ls === undefined) {
        ls = new Set();
        this.bySpeaker.set(s.ssrc, ls);
      }
      ls.add(listener);
      touched.push(s.ssrc);
    }
    return touched;
  }

  /**
   * `ssrc` left its channel: its entries as listener and as speaker go. Its
   * report turn stays (leaving and joining again must not reset the one
   * report a second); `endSession` drops that.
   */
  forget(ssrc: number): void {
    const mine = this.byListener.get(ssrc);
    if (mine !== undefined) for (const speaker of [...mine.keys()]) this.unlink(ssrc, speaker, mine);
    const ls = this.bySpeaker.get(ssrc);
    if (ls !== undefined) {
      for (const listener of [...ls]) {
        const m = this.byListener.get(listener);
        if (m !== undefined) this.unlink(listener, ssrc, m);
      }
    }
  }

  /** The session `ssrc` ended (ssrcs are not reused): everything about it goes. */
  endSession(ssrc: number): void {
    this.forget(ssrc);
    this.lastReport.delete(ssrc);
  }

  /** What `speaker`'s listeners report, together; null when none has a fresh entry. */
  aggregate(speaker: number, now: number): QualityAggregate | null {
    const entries: QualityEntry[] = [];
    for (const listener of this.bySpeaker.get(speaker) ?? []) {
      const e = this.byListener.get(listener)?.get(speaker);
      if (e !== undefined && now - e.at <= this.ttlMs) entries.push(e);
    }
    if (entries.length === 0) return null;
    const mean = (f: (e: QualityEntry) => number): number =>
      entries.reduce((a, e) => a + f(e), 0) / entries.length;
    const max = (f: (e: QualityEntry) => number): number => entries.reduce((a, e) => Math.max(a, f(e)), 0);
    const min = (f: (e: QualityEntry) => number): number =>
      entries.reduce((a, e) => Math.min(a, f(e)), Infinity);
    return {
      listeners: entries.length,
      lossPct: { mean: mean((e) => e.score.lossPct), max: max((e) => e.score.lossPct) },
      jitterMs: { max: max((e) => e.figures.jitterMs) },
      delayMs: { mean: mean((e) => e.score.delayMs) },
      r: { min: min((e) => e.score.r), mean: mean((e) => e.score.r) },
      mos: { min: min((e) => e.score.mos), mean: mean((e) => e.score.mos) },
    };
  }

  /** Fresh entries matching `filter`, by (listener, speaker); stale ones are pruned on the way. */
  entries(filter: QualityFilter, now: number): QualityEntry[] {
    const out: QualityEntry[] = [];
    for (const [listener, mine] of this.byListener) {
      if (filter.listener !== undefined && listener !== filter.listener) continue;
      for (const e of [...mine.values()]) {
        if (now - e.at > this.ttlMs) {
          this.unlink(listener, e.speaker, mine);
          continue;
        }
        if (filter.speaker !== undefined && e.speaker !== filter.speaker) continue;
        if (filter.channel !== undefined && e.channelId !== filter.channel) continue;
        if (filter.maxMos !== undefined && e.score.mos > filter.maxMos) continue;
        out.push(e);
      }
    }
    return out.sort((a, b) => a.listener - b.listener || a.speaker - b.speaker);
  }

  private unlink(listener: number, speaker: number, mine: Map<number, QualityEntry>): void {
    mine.delete(speaker);
    if (mine.size === 0) this.byListener.delete(listener);
    const ls = this.bySpeaker.get(speaker);
    ls?.delete(listener);
    if (ls?.size === 0) this.bySpeaker.delete(speaker);
  }
}
