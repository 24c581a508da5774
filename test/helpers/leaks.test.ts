import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { activeResources, listenerTotal, resourceBaseline } from './leaks.js';

describe('leak checks', () => {
  it('see a timer left running, and pass once it is cleared', async () => {
    const before = resourceBaseline();
    const timer = setInterval(() => undefined, 1000);
    expect(activeResources().get('Timeout')).toBeGreaterThanOrEqual(1);
    await expect(before.expectNothingLeft('the interval', 60)).rejects.toThrow(
      /timed out after 60 ms waiting for the interval to release everything \(left: 1 × Timeout\)/,
    );
    clearInterval(timer);
    await before.expectNothingLeft('the interval');
  });

  it('count the listeners an emitter still holds', () => {
    const e = new EventEmitter();
    const fn = (): void => undefined;
    e.on('a', fn).on('b', fn).on('b', fn);
    expect(listenerTotal(e)).toBe(3);
    e.removeAllListeners();
    expect(listenerTotal(e)).toBe(0);
  });
});
