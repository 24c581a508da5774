/**
 * Fair turns for the control plane: it handles messages for at most
 * `sliceMs` of one event-loop turn, then yields (setImmediate) so that
 * media I/O and timers run before it goes on. A crowd whose messages all
 * arrive in one poll phase (300 joins at once) then costs the other
 * channels' voice at most a slice at a time, not the whole crowd's work.
 */
export class TurnBudget {
  private sliceStart = 0;
  private inTurn = false;

  constructor(
    private readonly sliceMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * Null while this turn has budget left (go on at once), else a promise
   * that resolves at a later turn of the event loop.
   */
  yieldIfDue(): Promise<void> | null {
    const t = this.now();
    if (!this.inTurn) {
      this.inTurn = true;
      this.sliceStart = t;
      // The turn is over once the loop reaches its check phase.
      setImmediate(() => (this.inTurn = false));
      return null;
    }
    if (t - this.sliceStart < this.sliceMs) return null;
    return new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * Waits until a turn has budget for this caller. The check is made again
   * after each wait: everyone deferred wakes in the same check phase, and
   * going on there without asking would run the whole crowd in one turn.
   */
  async take(): Promise<void> {
    for (let due = this.yieldIfDue(); due !== null; due = this.yieldIfDue()) await due;
  }
}
