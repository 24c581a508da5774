/**
 * The server's long-lived objects leave nothing behind (CONVENTIONS.md,
 * habit 4): the app from buildServer after `close()` — HTTP and WebSocket
 * server, UDP socket, sweep and loop-delay timers (both unref'd: tracked),
 * every control link and session, the SQLite files — and a control
 * session once its WebSocket is gone: no hello deadline, no resume grace
 * timer once resumed or expired, no socket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigOverrides } from '@parley/server';
import { createNodeAead } from '@parley/protocol/node';
import { VoiceClient } from '@parley/client';
import { nodeWebSocketFactory, openUdpTransport } from '@parley/client/node';
import { listenerTotal, settledResourceBaseline, type ResourceBaseline } from '../helpers/leaks.js';
import { startServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { clientEvent, hear, speak, WsProbe } from '../helpers/ws.js';

/** A raw probe that said hello (and joined `channel`, when given). */
async function member(url: string, name: string, channel?: string): Promise<WsProbe> {
  const p = await WsProbe.open(url);
  await p.request({ type: 'hello', v: 1, name });
  if (channel !== undefined) await p.request({ type: 'join', channel });
  return p;
}

/** Live timers created by the server's control plane (link.ts: hello deadline, session.ts: resume grace). */
const controlTimers = (before: ResourceBaseline, file: 'link.ts' | 'session.ts'): number =>
  before.timers?.live().filter((t) => t.at.includes(`/control/${file}`)).length ?? 0;

describe('ParleyServer.close()', () => {
  it('with HTTP, links, attached and detached sessions and UDP media live: nothing is left', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-leaks-'));
    try {
      const before = await settledResourceBaseline({ timers: true, files: true });
      const t = await startServer({ dataDir });
      const { url } = t.info;
      // REST, through the rate-limited login route.
      expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);
      const login = await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'admin', password: TEST_ADMIN_PASSWORD }),
      });
      expect(login.status).toBe(200);
      // A link still waiting for hello, an attached session, a detached one.
      const silent = await WsProbe.open(url);
      const attached = await member(url, 'ana', 'Lobby');
      const detached = await member(url, 'dan', 'Lobby');
      detached.cut();
      await waitFor(() => controlTimers(before, 'session.ts') === 1, 'the detached session’s grace timer');
      // An SDK client with UDP media, heard by another.
      const sdk = (name: string): Promise<VoiceClient> =>
        VoiceClient.connect({
          server: url,
          name,
          webSocket: nodeWebSocketFactory,
          aead: createNodeAead,
          udp: openUdpTransport,
          autoResume: false,
        });
      const [bob, eve] = [await sdk('bob'), await sdk('eve')];
      await bob.join('Games');
      await eve.join('Games');
      expect(bob.transportKind).toBe('udp');
      const heard = hear(eve);
      speak(bob, 3);
      await waitFor(() => heard.length === 3, 'eve to hear bob');
      const gone = Promise.all([clientEvent(bob, 'disconnected'), clientEvent(eve, 'disconnected')]);

      const { server } = t;
      await Promise.all([t.close(), t.close()]);
      await t.close();
      expect(await Promise.all([silent.closed, attached.closed])).toEqual([1001, 1001]);
      await gone; // the SDK clients saw the server go and released their side
      expect(server.plane.status).toBe('closed');
      expect(server.plane.sessionCount).toBe(0);
      expect(listenerTotal(server.plane.router)).toBe(0); // the hub's 'speaking' listener went with close()
      await before.expectNothingLeft('ParleyServer.close()', 5000);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('control sessions: a WebSocket gone leaves no timer', () => {
  /** A server, then the baseline: what each test opens afterwards must all go. */
  async function start(
    overrides: ConfigOverrides = {},
  ): Promise<{ t: TestServer; before: ResourceBaseline }> {
    const t = await startServer(overrides);
    return { t, before: await settledResourceBaseline({ timers: true }) };
  }

  it('closed by the client before hello: the hello deadline is cleared', async () => {
    const { t, before } = await start();
    try {
      const p = await WsProbe.open(t.info.url);
      await waitFor(() => controlTimers(before, 'link.ts') === 1, 'the hello deadline');
      p.close();
      await p.closed;
      await before.expectNothingLeft('a link closed before hello');
    } finally {
      await t.close();
    }
  });

  it('no hello in time: the server closes it, and nothing is left', async () => {
    const { t, before } = await start({ limits: { helloTimeoutMs: 150 } });
    try {
      const p = await WsProbe.open(t.info.url);
      expect(await p.closed).toBe(4001);
      await before.expectNothingLeft('a link closed at its hello deadline');
    } finally {
      await t.close();
    }
  });

  it('an attached session whose client says goodbye: session, media session and socket all end', async () => {
    const { t, before } = await start();
    try {
      const p = await member(t.info.url, 'ana', 'Lobby');
      expect(controlTimers(before, 'link.ts')).toBe(0); // hello cleared its deadline
      p.close();
      await p.closed;
      await waitFor(() => t.server.plane.sessionCount === 0, 'the session to end');
      await before.expectNothingLeft('a session closed by its client');
    } finally {
      await t.close();
    }
  });

  it('a detached session: resuming clears its grace timer; then its end leaves nothing', async () => {
    const { t, before } = await start();
    try {
      const p = await member(t.info.url, 'rita', 'Lobby');
      const token = p.messages.find((m) => m.type === 'welcome')?.resumeToken as string;
      const lastSeq = p.lastSeq;
      p.cut();
      await waitFor(() => controlTimers(before, 'session.ts') === 1, 'the resume grace timer');
      const back = await WsProbe.open(t.info.url);
      const welcome = await back.request({ type: 'hello', v: 1, name: 'rita', resume: { token, lastSeq } });
      expect(welcome).toMatchObject({ type: 'welcome', resumed: true });
      expect(controlTimers(before, 'session.ts')).toBe(0);
      back.close();
      await back.closed;
      await waitFor(() => t.server.plane.sessionCount === 0, 'the session to end');
      await before.expectNothingLeft('a resumed session closed by its client');
    } finally {
      await t.close();
    }
  });

  it('a detached session nobody resumes: its grace timer ends it, and nothing is left', async () => {
    const { t, before } = await start({ auth: { resumeGraceMs: 150 } });
    try {
      const p = await member(t.info.url, 'gus', 'Lobby');
      p.cut();
      await waitFor(() => t.server.plane.sessionCount === 0, 'the grace period to end the session');
      await before.expectNothingLeft('a session ended by its grace timer');
    } finally {
      await t.close();
    }
  });
});
