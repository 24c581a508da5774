import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { rawSocket } from '../helpers/raw.js';
import { waitFor } from '../helpers/wait.js';

describe('WebSocket control session', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startServer({ limits: { helloTimeoutMs: 300 } });
  });
  afterEach(async () => {
    await t.close();
  });

  it('walks hello → join → leave and answers with the right messages', async () => {
    const { ws, messages } = await rawSocket(t.info.url);
    ws.send(JSON.stringify({ type: 'hello', v: 1, name: 'raw', ref: 'h' }));
    ws.send(JSON.stringify({ type: 'join', channel: 'Games', ref: 'j' }));
    ws.send(JSON.stringify({ type: 'leave', ref: 'l' }));
    await waitFor(() => messages.length >= 3, 'three answers', { on: [[ws, 'message']] });
    expect(messages.map((m) => [m.type, m.ref])).toEqual([
      ['welcome', 'h'],
      ['joined', 'j'],
      ['left', 'l'],
    ]);
    const joined = messages[1] as { media: { key: string; udpPort: number; ssrc: number } };
    expect(Buffer.from(joined.media.key, 'base64')).toHaveLength(32);
    expect(joined.media.udpPort).toBe(t.info.udpPort);
    expect(joined.media.ssrc).toBe((messages[0] as { sessionId: number }).sessionId);
    ws.close();
  });

  it('answers bad input with stable error codes and keeps the session usable', async () => {
    const { ws, messages } = await rawSocket(t.info.url);
    ws.send('{not json');
    ws.send(JSON.stringify({ type: 'join', channel: 'Lobby', ref: 'early' }));
    ws.send(JSON.stringify({ type: 'hello', v: 1, name: 'x', extra: true, ref: 'extra' }));
    ws.send(JSON.stringify({ type: 'warp', ref: 'w' }));
    ws.send(JSON.stringify({ type: 'hello', v: 1, name: 'ok', ref: 'h' }));
    ws.send(JSON.stringify({ type: 'hello', v: 1, name: 'again', ref: 'h2' }));
    ws.send(JSON.stringify({ type: 'join', channel: 'Nowhere', ref: 'j' }));
    ws.send(JSON.stringify({ type: 'leave', ref: 'l' }));
    ws.send(JSON.stringify({ type: 'join', channel: 'Lobby', ref: 'j2' }));
    await waitFor(() => messages.length >= 9, 'nine answers', { on: [[ws, 'message']] });
    const summary = messages.map((m) => [m.type, m.code ?? null, m.ref ?? null]);
    expect(summary).toEqual([
      ['error', 'PARLEY_ERR_BAD_MESSAGE', null],
      ['error', 'PARLEY_ERR_BAD_STATE', 'early'],
      ['error', 'PARLEY_ERR_BAD_MESSAGE', 'extra'],
      ['error', 'PARLEY_ERR_BAD_MESSAGE', 'w'],
      ['welcome', null, 'h'],
      ['error', 'PARLEY_ERR_BAD_STATE', 'h2'],
      ['error', 'PARLEY_ERR_UNKNOWN_CHANNEL', 'j'],
      ['error', 'PARLEY_ERR_NOT_IN_CHANNEL', 'l'],
      ['joined', null, 'j2'],
    ]);
    ws.close();
  });

  it('closes a socket that never says hello, releasing its timer', async () => {
    const { messages, closed } = await rawSocket(t.info.url);
    expect(await closed).toBe(4001);
    expect(messages[0]).toMatchObject({ type: 'error', code: 'PARLEY_ERR_HELLO_TIMEOUT' });
  });

  it('closes a flooding control session with 1008 after a rate-limit warning', async () => {
    const { ws, messages, closed } = await rawSocket(t.info.url);
    ws.send(JSON.stringify({ type: 'hello', v: 1, name: 'flood' }));
    for (let i = 0; i < 200; i++) ws.send(JSON.stringify({ type: 'ping', t: i }));
    expect(await closed).toBe(1008);
    expect(messages.some((m) => m.code === 'PARLEY_ERR_RATE_LIMITED')).toBe(true);
    expect(t.server.plane.sessionCount).toBe(0);
  });

  it('answers REST errors as problem+json with a code', async () => {
    const res = await fetch(`${t.info.url}/api/v1/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 404, code: 'PARLEY_ERR_NOT_FOUND' });
  });
});
