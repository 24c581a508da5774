/**
 * The media router's routing, replies, membership and speaking edges, and
 * the WebSocket shell, without sockets (test/helpers/media-router.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  Direction,
  HELLO_ACK_VALIDATE,
  HELLO_NONCE_SIZE,
  InboundStream,
  PacketType,
  parsePacket,
} from '@parley/protocol';
import { helloPayload, routerWorld, udp, VOICE, type FakeWs } from '../../../../test/helpers/media-router.js';
import { WsShell } from './ws-shell.js';

describe('MediaRouter routing', () => {
  it('seals one copy per listening member: UDP to a bound address, WebSocket otherwise; none to the sender, the deafened, another channel or nowhere', () => {
    const w = routerWorld();
    const speaker = w.join(1);
    const viaUdp = w.join(1);
    const viaWs = w.join(1, { bound: false });
    const deaf = w.join(1);
    deaf.s.deafened = true;
    const nowhere = w.join(1, { bound: false, ws: false });
    const elsewhere = w.join(2);
    const outside = w.join(null);
    expect(w.route(speaker.c.audio(), speaker.from)).toBe('audio');
    const { outbox } = w;
    expect(outbox.udpCount).toBe(1);
    expect(outbox.wsCount).toBe(1);
    const u = outbox.udp[0]!;
    expect([u.session, u.to.address, u.to.port]).toEqual([viaUdp.s, viaUdp.from.address, viaUdp.from.port]);
    expect(outbox.ws[0]!.session).toBe(viaWs.s);
    for (const [copy, to] of [
      [u.bytes, viaUdp],
      [outbox.ws[0]!.bytes, viaWs],
    ] as const) {
      const view = parsePacket(copy);
      if (!view.ok) throw new Error(view.reason);
      expect(view.value.header.ssrc).toBe(speaker.s.ssrc);
      const opened = new InboundStream().open(to.c.aead, Direction.ServerToClient, view.value);
      expect(opened.ok && [...opened.value.payload]).toEqual([...VOICE]);
    }
    for (const x of [deaf, nowhere, elsewhere, outside]) expect(x.s.packetsOut).toBe(0);
    expect(w.router.stats.audioIn).toBe(1);
  });

  it('answers a HELLO from a new address with a challenge no larger than itself, binds only when the cookie comes back, and keeps media on the validated address meanwhile', () => {
    const w = routerWorld();
    const a = w.join(1, { bound: false });
    const b = w.join(1);
    const replies = new InboundStream();
    const reply = (i = 0): { to: string; flags: number; payload: Uint8Array; size: number } => {
      const c = w.outbox.udp[i]!;
      expect(c.session).toBe(a.s);
      const view = parsePacket(c.bytes);
      if (!view.ok) throw new Error(view.reason);
      expect(view.value.header.type).toBe(PacketType.HelloAck);
      const opened = replies.open(a.c.aead, Direction.ServerToClient, view.value);
      if (!opened.ok) throw new Error(opened.reason);
      return {
        to: `${c.to.address}:${c.to.port}`,
        flags: view.value.header.flags,
        payload: opened.value.payload,
        size: c.bytes.length,
      };
    };
    const bound: number[] = [];
    w.router.on('bound', (s) => bound.push(s.ssrc));
    const X = udp('192.0.2.1', 4000);
    const Y = udp('192.0.2.2', 4001);
    const v = w.router.stats.validation;

    // Unbound: a HELLO from X gets a challenge there, as large as the HELLO, and nothing is bound.
    expect(w.route(a.c.audio(), X)).toBe('not_bound');
    const hello = a.c.hello();
    expect(w.route(hello, X)).toBe('reply');
    const ch = reply();
    expect([ch.to, ch.flags, ch.size]).toEqual(['192.0.2.1:4000', HELLO_ACK_VALIDATE, hello.length]);
    expect(ch.payload.subarray(0, HELLO_NONCE_SIZE)).toEqual(helloPayload().subarray(0, HELLO_NONCE_SIZE));
    expect(a.s.udp).toEqual({ kind: 'validating', address: '192.0.2.1', port: 4000, via: null });
    expect(w.route(a.c.audio(), X)).toBe('not_bound');
    expect(w.route(b.c.audio(), b.from)).toBe('audio');
    expect([w.outbox.udpCount, w.outbox.ws[0]?.session]).toEqual([0, a.s]); // a's copy: its WebSocket
    const cookieX = ch.payload.slice(HELLO_NONCE_SIZE);

    // The cookie echoed from X binds X; the ack has no flag.
    expect(w.route(a.c.hello(helloPayload(cookieX)), X)).toBe('reply');
    expect(reply().flags).toBe(0);
    expect(a.s.udp).toEqual({ kind: 'bound', address: '192.0.2.1', port: 4000, previous: null });
    expect(bound).toEqual([a.s.ssrc]);
    expect(w.route(a.c.audio(), X)).toBe('audio');

    // X's cookie presented from Y is refused (a fresh challenge); audio keeps going to X.
    expect(w.route(a.c.hello(helloPayload(cookieX)), Y)).toBe('reply');
    const chY = reply();
    expect([chY.to, chY.flags]).toEqual(['192.0.2.2:4001', HELLO_ACK_VALIDATE]);
    expect(a.s.udp).toMatchObject({
      kind: 'validating',
      address: '192.0.2.2',
      via: { address: '192.0.2.1' },
    });
    expect(w.route(b.c.audio(), b.from)).toBe('audio');
    expect(w.outbox.udp[0]!.to).toMatchObject({ address: '192.0.2.1', port: 4000 });
    expect(w.route(a.c.audio(), X)).toBe('audio');
    expect(w.route(a.c.audio(), Y)).toBe('spoofed_address');

    // A HELLO from X again: back to bound at X. Y's cookie, in time, moves the binding to Y, which keeps X as its previous.
    expect(w.route(a.c.hello(), X)).toBe('reply');
    expect([reply().flags, a.s.udp.kind]).toEqual([0, 'bound']);
    const late = a.c.audio(); // sent from X before the move, delivered after it
    expect(w.route(a.c.hello(helloPayload(chY.payload.slice(HELLO_NONCE_SIZE))), Y, 12_000)).toBe('reply');
    expect(a.s.udp).toMatchObject({
      kind: 'bound',
      address: '192.0.2.2',
      port: 4001,
      previous: { binding: { address: '192.0.2.1', port: 4000, previous: null } },
    });
    expect(w.route(a.c.audio(), Y, 12_000)).toBe('audio');
    expect(w.route(late, X, 12_000)).toBe('spoofed_address'); // older than Y's: it moves nothing back
    expect(bound).toEqual([a.s.ssrc, a.s.ssrc]);

    // An expired cookie (two slots later) gets a new challenge; a HELLO too short for a cookie, nothing.
    const Z = udp('192.0.2.3', 4002);
    expect(w.route(a.c.hello(), Z, 12_000)).toBe('reply');
    const cookieZ = reply().payload.slice(HELLO_NONCE_SIZE);
    expect(w.route(a.c.hello(helloPayload(cookieZ)), Z, 32_000)).toBe('reply');
    expect(reply().flags).toBe(HELLO_ACK_VALIDATE);
    expect(w.route(a.c.hello(new Uint8Array(8)), udp('192.0.2.4', 1), 32_000)).toBe('bad_hello');
    expect(w.route(a.c.hello(new Uint8Array(8)), Y, 32_000)).toBe('reply'); // from the validated address: any size
    expect(v).toEqual({ challenges: 4, validated: 2, bad_cookies: 2, reverted: 0, reverted_by_copy: 0 });
  });

  it('answers a PING over the WebSocket with a PONG carrying the server time, or over UDP once bound', () => {
    const w = routerWorld();
    const a = w.join(1, { bound: false });
    expect(w.route(a.c.ping(), a.s.viaWs)).toBe('reply');
    expect(w.outbox.wsCount).toBe(1);
    const view = parsePacket(w.outbox.ws[0]!.bytes);
    if (!view.ok) throw new Error(view.reason);
    expect(view.value.header.type).toBe(PacketType.Pong);
    const opened = new InboundStream().open(a.c.aead, Direction.ServerToClient, view.value);
    if (!opened.ok) throw new Error(opened.reason);
    const p = opened.value.payload;
    expect(p[0]).toBe(9);
    expect(new DataView(p.buffer, p.byteOffset).getBigUint64(1)).toBe(1_700_000_000_000_000n);
    w.router.bindUdp(a.s, '192.0.2.9', 9);
    expect(w.route(a.c.ping(), a.s.viaWs)).toBe('reply');
    expect([w.outbox.udpCount, w.outbox.udp[0]!.to.address]).toEqual([1, '192.0.2.9']);
  });

  it('clears the outbox of every packet and session', () => {
    const w = routerWorld();
    const a = w.join(1);
    w.join(1);
    w.join(1, { bound: false });
    w.route(a.c.audio(), a.from);
    expect(w.outbox.size).toBe(2);
    w.outbox.clear();
    expect(w.outbox.size).toBe(0);
    expect([...w.outbox.udp, ...w.outbox.ws].every((e) => e.session === null && e.bytes.length === 0)).toBe(
      true,
    );
  });
});

describe('MediaRouter membership and speaking', () => {
  it('is the one record of who is in which channel, in the order they came in', () => {
    const w = routerWorld();
    const [a, b, c] = [w.join(1), w.join(1), w.join(1)];
    expect(w.router.membersOf(1)).toEqual([a.s, b.s, c.s]);
    w.router.setChannel(b.s, 2);
    expect([w.router.membersOf(1), w.router.membersOf(2)]).toEqual([[a.s, c.s], [b.s]]);
    expect([a.s.channelId, b.s.channelId]).toEqual([1, 2]);
    w.router.removeSession(b.s);
    w.router.removeSession(b.s);
    expect([w.router.memberCount(2), w.router.sessionCount, b.s.channelId]).toEqual([0, 2, null]);
    expect(w.router.session(b.s.ssrc)).toBeUndefined();
    w.router.close();
    w.router.close();
    expect([w.router.sessionCount, w.router.memberCount(1)]).toEqual([0, 0]);
  });

  it('reports speaking edges: on voice (not DTX), off after the hold on sweep, on mute, and to the channel left', () => {
    const w = routerWorld({ speakingHoldMs: 300 });
    const a = w.join(1);
    w.join(1);
    const edges: [number, boolean, number][] = [];
    w.router.on('speaking', (s, on, ch) => edges.push([s.ssrc, on, ch]));
    w.route(a.c.audio(new Uint8Array(2)), a.from, 1000); // DTX
    expect(edges).toEqual([]);
    w.route(a.c.audio(), a.from, 1000);
    w.route(a.c.audio(), a.from, 1100);
    w.router.sweep(1400);
    expect(edges).toEqual([[a.s.ssrc, true, 1]]);
    w.router.sweep(1401);
    w.route(a.c.audio(), a.from, 1500);
    w.router.setMuted(a.s, true);
    w.router.setMuted(a.s, false);
    w.route(a.c.audio(), a.from, 1600);
    w.router.setChannel(a.s, 2);
    expect(edges.map(([, on, ch]) => [on, ch])).toEqual([
      [true, 1],
      [false, 1],
      [true, 1],
      [false, 1],
      [true, 1],
      [false, 1],
    ]);
    expect(w.router.membersOf(1)).toHaveLength(1);
  });
});

describe('WsShell', () => {
  it('sends each WebSocket copy, and skips and counts a listener with too much buffered', () => {
    const w = routerWorld();
    const a = w.join(1);
    const fast = w.join(1, { bound: false });
    const slow = w.join(1, { bound: false });
    (slow.ws as FakeWs).bufferedAmount = 1025;
    w.route(a.c.audio(), a.from);
    new WsShell(w.router.stats, 1024).sendAll(w.outbox);
    expect((fast.ws as FakeWs).sent).toHaveLength(1);
    expect((slow.ws as FakeWs).sent).toHaveLength(0);
    expect(w.router.stats.sendFailures.ws_backpressure).toBe(1);
    expect([w.router.stats.packetsOut, fast.s.packetsOut, slow.s.packetsOut]).toEqual([1, 1, 0]);
  });
});
