/**
 * Leak checks for `close()` tests: what a long-lived object left running
 * after it was closed. Handles (timers, sockets, servers, child processes)
 * come from `process.getActiveResourcesInfo()`, counted by kind; listeners
 * from the emitters a test names. An unref'd timer is not an active
 * resource to Node, so it is not seen here. Waits are bounded and fail
 * with the same message shape as waitFor's.
 *
 * ```ts
 * const before = resourceBaseline();
 * const path = await MediaPath.open(…);
 * await path.close();
 * await before.expectNothingLeft('MediaPath.close()');
 * ```
 */
/** Live handles and requests of this process, by kind (`Timeout`, `UDPWrap`, `TCPSocketWrap`, …). */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** The kinds that have more live now than in `before`, as "2 × Timeout, 1 × UDPWrap". */
function extras(before: ReadonlyMap<string, number>): string {
  const out: string[] = [];
  for (const [kind, n] of activeResources()) {
    const more = n - (before.get(kind) ?? 0);
    if (more > 0) out.push(`${more} × ${kind}`);
  }
  return out.join(', ');
}

export interface ResourceBaseline {
  /**
   * Waits (bounded: a socket's close completes a turn later) until no kind
   * of handle has more live than at the baseline; fails naming the extras.
   */
  expectNothingLeft(what: string, timeoutMs?: number): Promise<void>;
}

/** Counts the live handles now, to compare with after a `close()`. */
export function resourceBaseline(): ResourceBaseline {
  const before = activeResources();
  return {
    // Not waitFor: its own timers would count as leaks. Between checks the
    // only timer of ours has fired, so it is not among the active resources.
    async expectNothingLeft(what, timeoutMs = 2000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const left = extras(before);
        if (left === '') return;
        if (performance.now() >= deadline) {
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what} to release everything (left: ${left})`,
          );
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
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
