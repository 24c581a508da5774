/**
 * Backpressure on control messages (issue 10, item 3; docs/protocol.md
 * §2.3.3): a client that does not read is closed with 4008 once its socket's
 * outgoing buffer passes `control.maxBufferedBytes`; from then on the server
 * writes nothing more to it (what it is sent goes to the resume log only),
 * and it resumes its session with what it missed.
 */
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { ServerMessage } from '@parley/protocol';
import type { ControlSession } from '../../packages/server/src/control/session.js';
import { clientEvent, useWsServer, type Json } from '../helpers/ws.js';

/** At most this many broadcasts of ~2.1 KB: 40 MB, far past any socket buffer. */
const MAX_FLOOD = 20_000;
const LIMIT = 1024 * 1024; // the default control.maxBufferedBytes

const chat = (i: number): ServerMessage => ({
  type: 'chat',
  message: {
    id: i,
    channelId: 1,
    authorId: null,
    authorName: 'flood',
    text: 'x'.repeat(2000),
    createdAt: new Date(0).toISOString(),
  },
});

describe('control backpressure', () => {
  const f = useWsServer();

  it('a client that never reads is closed with 4008 at the limit, costs no more memory, and resumes', async () => {
    const { probe: slow, welcome, ssrc } = await f.probe({ name: 'slow' }, 'Lobby');
    const session = f.server.hub.peerBySsrc(ssrc) as ControlSession;
    const lobby = f.server.hub.findChannel('Lobby')!.id;
    // The server's end of the slow socket.
    const localPort = (slow.ws as unknown as { _socket: { localPort: number } })._socket.localPort;
    const serverSide = [...(f.server.app.websocketServer.clients as Set<WebSocket>)].find(
      (ws) => (ws as unknown as { _socket: { remotePort: number } })._socket.remotePort === localPort,
    )!;
    expect(serverSide).toBeDefined();

    slow.ws.pause(); // stops reading: the TCP window fills, then the server's buffer
    let sent = 0;
    let maxBuffered = 0;
    while (sent < MAX_FLOOD && session.status !== 'detached') {
      f.server.hub.broadcast(lobby, chat(sent++));
      maxBuffered = Math.max(maxBuffered, serverSide.bufferedAmount);
    }
    const report = `${sent} messages sent, server buffer peaked at ${maxBuffered} bytes, session ${session.status}`;
    expect(session.status, report).toBe('detached');
    // Checked before each send: the limit plus the one message that crossed it.
    expect(maxBuffered, report).toBeLessThanOrEqual(LIMIT + 4096);

    // Nothing more is written to that socket: what follows goes to the resume log only.
    const buffered = serverSide.bufferedAmount;
    for (let i = 0; i < 10; i++) f.server.hub.broadcast(lobby, chat(MAX_FLOOD + i));
    expect(serverSide.bufferedAmount).toBe(buffered);
    expect(session.lastSeq).toBeGreaterThan(0);

    // The client reads again: everything sent before the cut, then the close frame.
    slow.ws.resume();
    expect(await slow.closed).toBe(4008);
    const lastSeq = slow.lastSeq;
    expect(lastSeq).toBeLessThan(session.lastSeq);

    const again = await f.probe();
    const w2 = await again.request({
      type: 'hello',
      v: 1,
      name: 'slow',
      resume: { token: welcome.resumeToken, lastSeq },
    });
    expect(w2).toMatchObject({ type: 'welcome', resumed: true, sessionId: ssrc });
    await again.next((m) => m.seq === session.lastSeq, 'the last missed message');
    const replayed = again.messages.filter((m: Json) => m.seq !== undefined).map((m) => m.seq);
    expect(replayed).toEqual(Array.from({ length: session.lastSeq - lastSeq }, (_, i) => lastSeq + 1 + i));
    expect(session.status).toBe('in_channel');
  });

  it('the SDK resumes by itself after 4008, with what it missed', async () => {
    const h = await f.handle({ name: 'lagging' });
    const client = h.client;
    await client.join('Lobby');
    const session = f.server.hub.peerBySsrc(client.sessionId) as ControlSession;
    const lobby = f.server.hub.findChannel('Lobby')!.id;
    const back = clientEvent(client, 'reconnecting');
    h.sockets.at(-1)!.pause();
    for (let i = 0; i < MAX_FLOOD && session.status !== 'detached'; i++)
      f.server.hub.broadcast(lobby, chat(i));
    expect(session.status).toBe('detached');
    f.server.hub.broadcast(lobby, chat(MAX_FLOOD)); // kept for the resume
    const last = clientEvent(client, 'chat', (m) => m.id === MAX_FLOOD);
    const resumed = clientEvent(client, 'reconnected');
    h.sockets.at(-1)!.resume();
    expect(await back).toMatchObject({ closeCode: 4008 });
    expect(await resumed).toEqual({ resumed: true });
    await last;
    expect(client.sessionId).toBe(session.media.ssrc);
    expect(session.status).toBe('in_channel');
  });
});
