import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { PasswordWork, type PasswordHashing } from './password-work.js';
import { ServiceError } from './errors.js';

/** A hash function whose calls finish when the test says so, counting how many run at once. */
function gatedHashing() {
  const pending: (() => void)[] = [];
  let running = 0;
  let peak = 0;
  const order: string[] = [];
  const work = async (tag: string): Promise<void> => {
    running += 1;
    peak = Math.max(peak, running);
    order.push(tag);
    await new Promise<void>((resolve) => pending.push(resolve));
    running -= 1;
  };
  const impl: PasswordHashing = {
    hash: async (pw) => {
      await work(pw);
      return `h:${pw}`;
    },
    verify: async (stored, pw) => {
      await work(pw);
      return stored === `h:${pw}`;
    },
  };
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return {
    impl,
    order,
    peak: () => peak,
    running: () => running,
    async finishOne() {
      pending.shift()?.();
      await settle();
    },
    settle,
  };
}

describe('PasswordWork', () => {
  it('runs at most `concurrency` at once and refuses beyond the queue with PARLEY_ERR_BUSY', async () => {
    const g = gatedHashing();
    const w = new PasswordWork(g.impl, { concurrency: 2, queue: 3 });
    const ok = ['a', 'b', 'c', 'd', 'e'].map((p) => w.hash(p));
    const refused = w.hash('f').catch((e: unknown) => e);
    await g.settle();
    expect(g.running()).toBe(2);
    const err = await refused;
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe(ErrorCode.Busy);
    for (let i = 0; i < 5; i++) await g.finishOne();
    expect(await Promise.all(ok)).toEqual(['h:a', 'h:b', 'h:c', 'h:d', 'h:e']);
    expect(g.peak()).toBe(2);
    expect(w.stats).toMatchObject({ running: 0, peakRunning: 2, waiting: 0, busy: { account: 1 }, done: 5 });
  });

  it('channel passwords leave a slot to accounts, and accounts go first', async () => {
    const g = gatedHashing();
    const w = new PasswordWork(g.impl, { concurrency: 2, queue: 10 });
    const ch = ['c1', 'c2', 'c3'].map((p) => w.verify('x', p, 'channel'));
    await g.settle();
    expect(g.order).toEqual(['c1']); // one slot stays free for accounts
    const login = w.verify('h:pw', 'pw');
    await g.settle();
    expect(g.order).toEqual(['c1', 'pw']);
    await g.finishOne(); // c1 done, but the login holds the other slot: channels have one
    expect(g.order).toEqual(['c1', 'pw']);
    await g.finishOne(); // the login done: c2
    expect(g.order).toEqual(['c1', 'pw', 'c2']);
    await g.finishOne();
    await g.finishOne();
    expect(await login).toBe(true);
    expect(await Promise.all(ch)).toEqual([false, false, false]);
    expect(g.peak()).toBe(2);
  });
});
