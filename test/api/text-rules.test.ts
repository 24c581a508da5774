/**
 * One text rule for the WebSocket and the REST API (@parley/protocol
 * text.ts), on SQLite and PostgreSQL with real sockets: a NUL, a control
 * character or a lone surrogate in a chat message or a temporary channel's
 * name is refused with the validation error of each path
 * (`PARLEY_ERR_BAD_MESSAGE` on the WebSocket, 400 `PARLEY_ERR_VALIDATION`
 * over REST), never an internal error, and nothing is stored.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ErrorCode } from '@parley/protocol';
import { describeEachDatabase } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { adminToken, call, expectProblem, liveSession, type LiveSession } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';

/** Sends a message with a `ref` and waits for the answer to it. */
async function ask(s: LiveSession, msg: Record<string, unknown>): Promise<Record<string, unknown>> {
  const ref = `r${Math.random().toString(36).slice(2, 10)}`;
  s.ws.send(JSON.stringify({ ...msg, ref }));
  let found: Record<string, unknown> | undefined;
  await waitFor(
    () => (found = s.messages.find((m) => m.ref === ref)) !== undefined,
    `an answer to ${String(msg.type)}`,
    { on: [[s.ws, 'message', 'close']], pollMs: false },
  );
  return found!;
}

describeEachDatabase('one text rule for WebSocket and REST input', (target) => {
  let t: TestServer;
  let guest: LiveSession;
  let token: string;
  let lobbyId: number;

  beforeAll(async () => {
    t = await startServer({
      ...(await target.makeOptions()),
      auth: { loginPerMinute: 1000 },
      limits: { controlMessagesPerSecond: 1000 },
    });
    guest = await liveSession(t.info.url, { name: 'textguest' }, 'Lobby');
    token = await adminToken(t.server);
    const lobby = t.server.hub.findChannel('Lobby');
    lobbyId = lobby!.id;
  });
  afterAll(async () => {
    guest?.close();
    await t?.close();
  });

  const badChat: [string, string][] = [
    ['NUL', 'a\u0000b'],
    ['BEL', 'ring\u0007'],
    ['ESC (terminal escape)', '\u001b[31mred'],
    ['DEL', 'x\u007f'],
    ['a lone high surrogate', 'x\ud800y'],
    ['a lone low surrogate', '\udc00'],
  ];

  it.each(badChat)(
    'refuses a chat message with %s over the WebSocket, with PARLEY_ERR_BAD_MESSAGE',
    async (_, text) => {
      const answer = await ask(guest, { type: 'chat', text });
      expect(answer).toMatchObject({ type: 'error', code: ErrorCode.BadMessage });
      expect(String(answer.message)).toMatch(/control characters|lone surrogates/);
    },
  );

  it.each(badChat)(
    'refuses a chat message with %s over REST, with 400 PARLEY_ERR_VALIDATION',
    async (_, text) => {
      const res = await call(t.info.url, 'POST', `/api/v1/channels/${lobbyId}/messages`, {
        token,
        body: { text },
      });
      expectProblem(res, 400, ErrorCode.Validation);
    },
  );

  it('accepts tabs, line breaks and emoji (surrogate pairs) in chat, on both paths', async () => {
    const text = 'line one\n\tline two\r\nwith 🎧';
    const answer = await ask(guest, { type: 'chat', text });
    expect(answer).toMatchObject({ type: 'chat', message: { text } });
    const res = await call(t.info.url, 'POST', `/api/v1/channels/${lobbyId}/messages`, {
      token,
      body: { text },
    });
    expect(res.status).toBe(201);
  });

  const badNames: [string, string][] = [
    ['NUL', 'room\u0000'],
    ['a control character', 'room\u0001'],
    ['a line feed', 'two\nlines'],
    ['a C1 control', 'room\u0085'],
    ['a lone surrogate', 'room\ud83d'],
  ];

  it.each(badNames)('refuses a temporary channel named with %s, on both paths', async (_, name) => {
    const answer = await ask(guest, { type: 'create_temp', name });
    expect(answer).toMatchObject({ type: 'error', code: ErrorCode.BadMessage });
    const res = await call(t.info.url, 'POST', '/api/v1/channels', {
      token,
      body: { name, temporary: true },
    });
    expectProblem(res, 400, ErrorCode.Validation);
    expect(t.server.hub.findChannel(name)).toBeUndefined();
  });

  it('refuses a ban reason with a NUL over the WebSocket instead of failing in the database', async () => {
    const admin = await liveSession(t.info.url, { token });
    try {
      const answer = await ask(admin, { type: 'ban', ssrc: guest.id, reason: 'bad\u0000' });
      expect(answer).toMatchObject({ type: 'error', code: ErrorCode.BadMessage });
      expect(t.server.hub.peerBySsrc(guest.id)).toBeDefined();
    } finally {
      admin.close();
    }
  });

  it('stored none of the refused messages', async () => {
    const res = await call<{ items: { text: string }[] }>(
      t.info.url,
      'GET',
      `/api/v1/channels/${lobbyId}/messages`,
      {
        token,
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.items.map((m) => m.text)).toEqual([
      'line one\n\tline two\r\nwith 🎧',
      'line one\n\tline two\r\nwith 🎧',
    ]);
  });
});
