/**
 * A session's UDP path after a move (docs/protocol.md, "Keepalive and NAT
 * rebinding"; docs/security.md, "Media plane"), on the router alone. The
 * attack: someone who sees a client's packets resends its keepalive HELLO
 * from its own address B ahead of it, passes the challenge on to the
 * client, and races the client's cookie echo from B. The session keeps the
 * address it moved from and goes back there when the echo arrives from it
 * too, or when anything newer the client sealed does; a real NAT
 * rebinding, whose old address never speaks again, still moves for good.
 */
import { describe, expect, it, vi } from 'vitest';
import { HELLO_ACK_VALIDATE, HELLO_NONCE_SIZE, PacketType } from '@parley/protocol';
import { helloPayload, routerWorld, udp, VOICE } from '../../../../test/helpers/media-router.js';

/** A listener `a` bound at A = a.from, a speaker `b` in its channel, and the attacker's address B. */
function pathWorld() {
  const w = routerWorld();
  const a = w.join(1);
  const b = w.join(1);
  const A = a.from;
  const B = udp('203.0.113.66', 6666);
  const at = (x: { address: string; port: number }): string => `${x.address}:${x.port}`;
  const addr = (x: { address: string; port: number }) => ({ address: x.address, port: x.port });
  /** The one HELLO_ACK in the outbox, opened as a's client would: where it went, its flags and payload. */
  const ack = (): { to: string; flags: number; payload: Uint8Array } => {
    expect(w.outbox.udpCount).toBe(1);
    const c = w.outbox.udp[0]!;
    const { type, flags, payload } = a.c.openReply(c.bytes);
    expect(type).toBe(PacketType.HelloAck);
    return { to: at(c.to), flags, payload };
  };
  /** Where the speaker's next frame for `a` goes. */
  const audioToA = (): string => {
    expect(w.route(b.c.audio(), b.from)).toBe('audio');
    const copies = w.outbox.udp.slice(0, w.outbox.udpCount).filter((c) => c.session === a.s);
    expect(copies).toHaveLength(1);
    return at(copies[0]!.to);
  };
  /**
   * The attack up to the move: the copy of a's keepalive from B is
   * challenged there, the genuine keepalive from A is a duplicate; the
   * client echoes the cookie (passed on by the attacker) from A, and the
   * attacker's copy of that echo from B arrives first. Returns the echo.
   */
  const raceTheEcho = (): Uint8Array => {
    const keepalive = a.c.hello();
    expect(w.route(keepalive, B)).toBe('reply');
    const challenge = ack();
    expect([challenge.to, challenge.flags]).toEqual([at(B), HELLO_ACK_VALIDATE]);
    // Not a reason to cancel the validation: any replay would do as much (docs/protocol.md).
    expect(w.route(keepalive, A)).toBe('replayed');
    expect(a.s.udp).toMatchObject({ kind: 'validating', address: B.address, via: { address: A.address } });
    const echo = a.c.hello(helloPayload(challenge.payload.subarray(HELLO_NONCE_SIZE)));
    expect(w.route(echo, B)).toBe('reply');
    expect(a.s.udp).toMatchObject({ kind: 'bound', address: B.address, previous: { binding: addr(A) } });
    expect(audioToA()).toBe(at(B));
    return echo;
  };
  return { w, a, b, A, B, at, addr, ack, audioToA, raceTheEcho, v: w.router.stats.validation };
}

describe('MediaRouter: an on-path attacker cannot keep a session’s UDP path', () => {
  it('the genuine echo, arriving from A after the copy, undoes the move at once', () => {
    const { w, a, A, B, at, audioToA, raceTheEcho, v, addr } = pathWorld();
    const bound: string[] = [];
    w.router.on('bound', (s) => bound.push(at(s.udpTarget!)));
    const echo = raceTheEcho();
    expect(w.route(echo, A)).toBe('replayed');
    expect(a.s.udp).toEqual({ kind: 'bound', address: A.address, port: A.port, previous: null });
    expect(audioToA()).toBe(at(A));
    expect(bound).toEqual([at(B), at(A)]);
    expect(v).toMatchObject({ challenges: 1, validated: 1, reverted_by_copy: 1, reverted: 0 });
    // B is forgotten: the echo again from B is a replay, and nothing else from there is even opened.
    expect(w.route(echo, B)).toBe('replayed');
    expect(w.route(a.c.audio(), B)).toBe('spoofed_address');
    expect(a.s.udpTarget).toMatchObject(addr(A));
  });

  it('with the genuine echo held back, the client’s next audio from A takes the session back: it hears at once', () => {
    const { w, a, b, A, at, audioToA, raceTheEcho, v, addr } = pathWorld();
    const echo = raceTheEcho();
    expect(w.route(a.c.audio(), A)).toBe('audio');
    // Routed as well: the speaker b got it (over UDP, at its own address).
    expect(w.outbox.udp.slice(0, w.outbox.udpCount).map((c) => c.session)).toEqual([b.s]);
    expect(a.s.udp).toMatchObject({ kind: 'bound', address: A.address, port: A.port, previous: null });
    expect(audioToA()).toBe(at(A));
    expect(v).toMatchObject({ reverted: 1, reverted_by_copy: 0 });
    // The echo, delivered late, changes nothing.
    expect(w.route(echo, A)).toBe('replayed');
    expect(a.s.udpTarget).toMatchObject(addr(A));
  });

  it('a silent listener: its next keepalive from A takes it back and is acknowledged, with no challenge to race', () => {
    const { w, a, A, at, ack, audioToA, raceTheEcho, v } = pathWorld();
    raceTheEcho();
    expect(w.route(a.c.hello(), A)).toBe('reply');
    expect(ack()).toMatchObject({ to: at(A), flags: 0 });
    expect(audioToA()).toBe(at(A));
    expect(v).toMatchObject({ challenges: 1, reverted: 1 });
  });

  it('forged packets from A, and replays of the client’s other packets, do not take the session back', () => {
    const { w, a, A, B, raceTheEcho, v, addr } = pathWorld();
    const c = w.join(2);
    const audio = a.c.audio();
    const hello = a.c.hello();
    expect(w.route(audio, A)).toBe('audio');
    expect(w.route(hello, A)).toBe('reply');
    raceTheEcho();
    const opens = vi.spyOn(a.s.aead, 'open');
    const attempts: [Uint8Array, string][] = [
      [c.c.seal(PacketType.Audio, 5, VOICE, a.s.ssrc), 'auth_failed'], // another session's key
      [c.c.seal(PacketType.Hello, 5, helloPayload(), a.s.ssrc), 'auth_failed'],
      [audio, 'replayed'],
      [hello, 'replayed'], // a HELLO, but not the one that made the move
    ];
    for (const [packet, outcome] of attempts) expect(w.route(packet, A)).toBe(outcome);
    expect(opens).toHaveBeenCalledTimes(2); // the forged ones: one open each, no sequence probe
    expect(a.s.udpTarget).toMatchObject(addr(B));
    expect(v).toMatchObject({ reverted: 0, reverted_by_copy: 0 });
  });

  it('bounds the flip-flop: each move costs the attacker a client HELLO raced and won, and us two AEAD opens', () => {
    const { w, a, A, at, audioToA, raceTheEcho, v } = pathWorld();
    const opens = vi.spyOn(a.s.aead, 'open');
    const rounds = 10;
    for (let i = 0; i < rounds; i++) {
      const echo = raceTheEcho();
      expect(w.route(echo, A)).toBe('replayed');
      expect(audioToA()).toBe(at(A));
    }
    // Per round: the two copies from B are opened; the genuine packets from A stop at the replay window.
    expect(opens).toHaveBeenCalledTimes(2 * rounds);
    expect(v).toMatchObject({ challenges: rounds, validated: rounds, reverted_by_copy: rounds });
  });
});

describe('MediaRouter: a real NAT rebinding', () => {
  it('moves for good when the old address never speaks again, and a late packet from it moves nothing back', () => {
    const { w, a, A, at, ack, audioToA, v, addr } = pathWorld();
    const Y = udp('198.51.100.7', 40_000); // the NAT's new mapping for the client
    const late = a.c.audio(); // sent from A just before the rebinding, delayed
    expect(w.route(a.c.audio(), Y)).toBe('spoofed_address');
    expect(audioToA()).toBe(at(A));
    expect(w.route(a.c.hello(), Y)).toBe('reply');
    const challenge = ack();
    expect([challenge.to, challenge.flags]).toEqual([at(Y), HELLO_ACK_VALIDATE]);
    expect(w.route(a.c.hello(helloPayload(challenge.payload.subarray(HELLO_NONCE_SIZE))), Y)).toBe('reply');
    expect(ack()).toMatchObject({ to: at(Y), flags: 0 });
    expect(a.s.udp).toMatchObject({
      kind: 'bound',
      address: Y.address,
      port: Y.port,
      previous: { binding: addr(A) },
    });
    for (let i = 0; i < 5; i++) {
      expect(w.route(a.c.audio(), Y)).toBe('audio');
      expect(audioToA()).toBe(at(Y));
    }
    expect(w.route(late, A)).toBe('spoofed_address');
    expect(w.route(a.c.hello(), Y)).toBe('reply');
    expect(ack()).toMatchObject({ to: at(Y), flags: 0 });
    expect(audioToA()).toBe(at(Y));
    expect(v).toMatchObject({ challenges: 1, validated: 1, reverted: 0, reverted_by_copy: 0 });
  });

  it('a second move keeps only the address just left: no chain of old addresses', () => {
    const { w, a, A, ack } = pathWorld();
    const moveTo = (to: ReturnType<typeof udp>): void => {
      expect(w.route(a.c.hello(), to)).toBe('reply');
      const cookie = ack().payload.subarray(HELLO_NONCE_SIZE);
      expect(w.route(a.c.hello(helloPayload(cookie)), to)).toBe('reply');
    };
    const Y = udp('198.51.100.7', 40_000);
    const Z = udp('198.51.100.8', 40_001);
    moveTo(Y);
    moveTo(Z);
    expect(a.s.udp).toMatchObject({
      address: Z.address,
      previous: { binding: { ...Y, kind: 'bound', previous: null } },
    });
    // A, two moves back, is an unvalidated address again.
    expect(w.route(a.c.audio(), A)).toBe('spoofed_address');
  });
});
