/**
 * The SDK's long-lived objects that own sockets leave nothing behind after
 * `close()` (CONVENTIONS.md, habit 4): no handle, no timer (unref'd ones
 * included: `resourceBaseline({ timers: true })`), and `close()` may be
 * called again. Each test opens the object for real against a real server
 * (or a UDP socket) on 127.0.0.1, uses it a little, closes it and checks.
 * The server runs in this process, so its side of each connection counts
 * too: the baseline is taken once it is up.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeAead } from '@parley/protocol/node';
import { ControlConnection, MediaPath, VoiceClient, type VoiceClientStats } from '@parley/client';
import { nodeWebSocketFactory, openUdpTransport } from '@parley/client/node';
import type { ControlSession } from '../../packages/server/src/control/session.js';
import { settledResourceBaseline } from '../helpers/leaks.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { flush, hear, SdkHandle, speak } from '../helpers/ws.js';

/** A UDP socket on 127.0.0.1 that counts what it receives and echoes it. */
async function echoSink(): Promise<{ socket: UdpSocket; port: number; received: () => number }> {
  const socket = createSocket('udp4');
  let received = 0;
  socket.on('message', (msg, rinfo) => {
    received++;
    socket.send(msg, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { socket, port: socket.address().port, received: () => received };
}

const closeSocket = (s: UdpSocket): Promise<void> => new Promise((r) => s.close(() => r()));

describe('openUdpTransport (the SDK’s UDP media socket)', () => {
  it('leaves no socket after close(), which may be called again', async () => {
    const sink = await echoSink();
    try {
      const before = await settledResourceBaseline({ timers: true });
      const udp = await openUdpTransport('127.0.0.1', sink.port);
      const echoed: Uint8Array[] = [];
      udp.onPacket((p) => echoed.push(p));
      udp.send(Uint8Array.of(1, 2, 3));
      await waitFor(() => echoed.length === 1, 'the echo');
      udp.close();
      udp.close();
      udp.send(Uint8Array.of(4)); // ignored once closed
      await before.expectNothingLeft('the UDP transport’s close()');
      expect(sink.received()).toBe(1);
    } finally {
      await closeSocket(sink.socket);
    }
  });

  it('leaves no socket when it cannot connect', async () => {
    const before = await settledResourceBaseline({ timers: true });
    // Port 0 passes the `joined` schema (0–65535) but no socket can connect to it.
    await expect(openUdpTransport('127.0.0.1', 0)).rejects.toThrow(/port/i);
    await before.expectNothingLeft('a failed openUdpTransport');
  });
});

describe('MediaPath over a real UDP socket', () => {
  it('close() during a handshake nobody answers releases the socket and the handshake timers', async () => {
    const silent = createSocket('udp4'); // receives the HELLOs, never answers
    let hellos = 0;
    silent.on('message', () => hellos++);
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    try {
      const before = await settledResourceBaseline({ timers: true });
      const stats: VoiceClientStats = { packetsSent: 0, packetsReceived: 0, drops: {}, pathChallenges: 0 };
      const path = new MediaPath(
        {
          aead: createNodeAead,
          udp: openUdpTransport,
          host: '127.0.0.1',
          sendOverWs: () => undefined,
          now: () => performance.now(),
          udpHandshakeMs: 30_000,
        },
        stats,
      );
      const entered = path.enter(
        Buffer.alloc(32, 7).toString('base64'),
        1234,
        silent.address().port,
        'chacha20-poly1305',
      );
      const outcome = entered.then(
        () => 'resolved',
        (e: unknown) => (e as { code?: string }).code,
      );
      await waitFor(() => hellos >= 2, 'a retried HELLO');
      path.close();
      path.close();
      expect(await outcome).toBe('PARLEY_ERR_CONNECTION_CLOSED');
      expect(path.state).toBe('closed');
      await before.expectNothingLeft('MediaPath.close() during the handshake');
    } finally {
      await closeSocket(silent);
    }
  });
});

describe('SDK objects against a real server', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startServer();
  });
  afterEach(async () => {
    await t.close();
  });

  it('ControlConnection: a pending request, then close(): no socket, no request timer', async () => {
    const before = await settledResourceBaseline({ timers: true });
    const conn = await ControlConnection.open(
      nodeWebSocketFactory,
      `${t.info.url.replace('http', 'ws')}/ws`,
      {
        requestTimeoutMs: 60_000,
      },
    );
    await conn.request({ type: 'hello', v: 1, name: 'cc' }, 'welcome');
    const pending = conn.request({ type: 'ping', t: 1 }, 'pong').catch((e: unknown) => e);
    conn.close();
    conn.close();
    expect(await pending).toMatchObject({ code: 'PARLEY_ERR_CONNECTION_CLOSED' });
    await conn.socketClosed;
    await before.expectNothingLeft('ControlConnection.close()');
    await expect(conn.request({ type: 'ping', t: 2 }, 'pong')).rejects.toMatchObject({
      code: 'PARLEY_ERR_CONNECTION_CLOSED',
    });
  });

  it('VoiceClient.connect() refused at hello (a bad token): nothing is left behind', async () => {
    const before = await settledResourceBaseline({ timers: true });
    await expect(
      VoiceClient.connect({
        server: t.info.url,
        token: 'not-a-token',
        webSocket: nodeWebSocketFactory,
        aead: createNodeAead,
        udp: openUdpTransport,
      }),
    ).rejects.toMatchObject({ code: 'PARLEY_ERR_BAD_CREDENTIALS' });
    await before.expectNothingLeft('a refused VoiceClient.connect()');
  });

  for (const transport of ['udp', 'ws'] as const) {
    it(`VoiceClient joined with media over ${transport}: close() leaves nothing, on either side`, async () => {
      const before = await settledResourceBaseline({ timers: true });
      const a = await SdkHandle.connect(t.info.url, { name: 'ana', transport });
      const b = await SdkHandle.connect(t.info.url, { name: 'bob', transport });
      await a.client.join('Lobby');
      await b.client.join('Lobby');
      expect(a.client.transportKind).toBe(transport);
      const heard = hear(b.client);
      speak(a.client, 5);
      await waitFor(() => heard.length === 5, 'bob to hear five frames');
      for (const h of [a, b]) {
        h.client.close();
        h.client.close();
        expect(h.client.state).toBe('closed');
      }
      await waitFor(() => t.server.plane.sessionCount === 0, 'the server to end both sessions');
      await before.expectNothingLeft(`VoiceClient.close() (${transport})`);
    });
  }

  it('VoiceClient closed while reconnecting: no socket, no backoff timer, no retry', async () => {
    const h = await SdkHandle.connect(t.info.url, {
      name: 'rex',
      reconnect: { attempts: 50, delayMs: 10_000, maxDelayMs: 10_000 },
    });
    await h.client.join('Lobby');
    await flush(h.client);
    const before = await settledResourceBaseline({ timers: true });
    h.online = false; // every reconnection attempt fails at once
    h.cut();
    // Attempt 1 failed: the client waits 10 s before attempt 2.
    await waitFor(
      () => before.timers?.live().some((x) => x.ms === 10_000 && x.at.includes('voice-client')) === true,
      'the reconnection backoff timer',
    );
    expect(h.client.state).toBe('reconnecting');
    h.client.close();
    h.client.close();
    expect(h.client.state).toBe('closed');
    // The server keeps the detached session (and its grace timer) for a resume
    // that will not come: that is the server's to release, not the client's.
    (t.server.hub.peerBySsrc(h.client.sessionId) as ControlSession).close();
    await before.expectNothingLeft('VoiceClient.close() while reconnecting', 5000);
    expect(h.sockets).toHaveLength(1); // no attempt after close
  });

  it('VoiceClient closed while a reconnection is still connecting: that socket is closed too', async () => {
    // A TCP server that accepts and never answers the WebSocket upgrade: the attempt hangs.
    const accepted: Socket[] = [];
    const blackHole = createServer((sock) => accepted.push(sock.resume()));
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    const holeUrl = `ws://127.0.0.1:${(blackHole.address() as AddressInfo).port}/ws`;
    try {
      const before = await settledResourceBaseline({ timers: true });
      let attempts = 0;
      const client = await VoiceClient.connect({
        server: t.info.url,
        name: 'hal',
        aead: createNodeAead,
        // The first socket reaches the server; every later one the black hole.
        webSocket: (url) => nodeWebSocketFactory(attempts++ === 0 ? url : holeUrl),
        reconnect: { attempts: 5, delayMs: 10 },
      });
      await client.join('Lobby');
      (t.server.hub.peerBySsrc(client.sessionId) as ControlSession).close(1011, 'test'); // resumable
      await waitFor(() => accepted.length === 1, 'the reconnection to reach the black hole');
      expect(client.state).toBe('reconnecting');
      client.close();
      client.close();
      // Once the client closes its side, the black hole's side ends too.
      await before.expectNothingLeft('VoiceClient.close() during a reconnection attempt');
      expect(attempts).toBe(2);
    } finally {
      for (const s of accepted) s.destroy();
      await new Promise((r) => blackHole.close(r));
    }
  });
});
