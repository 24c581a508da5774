import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from '@parley/protocol';
import {
  ClientErrorCode,
  ControlConnection,
  ParleyClientError,
  type WebSocketFactory,
  type WebSocketLike,
} from './control.js';

const URL_ = 'ws://127.0.0.1:9/ws';

/** A socket that never opens; `fail` decides how it gives up (no timers, no I/O). */
function failingSocket(fail: (ws: WebSocketLike) => void): WebSocketFactory {
  return () => {
    const ws: WebSocketLike = {
      binaryType: 'blob',
      readyState: 0,
      send: () => undefined,
      close: () => undefined,
      onopen: null,
      onclose: null,
      onerror: null,
      onmessage: null,
    };
    queueMicrotask(() => fail(ws));
    return ws;
  };
}

async function openError(factory: WebSocketFactory): Promise<ParleyClientError> {
  const err: unknown = await ControlConnection.open(factory, URL_).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ParleyClientError);
  return err as ParleyClientError;
}

describe('ParleyClientError', () => {
  it('is a ParleyError with a typed code (the server’s or the client’s), detail and cause', () => {
    const cause = new Error('socket hang up');
    const e = new ParleyClientError(ClientErrorCode.Timeout, 'no answer to join', {
      cause,
      detail: { reason: 'timeout' },
    });
    expect(e).toBeInstanceOf(ParleyError);
    expect([e.name, e.code, e.message, e.cause, e.detail]).toEqual([
      'ParleyClientError',
      'PARLEY_ERR_TIMEOUT',
      'no answer to join',
      cause,
      { reason: 'timeout' },
    ]);
    const server = new ParleyClientError(ErrorCode.UnknownChannel, 'no such channel');
    const code: ErrorCode | ClientErrorCode = server.code;
    expect(code).toBe('PARLEY_ERR_UNKNOWN_CHANNEL');
    expect(server.detail).toBeUndefined();
    // @ts-expect-error: a code that is neither the server's nor the client's does not compile
    expect(new ParleyClientError('PARLEY_ERR_NOPE', 'x').code).toBe('PARLEY_ERR_NOPE');
  });
});

describe('ControlConnection.open: PARLEY_ERR_UNREACHABLE with the URL and the low-level reason', () => {
  it('when the socket reports an error (refused)', async () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const e = await openError(failingSocket((ws) => ws.onerror?.({ error: cause, message: cause.message })));
    expect(e.code).toBe(ClientErrorCode.Unreachable);
    expect(e.detail).toEqual({ url: URL_, reason: 'ECONNREFUSED' });
    expect(e.cause).toBe(cause);
    expect(e.message).toBe(`cannot connect to ${URL_} (ECONNREFUSED)`);
  });

  it('when it closes before opening', async () => {
    const e = await openError(failingSocket((ws) => ws.onclose?.({ code: 1006, reason: '' })));
    expect(e.code).toBe(ClientErrorCode.Unreachable);
    expect(e.detail).toEqual({ url: URL_, reason: 'connection closed (1006)' });
  });

  it('when the factory throws (a URL the WebSocket refuses)', async () => {
    const thrown = new SyntaxError('Invalid URL');
    const e = await openError(() => {
      throw thrown;
    });
    expect(e.detail).toEqual({ url: URL_, reason: 'Invalid URL' });
    expect(e.cause).toBe(thrown);
  });
});
