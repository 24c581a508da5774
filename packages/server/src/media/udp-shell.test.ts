/**
 * The media plane's UDP socket leaves nothing after `close()`: bound and
 * used, closed while still binding, or after a bind that failed; and
 * `close()` may be called again. (MediaPlane.close(), which also stops the
 * sweep timer, is checked in plane.test.ts.)
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { settledResourceBaseline } from '../../../../test/helpers/leaks.js';
import { waitFor } from '../../../../test/helpers/wait.js';
import { MediaStats } from './stats.js';
import { UdpShell } from './udp-shell.js';

describe('UdpShell.close()', () => {
  it('bound and used: releases the socket; idempotent; no listen afterwards', async () => {
    const before = await settledResourceBaseline({ timers: true });
    const got: number[] = [];
    const shell = new UdpShell(new MediaStats(), (msg) => got.push(msg.length));
    const port = await shell.listen('127.0.0.1', 0);
    const peer = createSocket('udp4');
    peer.send(Uint8Array.of(1, 2, 3), port, '127.0.0.1');
    await waitFor(() => got.length === 1, 'a datagram');
    await new Promise<void>((r) => peer.close(() => r()));
    await Promise.all([shell.close(), shell.close()]);
    await shell.close();
    expect(shell.status).toBe('closed');
    expect(shell.bufferBytes()).toBeNull();
    await before.expectNothingLeft('UdpShell.close()');
    await expect(shell.listen('127.0.0.1', 0)).rejects.toThrow(/closed/);
  });

  it('while binding: listen() rejects and the socket is released', async () => {
    const before = await settledResourceBaseline({ timers: true });
    const shell = new UdpShell(new MediaStats(), () => undefined);
    const listening = shell.listen('127.0.0.1', 0);
    await shell.close();
    await expect(listening).rejects.toThrow();
    expect(shell.status).toBe('closed');
    await before.expectNothingLeft('UdpShell.close() while binding');
  });

  it('after a bind that failed (port taken): listen() rejects, close() releases the socket', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', r));
    try {
      const before = await settledResourceBaseline({ timers: true });
      const shell = new UdpShell(new MediaStats(), () => undefined);
      await expect(shell.listen('127.0.0.1', taken.address().port)).rejects.toThrow(/EADDRINUSE/);
      await shell.close();
      await shell.close();
      await before.expectNothingLeft('UdpShell.close() after a failed bind');
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});
