/**
 * Leak checks for `close()` tests: what a long-lived object left running
 * after it was closed. Handles (timers, sockets, servers, child processes)
 * come from `process.getActiveResourcesInfo()`, counted by kind; listeners
 * from the emitters a test names. Waits are bounded and fail with the same
 * message shape as waitFor's.
 *
 * An unref'd timer is not an active resource to Node, so handles alone miss
 * it: `resourceBaseline({ timers: true })` also tracks every timer created
 * through the global `setTimeout` / `setInterval` from then on (wrapped
 * until the check, or the end of the test), and
 * `resourceBaseline({ files: true })` the regular files the process holds
 * open (Linux: /proc/self/fd), which a closed file or database must not.
 *
 * ```ts
 * const before = resourceBaseline({ timers: true });
 * const path = await MediaPath.open(…);
 * await path.close();
 * await before.expectNothingLeft('MediaPath.close()');
 * ```
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { onTestFinished } from 'vitest';

/** Timers of the helper's own waits: the originals, whatever a test wraps or fakes later. */
const ownSetTimeout = globalThis.setTimeout;

/** Live handles and requests of this process, by kind (`Timeout`, `UDPWrap`, `TCPSocketWrap`, …). */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** Regular files this process holds open, by path, with how many descriptors each (Linux). */
export function openFiles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the directory's own descriptor, gone once listed
    }
    if (!target.startsWith('/') || target.startsWith('/dev/') || target.startsWith('/proc/')) continue;
    counts.set(target, (counts.get(target) ?? 0) + 1);
  }
  return counts;
}

/** One timer seen by a TimerTracker: how it was made and where. */
export interface TrackedTimer {
  kind: 'setTimeout' | 'setInterval';
  ms: number;
  /** The first stack frame outside this helper: who created it. */
  at: string;
  /** False once unref'd: such a timer keeps no process alive, and handles do not show it. */
  readonly ref: boolean;
}

/**
 * Every timer created through the global `setTimeout` / `setInterval` while
 * installed, ref'd or not. A Node timer is spent once it fired (a timeout)
 * or was cleared: `live()` lists the others.
 */
export interface TimerTracker {
  live(): TrackedTimer[];
  /** Puts the original functions back; idempotent (also done when the test ends). */
  restore(): void;
}

/** Node's Timeout object, as far as the tracker reads it. */
interface NodeTimeout {
  _destroyed?: boolean;
  hasRef?: () => boolean;
}

function callerFrame(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const frames = stack
    .split('\n')
    .slice(1)
    .map((l) => l.trim().replace(/^at /, ''))
    .filter((l) => !/\/test\/helpers\/leaks\.ts/.test(l) && !l.includes('node:internal') && l.includes('/'));
  const first = frames[0] ?? '(unknown)';
  // A library's timer (ws, pg, …): also say which of our calls led to it.
  const ours = frames.find((l) => !l.includes('/node_modules/'));
  return ours === undefined || ours === first ? first : `${first} via ${ours}`;
}

/** Wraps the global `setTimeout` and `setInterval` to see every timer created from now on. */
export function trackTimers(): TimerTracker {
  let tracked: { timer: NodeTimeout; info: Omit<TrackedTimer, 'ref'> }[] = [];
  /** Spent timers are dropped now and then, so a long test (the soak) holds only the live ones. */
  let pruneAt = 1024;
  const g = globalThis as unknown as Record<'setTimeout' | 'setInterval', (...a: unknown[]) => unknown>;
  const originals = { setTimeout: g.setTimeout, setInterval: g.setInterval };
  for (const kind of ['setTimeout', 'setInterval'] as const) {
    const original = originals[kind];
    const wrapped = (...args: unknown[]): unknown => {
      const timer = original.apply(globalThis, args) as NodeTimeout;
      tracked.push({ timer, info: { kind, ms: Number(args[1] ?? 0), at: callerFrame() } });
      if (tracked.length >= pruneAt) {
        tracked = tracked.filter((t) => t.timer._destroyed === false);
        pruneAt = Math.max(1024, 2 * tracked.length);
      }
      return timer;
    };
    // setTimeout[util.promisify.custom] and the like stay reachable.
    Object.assign(wrapped, original);
    g[kind] = wrapped;
  }
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    g.setTimeout = originals.setTimeout;
    g.setInterval = originals.setInterval;
  };
  onTestFinished(restore);
  return {
    live: () =>
      tracked
        .filter(({ timer }) => timer._destroyed === false)
        .map(({ timer, info }) => ({ ...info, ref: timer.hasRef?.() ?? true })),
    restore,
  };
}

/** The kinds that have more now than in `before`, as "2 × Timeout, 1 × UDPWrap". */
function extras(before: ReadonlyMap<string, number>, now: ReadonlyMap<string, number>, label = ''): string[] {
  const out: string[] = [];
  for (const [kind, n] of now) {
    const more = n - (before.get(kind) ?? 0);
    if (more > 0) out.push(`${more} × ${label}${kind}`);
  }
  return out;
}

export interface ResourceBaselineOptions {
  /** Also track timers created from now on, unref'd ones included (see trackTimers). */
  timers?: boolean;
  /** Also compare the regular files held open (see openFiles). */
  files?: boolean;
}

export interface ResourceBaseline {
  /** The timer tracker, with `{ timers: true }`. */
  readonly timers: TimerTracker | null;
  /**
   * Waits (bounded: a socket's close completes a turn later) until no kind
   * of handle has more live than at the baseline (and, as asked, no tracked
   * timer is live and no more files are open); fails naming the extras.
   * Stops tracking timers either way.
   */
  expectNothingLeft(what: string, timeoutMs?: number): Promise<void>;
}

/** Counts the live handles now (and, as asked, starts tracking timers and counts open files), to compare with after a `close()`. */
export function resourceBaseline(opts: ResourceBaselineOptions = {}): ResourceBaseline {
  const before = activeResources();
  const filesBefore = opts.files === true ? openFiles() : null;
  const timers = opts.timers === true ? trackTimers() : null;
  const left = (): string => {
    const out = extras(before, activeResources());
    if (filesBefore !== null) out.push(...extras(filesBefore, openFiles(), 'open file '));
    for (const t of timers?.live() ?? [])
      out.push(`${t.kind}(${t.ms} ms${t.ref ? '' : ", unref'd"}) from ${t.at}`);
    return out.join(', ');
  };
  return {
    timers,
    // Not waitFor: its own timers would count as leaks. Between checks the
    // only timer of ours has fired, so it is not among the active resources.
    async expectNothingLeft(what, timeoutMs = 2000) {
      const deadline = performance.now() + timeoutMs;
      try {
        for (;;) {
          const now = left();
          if (now === '') return;
          if (performance.now() >= deadline) {
            throw new Error(
              `timed out after ${timeoutMs} ms waiting for ${what} to release everything (left: ${now})`,
            );
          }
          await new Promise((r) => ownSetTimeout(r, 10));
        }
      } finally {
        timers?.restore();
      }
    },
  };
}

/**
 * `resourceBaseline` once the handles closed just before have gone: a
 * socket closed by the previous test (its `close` callback run) still counts
 * until the loop's close phase, and a baseline that holds it would hide a
 * socket of the same kind left by the object under test.
 */
export async function settledResourceBaseline(opts: ResourceBaselineOptions = {}): Promise<ResourceBaseline> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => ownSetTimeout(r, 0)); // after this turn's close callbacks
  return resourceBaseline(opts);
}

/** An emitter as Node has them: enough to count its listeners. */
export interface ListenerSource {
  eventNames(): (string | symbol)[];
  listenerCount(event: string | symbol): number;
}

/** How many listeners `emitter` holds, over all events (0 after a clean `close()` of what listened to it). */
export function listenerTotal(emitter: ListenerSource): number {
  return emitter.eventNames().reduce((n, e) => n + emitter.listenerCount(e), 0);
}
