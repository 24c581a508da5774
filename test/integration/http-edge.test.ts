/**
 * The HTTP server's edge against slow and greedy clients, on real TCP
 * sockets: slow-loris headers and bodies are closed within the configured
 * timeouts, idle keep-alive connections are closed, and connections over
 * the per-address and server-wide caps are destroyed and counted.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildServer, finalizeConfig } from '@parley/server';
import { ErrorCode, MAX_CONTROL_MESSAGE_BYTES } from '@parley/protocol';
import { startServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const HEADERS_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 600;
const KEEP_ALIVE_MS = 300;
/** The server checks deadlines this often; a late connection is closed within one period. */
const CHECK_MS = 50;
/** How late a close may come on a busy 2-core machine. */
const SLACK_MS = 1500;

interface Conn {
  socket: Socket;
  openedAt: number;
  closedAt: number | undefined;
  stop(): void;
}

/** Opens a TCP connection that writes `head` and then one byte of `drip` every `everyMs`. */
async function dribble(port: number, head: string, drip: string, everyMs: number, localAddress?: string) {
  const socket = connect({
    host: '127.0.0.1',
    port,
    ...(localAddress === undefined ? {} : { localAddress }),
  });
  socket.on('error', () => {}); // a reset by the server is the point
  socket.on('data', () => {}); // a 408 answer may come before the close
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const conn: Conn = { socket, openedAt: performance.now(), closedAt: undefined, stop: () => {} };
  socket.once('close', () => {
    conn.closedAt = performance.now();
    clearInterval(timer);
  });
  socket.write(head);
  let i = 0;
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(drip[i++ % drip.length] ?? 'x');
  }, everyMs);
  conn.stop = () => {
    clearInterval(timer);
    socket.destroy();
  };
  return conn;
}

describe('HTTP edge: timeouts for slow clients', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({
      http: {
        headersTimeoutMs: HEADERS_TIMEOUT_MS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        keepAliveTimeoutMs: KEEP_ALIVE_MS,
        timeoutCheckMs: CHECK_MS,
        maxConnectionsPerAddress: 1000,
      },
    });
  });
  afterAll(() => srv.close());

  it('closes 40 connections that dribble their headers a byte at a time, within the headers timeout', async () => {
    const conns = await Promise.all(
      Array.from({ length: 40 }, () =>
        dribble(srv.info.httpPort, 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ', 'abcdef', 50),
      ),
    );
    try {
      await waitFor(
        () => conns.every((c) => c.closedAt !== undefined),
        () => `all 40 closed (${conns.filter((c) => c.closedAt !== undefined).length} are)`,
        { timeoutMs: HEADERS_TIMEOUT_MS + SLACK_MS * 2, pollMs: 20 },
      );
      for (const c of conns) {
        const lived = (c.closedAt ?? Infinity) - c.openedAt;
        expect(lived).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
        expect(lived).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
      }
    } finally {
      for (const c of conns) c.stop();
    }
  });

  it('closes connections that dribble a body, within the request timeout', async () => {
    const head =
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"name":"';
    const conns = await Promise.all(
      Array.from({ length: 20 }, () => dribble(srv.info.httpPort, head, 'aaaa', 50)),
    );
    try {
      await waitFor(
        () => conns.every((c) => c.closedAt !== undefined),
        () => `all 20 closed (${conns.filter((c) => c.closedAt !== undefined).length} are)`,
        { timeoutMs: REQUEST_TIMEOUT_MS + SLACK_MS * 2, pollMs: 20 },
      );
      for (const c of conns) {
        expect((c.closedAt ?? Infinity) - c.openedAt).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
      }
    } finally {
      for (const c of conns) c.stop();
    }
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const conn = await dribble(srv.info.httpPort, 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n', '', 1e6);
    let answered = false;
    conn.socket.on('data', (d: Buffer) => {
      if (d.toString('latin1').startsWith('HTTP/1.1 200')) answered = true;
    });
    try {
      await waitFor(() => conn.closedAt !== undefined, 'the idle connection to close', {
        timeoutMs: KEEP_ALIVE_MS + SLACK_MS * 2,
        pollMs: 20,
      });
      expect(answered).toBe(true);
      expect((conn.closedAt ?? Infinity) - conn.openedAt).toBeLessThan(KEEP_ALIVE_MS + SLACK_MS);
    } finally {
      conn.stop();
    }
  });
});

describe('HTTP edge: connection caps', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({
      http: { maxConnectionsPerAddress: 5, maxConnections: 8, connectionCapExempt: ['127.0.0.3'] },
    });
  });
  afterAll(() => srv.close());

  async function open(n: number, localAddress: string): Promise<Conn[]> {
    return Promise.all(
      Array.from({ length: n }, () =>
        dribble(srv.info.httpPort, 'GET / HTTP/1.1\r\n', '', 1e6, localAddress),
      ),
    );
  }

  it('destroys connections over the per-address cap and over the server-wide cap, and counts them', async () => {
    const a = await open(7, '127.0.0.1');
    const b = await open(4, '127.0.0.2');
    try {
      // 127.0.0.1: 5 admitted, 2 refused; 127.0.0.2: 3 admitted (8 in all), 1 refused.
      await waitFor(
        () => [...a, ...b].filter((c) => c.closedAt !== undefined).length === 3,
        () => `3 refused (${[...a, ...b].filter((c) => c.closedAt !== undefined).length} closed)`,
        { pollMs: 20 },
      );
      expect(srv.server.edge.refusedPerAddress).toBe(2);
      expect(srv.server.edge.refusedServerFull).toBe(1);
      expect(srv.server.edge.connections).toBe(8);
    } finally {
      for (const c of [...a, ...b]) c.stop();
    }
    await waitFor(() => srv.server.edge.connections === 0, 'every connection to be released', { pollMs: 20 });
    // The caps count open connections: once they are closed, a client gets in again.
    const res = await fetch(`${srv.info.url}/api/v1/health`);
    expect(res.status).toBe(200);
  });

  it('does not apply the per-address cap to an exempt address (a local proxy), only the server-wide one', async () => {
    await waitFor(() => srv.server.edge.connections === 0, 'no connection left', { pollMs: 20 });
    const before = srv.server.edge.refusedPerAddress;
    const c = await open(7, '127.0.0.3');
    try {
      await waitFor(() => srv.server.edge.connections === 7, 'all 7 to be admitted', { pollMs: 20 });
      expect(c.every((x) => x.closedAt === undefined)).toBe(true);
      expect(srv.server.edge.refusedPerAddress).toBe(before);
    } finally {
      for (const x of c) x.stop();
    }
  });
});

describe('HTTP edge: malformed URLs, WebSocket origins and bad frames', () => {
  let srv: TestServer;
  const logged: { level: number; msg?: string; err?: unknown; stack?: unknown }[] = [];
  beforeAll(async () => {
    const config = finalizeConfig({
      host: '127.0.0.1',
      httpPort: 0,
      udpPort: 0,
      dataDir: ':memory:',
      logLevel: 'debug',
      auth: { adminPassword: TEST_ADMIN_PASSWORD },
      http: { cors: { origins: ['https://app.example'] } },
    });
    const stream = { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) };
    const server = await buildServer(config, { logger: { level: 'debug', stream } });
    const info = await server.listen();
    srv = { server, info, close: () => server.close() };
  });
  afterAll(() => srv.close());

  it('answers a malformed URL with problem+json, not the framework JSON', async () => {
    for (const path of ['/api/v1/users/%', '/api/v1/channels/%E0%A4%A']) {
      const res = await fetch(`${srv.info.url}${path}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 400, code: ErrorCode.BadMessage });
    }
  });

  /** The HTTP status of a WebSocket handshake to /ws with these headers (101 = opened). */
  async function handshake(headers: Record<string, string>): Promise<number> {
    const ws = new WebSocket(`${srv.info.url.replace(/^http/, 'ws')}/ws`, { headers });
    try {
      return await new Promise<number>((resolve, reject) => {
        ws.once('open', () => resolve(101));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', reject);
      });
    } finally {
      ws.terminate();
    }
  }

  it('refuses a WebSocket from a web page of an unlisted origin, and counts it', async () => {
    const before = srv.server.edge.refusedOrigin;
    expect(await handshake({ origin: 'https://evil.example' })).toBe(403);
    expect(await handshake({ origin: 'http://localhost:5173' })).toBe(403);
    expect(await handshake({ origin: 'null' })).toBe(403);
    expect(srv.server.edge.refusedOrigin).toBe(before + 3);
    // Moderators see the edge's counters in GET /api/v1/stats.
    const { token } = await srv.server.services.auth.login('admin', TEST_ADMIN_PASSWORD, '127.0.0.1');
    const stats = await fetch(`${srv.info.url}/api/v1/stats`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await stats.json()) as { http: unknown }).http).toMatchObject({ refusedOrigin: before + 3 });
  });

  it('lets in the same origin, a listed origin, and a client without Origin (the Node SDK)', async () => {
    expect(await handshake({ origin: srv.info.url })).toBe(101);
    expect(await handshake({ origin: 'https://app.example' })).toBe(101);
    expect(await handshake({})).toBe(101);
  });

  it('drops an oversized frame before hello, counted and logged at debug without a stack', async () => {
    const before = srv.server.edge.badFrames;
    const from = logged.length;
    const ws = new WebSocket(`${srv.info.url.replace(/^http/, 'ws')}/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => {});
    ws.send('x'.repeat(MAX_CONTROL_MESSAGE_BYTES + 1));
    expect([1006, 1009]).toContain(await closed);
    await waitFor(() => srv.server.edge.badFrames === before + 1, 'the bad frame to be counted', {
      pollMs: 10,
    });
    const lines = logged.slice(from);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    const line = lines.find((l) => l.msg === 'websocket error: connection dropped');
    expect(line).toMatchObject({ level: 20, code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' });
    expect(JSON.stringify(line)).not.toMatch(/"stack"|\n\s+at /);
  });
});
