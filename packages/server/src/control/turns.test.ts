import { describe, expect, it } from 'vitest';
import { TurnBudget } from './turns.js';

/**
 * A crowd of tasks, each costing 1 ms of a fake clock, goes through a 5 ms
 * budget. Each task starts in a callback of its own, all in one phase of
 * the loop, as the messages of a crowd arrive in one poll phase. A marker
 * chained on setImmediate writes '|' once per event-loop turn. Returns the
 * longest run of work between two markers.
 */
async function longestRun(tasks: number, sliceMs: number): Promise<{ longest: number; ran: number }> {
  let t = 0;
  const budget = new TurnBudget(sliceMs, () => t);
  const log: string[] = [];
  let done = false;
  const mark = (): void => {
    log.push('|');
    if (!done) setImmediate(mark);
  };
  setImmediate(mark);
  const task = async (): Promise<void> => {
    await budget.take();
    t += 1;
    log.push('w');
  };
  await Promise.all(
    Array.from(
      { length: tasks },
      () => new Promise<void>((resolve) => setImmediate(() => void task().then(resolve))),
    ),
  );
  done = true;
  const runs = log.join('').split('|');
  return { longest: Math.max(...runs.map((r) => r.length)), ran: log.filter((x) => x === 'w').length };
}

describe('TurnBudget', () => {
  it('runs a crowd a slice per turn, checking again after each wait', async () => {
    // Before take() re-checked, everyone deferred woke in one check phase and ran there together.
    const { longest, ran } = await longestRun(40, 5);
    expect(ran).toBe(40);
    expect(longest).toBeLessThanOrEqual(5);
  });

  it('lets a caller go on at once while the turn has budget', async () => {
    let t = 0;
    const budget = new TurnBudget(5, () => t);
    expect(budget.yieldIfDue()).toBeNull();
    t = 4;
    expect(budget.yieldIfDue()).toBeNull();
    t = 5;
    const due = budget.yieldIfDue();
    expect(due).toBeInstanceOf(Promise);
    await due;
    // A new turn: the slice starts again.
    expect(budget.yieldIfDue()).toBeNull();
  });
});
