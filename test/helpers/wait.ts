/**
 * The tests' one way to wait for something: `waitFor(cond, what, options)`
 * re-checks a condition when an event says something changed (`on`), and
 * otherwise polls it; it fails after an honest upper bound (`timeoutMs`,
 * not a sleep) with a message naming what was awaited. `nextEvent` is the
 * same for "the next event that matches". Nothing here sleeps a fixed time.
 */

/** The default upper bound of a wait: generous for a busy 2-core machine, never waited out when all is well. */
export const DEFAULT_WAIT_MS = 10_000;

/** An event source as Node has them (EventEmitter, ws, dgram, streams, child processes). */
export interface Emitter {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/**
 * What tells `waitFor` to re-check at once: an emitter and the events that
 * change the awaited state, or a subscription `(wake) => unsubscribe`.
 */
export type WakeSource =
  readonly [emitter: Emitter, ...events: string[]] | ((wake: () => void) => () => void);

export interface WaitOptions {
  /** Fail after this long (ms). Default DEFAULT_WAIT_MS. */
  timeoutMs?: number;
  /** Re-check whenever one of these fires (after its other listeners have run). */
  on?: readonly WakeSource[];
  /**
   * Also re-check every `pollMs` (ms), for state that changes without an
   * event; `false`: only on events. Default 20 without `on`, 200 with it.
   */
  pollMs?: number | false;
}

/** The message of a timed-out wait, with the caller's stack rather than the timer's. */
function timeoutError(origin: Error, timeoutMs: number, what: string | (() => string)): Error {
  const text = typeof what === 'string' ? what : what();
  const err = new Error(`timed out after ${timeoutMs} ms waiting for ${text}`);
  const frames = origin.stack?.split('\n').slice(1).join('\n');
  if (frames !== undefined) err.stack = `Error: ${err.message}\n${frames}`;
  return err;
}

/**
 * Resolves once `cond()` holds (it may be async; it is never run twice at
 * once), rejects if it throws, or after `timeoutMs` with "timed out after …
 * waiting for `what`" (`what` may be a function, called then, to report the
 * state reached). A number as `options` is the timeout.
 *
 * ```ts
 * await waitFor(() => got.length === 30, 'bob to receive 30 packets', { on: [[socket, 'message']] });
 * ```
 */
export function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string | (() => string),
  options: number | WaitOptions = {},
): Promise<void> {
  const opts: WaitOptions = typeof options === 'number' ? { timeoutMs: options } : options;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
  const sources = opts.on ?? [];
  const pollMs = opts.pollMs ?? (sources.length > 0 ? 200 : 20);
  const origin = new Error('waitFor');

  return new Promise<void>((resolve, reject) => {
    let done = false;
    let running = false;
    let again = false;
    const cleanups: (() => void)[] = [];
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      for (const cleanup of cleanups.splice(0)) cleanup();
      if (err === undefined) resolve();
      else
        reject(
          err instanceof Error
            ? err
            : new Error(`${what instanceof Function ? what() : what}: ${JSON.stringify(err)}`),
        );
    };
    const settle = (ok: boolean): void => {
      running = false;
      if (ok) return finish();
      if (again) {
        again = false;
        check();
      }
    };
    const check = (): void => {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      let result: boolean | Promise<boolean>;
      try {
        result = cond();
      } catch (err) {
        return finish(err);
      }
      if (typeof result === 'boolean') settle(result);
      else result.then(settle, finish);
    };

    check();
    if (done) return;
    const timer = setTimeout(() => finish(timeoutError(origin, timeoutMs, what)), timeoutMs);
    cleanups.push(() => clearTimeout(timer));
    if (pollMs !== false) {
      const poll = setInterval(check, pollMs);
      cleanups.push(() => clearInterval(poll));
    }
    // After the event's other listeners: they are the ones that update the awaited state.
    const wake = (): void => queueMicrotask(check);
    for (const source of sources) {
      if (typeof source === 'function') {
        cleanups.push(source(wake));
        continue;
      }
      const [emitter, ...events] = source;
      for (const event of events) {
        emitter.on(event, wake);
        cleanups.push(() => emitter.off(event, wake));
      }
    }
  });
}

/**
 * Resolves with the first value `subscribe` delivers that satisfies `pred`;
 * rejects after `timeoutMs` like `waitFor`.
 */
export function nextEvent<T>(
  subscribe: (fn: (v: T) => void) => () => void,
  pred: (v: T) => boolean,
  what: string,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<T> {
  const origin = new Error('nextEvent');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(timeoutError(origin, timeoutMs, what));
    }, timeoutMs);
    const off = subscribe((v) => {
      if (!pred(v)) return;
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}
