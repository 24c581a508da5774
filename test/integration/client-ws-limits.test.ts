/**
 * The SDK's WebSocket (nodeWebSocket) and ControlConnection against a real
 * `ws` server on 127.0.0.1:0 that misbehaves: an oversized message, and
 * messages that fail validation.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErrorCode, MAX_SERVER_MESSAGE_BYTES } from '@parley/protocol';
import {
  ControlConnection,
  VoiceClient,
  type ControlDrop,
  type ControlEvents,
  type DisconnectInfo,
} from '@parley/client';
import { createNodeAead } from '@parley/protocol/node';
import { NODE_WS_MAX_PAYLOAD, nodeWebSocketFactory } from '@parley/client/node';

/** A real WebSocket server on 127.0.0.1:0 that answers each client message with `answer`. */
async function server(answer: (ws: WebSocket, msg: { type: string; ref?: string }) => void): Promise<{
  url: string;
  wss: WebSocketServer;
  closed: Promise<number>;
}> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  let closedBy: (code: number) => void = () => undefined;
  const closed = new Promise<number>((r) => (closedBy = r));
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => answer(ws, JSON.parse(data.toString('utf8')) as { type: string }));
    ws.on('close', (code: number) => closedBy(code));
  });
  servers.push(wss);
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, wss, closed };
}

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const wss of servers.splice(0)) {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  }
});

const pong = (ref: string | undefined): string => JSON.stringify({ type: 'pong', t: 1, serverTime: 2, ref });

describe('the Node WebSocket and the control connection against a hostile server', () => {
  it('refuses a server message over the limit while it is being received: closes with 1009 and says why', async () => {
    expect(NODE_WS_MAX_PAYLOAD).toBeGreaterThanOrEqual(MAX_SERVER_MESSAGE_BYTES);
    expect(NODE_WS_MAX_PAYLOAD).toBeLessThan(MAX_SERVER_MESSAGE_BYTES + 64 * 1024);
    const srv = await server((ws, msg) => {
      ws.send('x'.repeat(NODE_WS_MAX_PAYLOAD + 1));
      ws.send(pong(msg.ref)); // never reached: the connection is closed before
    });
    const conn = await ControlConnection.open(nodeWebSocketFactory, srv.url);
    const closed = new Promise<ControlEvents['close']>((r) => conn.on('close', r));
    const drops: ControlDrop[] = [];
    conn.on('dropped', (d) => drops.push(d));
    await expect(conn.request({ type: 'ping', t: 1 }, 'pong')).rejects.toMatchObject({
      code: ErrorCode.MessageTooLarge,
    });
    expect(await closed).toMatchObject({ code: 1009, errorCode: ErrorCode.MessageTooLarge });
    expect(await srv.closed).toBe(1009);
    expect(conn.stats).toMatchObject({ oversizedMessages: 1, invalidMessages: 0 });
    expect(drops.map((d) => [d.reason, d.code])).toEqual([['too_large', ErrorCode.MessageTooLarge]]);
  });

  it('counts server messages that fail validation, and keeps going', async () => {
    const srv = await server((ws, msg) => {
      ws.send('not json');
      ws.send('[1, 2]');
      ws.send(JSON.stringify({ type: 'no_such_message' }));
      ws.send(JSON.stringify({ type: 'pong', t: 'soon' })); // fails the schema
      ws.send('"' + 'y'.repeat(MAX_SERVER_MESSAGE_BYTES) + '"'); // over the limit by 2 bytes, within the socket's margin
      ws.send(pong(msg.ref));
    });
    const conn = await ControlConnection.open(nodeWebSocketFactory, srv.url);
    const drops: ControlDrop[] = [];
    conn.on('dropped', (d) => drops.push(d));
    const answer = await conn.request({ type: 'ping', t: 1 }, 'pong');
    expect(answer).toMatchObject({ type: 'pong', t: 1, serverTime: 2 });
    expect(conn.stats).toEqual({ invalidMessages: 4, oversizedMessages: 1, duplicateMessages: 0 });
    expect(drops.map((d) => [d.reason, d.code])).toEqual([
      ['invalid', ErrorCode.BadMessage],
      ['invalid', ErrorCode.BadMessage],
      ['invalid', ErrorCode.BadMessage],
      ['invalid', ErrorCode.BadMessage],
      ['too_large', ErrorCode.MessageTooLarge],
    ]);
    conn.close();
  });

  it('a VoiceClient whose server sent a message over the limit ends the session instead of resuming into it again', async () => {
    let connections = 0;
    const srv = await server((ws, msg) => {
      if (msg.type !== 'hello') return;
      connections++;
      const welcome = {
        type: 'welcome',
        sessionId: 7,
        name: 'parley',
        serverVersion: 'test',
        user: { id: null, name: 'g', role: 'guest' },
        resumeToken: 'r',
        resumed: false,
        channels: [],
        ref: msg.ref,
      };
      ws.send(JSON.stringify(welcome));
      ws.send('x'.repeat(NODE_WS_MAX_PAYLOAD + 1));
    });
    const client = await VoiceClient.connect({
      server: srv.url.replace('ws:', 'http:'),
      name: 'g',
      webSocket: nodeWebSocketFactory,
      aead: createNodeAead,
    });
    const reconnecting: unknown[] = [];
    client.on('reconnecting', (r) => reconnecting.push(r));
    const gone = await new Promise<DisconnectInfo>((r) => client.on('disconnected', r));
    expect(gone).toMatchObject({ closeCode: 1009 });
    expect(reconnecting).toEqual([]);
    expect(connections).toBe(1);
    expect(client.state).toBe('closed');
  });
});
