/**
 * Logout ends the live WebSocket sessions of that token (docs/control-plane.md
 * "Identity"): on SQLite and PostgreSQL, with real sockets. The account's
 * other tokens, and their sessions, go on.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { account, call, liveSession, tokenFor } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

/** The close code of a socket, or 'still open' after `ms`. */
function closedWithin(closed: Promise<number>, ms = 5000): Promise<number | 'still open'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still open'>((resolve) => (timer = setTimeout(() => resolve('still open'), ms)));
  return Promise.race([closed, late]).finally(() => clearTimeout(timer));
}

describeEachDatabase('logout and live sessions', (target) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startServer({ ...(await target.makeOptions()), auth: { loginPerMinute: 1000 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("closes that token's WebSocket sessions with 4005 and PARLEY_ERR_AUTH_REQUIRED, and no other", async () => {
    const a = await account(t.server, 'member');
    const other = await tokenFor(t.server, a.id);
    const doomed = await liveSession(t.info.url, { token: a.token }, 'Lobby');
    const alsoDoomed = await liveSession(t.info.url, { token: a.token });
    const stays = await liveSession(t.info.url, { token: other }, 'Lobby');

    const res = await call(t.info.url, 'POST', '/api/v1/auth/logout', { token: a.token });
    expect(res.status).toBe(204);

    expect(await closedWithin(doomed.closed)).toBe(4005);
    expect(await closedWithin(alsoDoomed.closed)).toBe(4005);
    expect(doomed.messages.at(-1)).toMatchObject({ type: 'disconnected', code: ErrorCode.AuthRequired });
    // The same account's other token is untouched, and so is its session.
    expect(t.server.hub.peerBySsrc(stays.id)).toBeDefined();
    expect(t.server.hub.peerBySsrc(doomed.id)).toBeUndefined();
    const ping = stays.messages.length;
    stays.ws.send(JSON.stringify({ type: 'ping', t: 1 }));
    await waitFor(() => stays.messages.slice(ping).some((m) => m.type === 'pong'), 'pong');
    expect((await call(t.info.url, 'GET', '/api/v1/auth/me', { token: other })).status).toBe(200);
    stays.close();
  });

  it('also ends a session that lost its socket and awaits a resume with that token', async () => {
    const a = await account(t.server, 'member');
    const s = await liveSession(t.info.url, { token: a.token }, 'Lobby');
    s.ws.terminate();
    await s.closed;
    // Detached, kept for the grace period.
    await waitFor(() => t.server.hub.peerBySsrc(s.id) !== undefined, 'detached session kept');
    expect((await call(t.info.url, 'POST', '/api/v1/auth/logout', { token: a.token })).status).toBe(204);
    await waitFor(() => t.server.hub.peerBySsrc(s.id) === undefined, 'detached session ended');
  });
});
