import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from './errors.js';

describe('ParleyError', () => {
  it('carries a typed code, its subclass’s name and a cause', () => {
    const cause = new Error('socket hang up');
    const e = new ParleyError(ErrorCode.RateLimited, 'slow down', { cause });
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.code, e.message, e.cause]).toEqual([
      'ParleyError',
      'PARLEY_ERR_RATE_LIMITED',
      'slow down',
      cause,
    ]);

    type SideCode = ErrorCode | 'PARLEY_ERR_UNREACHABLE';
    class SideError extends ParleyError<SideCode> {}
    const s = new SideError('PARLEY_ERR_UNREACHABLE', 'cannot connect');
    expect(s).toBeInstanceOf(ParleyError);
    expect(s.name).toBe('SideError');
    const code: SideCode = s.code;
    expect(code).toBe('PARLEY_ERR_UNREACHABLE');
  });
});
