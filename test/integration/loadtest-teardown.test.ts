/**
 * `runLoadTest` leaves nothing running once it has resolved (CONVENTIONS.md,
 * habit 4): every participant's WebSocket and UDP socket closed, the window's
 * clock and the drain's timers spent, the last background metrics read
 * finished. The server runs in this process, so its side of each connection
 * counts too: the baseline is taken once it is up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoadTest } from '@parley/tools';
import { settledResourceBaseline } from '../helpers/leaks.js';
import { startServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';

describe('runLoadTest teardown', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('leaves no socket or timer once the report is in (4 clients, 1 channel, 2 s, with the server’s metrics)', async () => {
    const before = await settledResourceBaseline({ timers: true });
    const r = await runLoadTest({
      server: t.info.url,
      clients: 4,
      channels: 1,
      speakersPerChannel: 1,
      seconds: 2,
      adminPassword: TEST_ADMIN_PASSWORD,
    });
    expect(r.participants.joined).toBe(4);
    expect(r.server).not.toBeNull();
    expect(r.timeline.length).toBeGreaterThanOrEqual(1);
    await before.expectNothingLeft('runLoadTest', 5000);
  }, 60_000);

  it('leaves nothing when stopped early by its signal', async () => {
    const before = await settledResourceBaseline({ timers: true });
    const stop = new AbortController();
    const r = await runLoadTest(
      { server: t.info.url, clients: 4, channels: 1, speakersPerChannel: 2, seconds: 30, transport: 'ws' },
      { signal: stop.signal, onProgress: (p) => p.phase === 'measuring' && stop.abort() },
    );
    expect(r.window.aborted).toBe(true);
    expect(r.window.seconds).toBeLessThan(30);
    await before.expectNothingLeft('an aborted runLoadTest', 5000);
  }, 60_000);
});
