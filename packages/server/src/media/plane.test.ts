import { describe, expect, it } from 'vitest';
import { numericLookup } from './plane.js';

describe('numericLookup', () => {
  it('answers a numeric address at once, with its family', () => {
    const answers: unknown[][] = [];
    numericLookup('127.0.0.1', 4, (...a) => answers.push(a));
    numericLookup('::1', 6, (...a) => answers.push(a));
    expect(answers).toEqual([
      [null, '127.0.0.1', 4],
      [null, '::1', 6],
    ]);
  });

  it('resolves a name through the system resolver', async () => {
    const [err, address, family] = await new Promise<unknown[]>((resolve) =>
      numericLookup('localhost', 4, (...a) => resolve(a)),
    );
    expect(err).toBeNull();
    expect(address).toBe('127.0.0.1');
    expect(family).toBe(4);
  });
});
