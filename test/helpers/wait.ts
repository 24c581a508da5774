/**
 * Waits for a condition driven by events: re-checks whenever `poke` is
 * called (wire it to the event source) and at most every 20 ms, failing
 * with `what` after `timeoutMs` (an honest upper bound, not a sleep).
 */
export function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (cond()) return resolve();
    const started = Date.now();
    const timer = setInterval(() => {
      if (cond()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 20);
  });
}

/** Resolves with the first value `subscribe` delivers that satisfies `pred`. */
export function nextEvent<T>(
  subscribe: (fn: (v: T) => void) => () => void,
  pred: (v: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const off = subscribe((v) => {
      if (!pred(v)) return;
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}
