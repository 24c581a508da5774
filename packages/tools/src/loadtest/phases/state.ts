/**
 * What the phases of one load test share (`runLoadTest`, ../run.ts): the
 * set-up resolved before anyone joins, who joined and who failed, the
 * counters every participant adds to, the server's metrics, and progress.
 * One `RunState` object is handed from phase to phase; each phase returns
 * what it measured as a value of its own.
 */
import { Totals, type Participant } from '../participant.js';
import type { ResolvedOptions } from '../options.js';
import type { MetricsReader } from './metrics-reader.js';

export interface LoadProgress {
  phase: 'joining' | 'measuring' | 'draining' | 'closing';
  clients: number;
  joined: number;
  failed: number;
  /** Seconds into the measured window, and its length. */
  elapsedS: number;
  seconds: number;
  /** Over the last sample period. */
  sentPerSecond: number;
  receivedPerSecond: number;
  /** Loss so far (frames), %. */
  lossPercent: number;
  rttP50Ms: number;
}

export interface LoadTestHooks {
  /** Called as participants join, then once per sample period. */
  onProgress?: (p: LoadProgress) => void;
  /** Stops the run early (joins stop, the window ends); a report of what ran is still produced. */
  signal?: AbortSignal;
}

/** A progress report: the phase, and whichever figures the phase knows (the rest are 0). */
export type ProgressUpdate = Partial<Omit<LoadProgress, 'clients' | 'joined' | 'failed' | 'seconds'>> &
  Pick<LoadProgress, 'phase'>;

/** Everything resolved before the first join (plan.ts). */
export interface RunSetup {
  readonly options: ResolvedOptions;
  /** ISO time the run started. */
  readonly startedAt: string;
  readonly serverVersion: string;
  /** Pre-encoded Opus frames that every speaker loops over. */
  readonly frames: readonly Uint8Array[];
  readonly wsUrl: string;
  /** The resolved UDP media target's host (empty over WebSocket media). */
  readonly udp: { readonly address: string; readonly family: 4 | 6 };
  /** Temporary channels are named `${namePrefix}${runId}-${channel}`. */
  readonly runId: string;
}

/** Who joined, who speaks, and why the others did not make it. */
export class Roster {
  /** Every participant created, joined or not: teardown closes each. */
  readonly all: Participant[] = [];
  /** In their channel; by index once `arrange()` has run. */
  readonly joined: Participant[] = [];
  /** Failed joins by error code (or message when there is none). */
  readonly failures: Record<string, number> = {};
  failed = 0;
  private readonly speakerSet = new Set<Participant>();

  add(p: Participant): void {
    this.all.push(p);
  }

  admit(p: Participant, speaker: boolean): void {
    this.joined.push(p);
    if (speaker) this.speakerSet.add(p);
  }

  fail(reason: string, count = 1): void {
    this.failures[reason] = (this.failures[reason] ?? 0) + count;
    this.failed += count;
  }

  /** The most frequent failure and its count, if any. */
  topFailure(): [string, number] | undefined {
    return Object.entries(this.failures).sort((a, b) => b[1] - a[1])[0];
  }

  /** Orders the joined by index (the plan's order) and returns the speakers among them. */
  arrange(): Participant[] {
    this.joined.sort((a, b) => a.index - b.index);
    return this.joined.filter((p) => this.speakerSet.has(p));
  }
}

/** The counters of `Totals` that the report takes as differences (plus `disconnects` and `guestRetries`, taken whole). */
export interface Counters {
  packetsSent: number;
  audioSent: number;
  pingsSent: number;
  packetsReceived: number;
  audioReceived: number;
  pongsReceived: number;
  helloAcksReceived: number;
  duplicates: number;
  late: number;
  tooOld: number;
  authFailed: number;
  badPackets: number;
  sendErrors: number;
  disconnects: number;
  guestRetries: number;
}

/** A copy of the counters now. */
export function countersOf(t: Totals): Counters {
  return {
    packetsSent: t.packetsSent,
    audioSent: t.audioSent,
    pingsSent: t.pingsSent,
    packetsReceived: t.packetsReceived,
    audioReceived: t.audioReceived,
    pongsReceived: t.pongsReceived,
    helloAcksReceived: t.helloAcksReceived,
    duplicates: t.duplicates,
    late: t.late,
    tooOld: t.tooOld,
    authFailed: t.authFailed,
    badPackets: t.badPackets,
    sendErrors: t.sendErrors,
    disconnects: t.disconnects,
    guestRetries: t.guestRetries,
  };
}

/** The state handed from phase to phase. */
export interface RunState {
  readonly setup: RunSetup;
  /** The caller's abort signal: joins stop, the window ends early. */
  readonly signal: AbortSignal | undefined;
  /** Counters and histograms every participant adds to as packets go. */
  readonly totals: Totals;
  readonly roster: Roster;
  /** The server's own figures (GET /api/v1/metrics), when there is an admin token. */
  readonly metrics: MetricsReader;
  /** Reports progress to the caller's hook, with the roster's current counts. */
  progress(p: ProgressUpdate): void;
}

export function createRunState(setup: RunSetup, metrics: MetricsReader, hooks: LoadTestHooks): RunState {
  const roster = new Roster();
  const o = setup.options;
  return {
    setup,
    signal: hooks.signal,
    totals: new Totals(),
    roster,
    metrics,
    progress: (p) =>
      hooks.onProgress?.({
        clients: o.clients,
        joined: roster.joined.length,
        failed: roster.failed,
        elapsedS: 0,
        seconds: o.seconds,
        sentPerSecond: 0,
        receivedPerSecond: 0,
        lossPercent: 0,
        rttP50Ms: 0,
        ...p,
      }),
  };
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no timer or listener behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
