import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HELLO_ACK_VALIDATE } from '@parley/protocol';
import { ClientErrorCode, ParleyClientError } from './control.js';
import { HelloHandshake } from './hello.js';

describe('HelloHandshake', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i + 1);

  it('sends at once, then after 1, 2, 4, 4… retry periods, and completes on the ack that echoes its nonce', async () => {
    const sent: Uint8Array[] = [];
    const h = new HelloHandshake({
      send: (n) => sent.push(n),
      retryMs: 200,
      deadlineMs: 4000,
      randomBytes: bytes,
    });
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(450);
    expect(sent).toHaveLength(2); // 0, 200
    vi.advanceTimersByTime(150);
    expect(sent).toHaveLength(3); // 600
    vi.advanceTimersByTime(800 + 800 + 800);
    expect(sent).toHaveLength(6); // 1400, 2200, 3000: never more than 4 periods apart
    expect(sent.every((n) => n === h.payload)).toBe(true);
    expect([...h.payload]).toEqual([...bytes(8), ...new Array<number>(16).fill(0)]);
    h.ack(Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9)); // someone else's nonce
    h.ack(bytes(7)); // too short
    let done = false;
    void h.done.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    h.ack(bytes(8));
    await h.done;
    vi.advanceTimersByTime(5000);
    expect(sent).toHaveLength(6); // no more HELLOs after the ack
  });

  it('echoes the cookie of a challenge at once and in every retry, and completes only on an ack without the flag', async () => {
    const sent: number[][] = [];
    const h = new HelloHandshake({
      send: (p) => sent.push([...p]),
      retryMs: 200,
      deadlineMs: 3000,
      randomBytes: bytes,
    });
    const cookie = Array.from({ length: 16 }, (_, i) => 100 + i);
    h.ack(Uint8Array.from([9, 9, 9, 9, 9, 9, 9, 9, ...cookie]), HELLO_ACK_VALIDATE); // not our nonce
    h.ack(Uint8Array.from([...bytes(8), 1, 2]), HELLO_ACK_VALIDATE); // too short for a cookie
    expect(sent).toHaveLength(1);
    h.ack(Uint8Array.from([...bytes(8), ...cookie]), HELLO_ACK_VALIDATE);
    expect([sent.length, h.challenges]).toEqual([2, 1]);
    expect(sent[1]).toEqual([...bytes(8), ...cookie]);
    vi.advanceTimersByTime(200);
    expect(sent[2]).toEqual([...bytes(8), ...cookie]);
    let done = false;
    void h.done.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    h.ack(Uint8Array.from([...bytes(8), ...cookie]), 0);
    await h.done;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails with PARLEY_ERR_UDP_HANDSHAKE at the deadline, and stops sending', async () => {
    let sent = 0;
    const h = new HelloHandshake({ send: () => sent++, retryMs: 200, deadlineMs: 1000 });
    const failed = h.done.catch((e: unknown) => e);
    vi.advanceTimersByTime(1000);
    const err = await failed;
    expect(err).toBeInstanceOf(ParleyClientError);
    expect((err as ParleyClientError).code).toBe(ClientErrorCode.UdpHandshake);
    const at = sent;
    vi.advanceTimersByTime(1000);
    expect(sent).toBe(at);
  });

  it('cancel stops sending, rejects done with PARLEY_ERR_CONNECTION_CLOSED and ignores later acks', async () => {
    let sent = 0;
    const h = new HelloHandshake({ send: () => sent++, retryMs: 200, deadlineMs: 1000, randomBytes: bytes });
    const outcome = h.done.then(
      () => 'resolved',
      (e: unknown) => (e as ParleyClientError).code,
    );
    h.cancel();
    h.cancel(); // idempotent
    h.ack(bytes(8));
    vi.advanceTimersByTime(2000);
    expect(sent).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(await outcome).toBe(ClientErrorCode.ConnectionClosed);
  });
});
