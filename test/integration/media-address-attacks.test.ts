/**
 * Attacks on a session's UDP address and packet allowance (issue 10, items
 * 1 and 4), against a real server with real UDP sockets on 127.0.0.1:
 *
 * - forged HELLOs carrying a speaker's ssrc, from another address, and
 *   replays of the speaker's packets from its own address, must not take
 *   the speaker's audio away from a listener;
 * - a HELLO sealed with a session's own key but sent from another address
 *   (a reflection attempt) gets at most one reply there, no larger than
 *   itself, and the session's media keeps going to its real socket;
 * - a client that really moved completes the address validation and gets
 *   its media at the new address.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Direction,
  FRAME_SAMPLES,
  HELLO_ACK_VALIDATE,
  HELLO_COOKIE_SIZE,
  HELLO_NONCE_SIZE,
  HELLO_PAYLOAD_SIZE,
  InboundStream,
  PacketType,
  parsePacket,
  sealPacket,
} from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import type { VoiceClient } from '@parley/client';
import { connectClient } from '../helpers/clients.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function opusLike(i: number): Uint8Array {
  return Uint8Array.from({ length: 40 }, (_, k) => (i * 7 + k) & 0xff);
}

async function rawSocket(): Promise<{ sock: Socket; got: Buffer[] }> {
  const sock = createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { sock, got };
}

describe('media plane: unauthenticated work is never charged to a session; a new address must prove it receives', () => {
  let t: TestServer;
  let alice: VoiceClient;
  let bob: VoiceClient;
  let heard: number[];
  const sockets: Socket[] = [];

  beforeEach(async () => {
    t = await startServer();
    alice = await connectClient(t.info.url, 'alice');
    bob = await connectClient(t.info.url, 'bob');
    await alice.join('Lobby');
    await bob.join('Lobby');
    expect(alice.transportKind).toBe('udp');
    expect(bob.transportKind).toBe('udp');
    heard = [];
    bob.onAudio((p) => heard.push(p.payload[0]!));
  });
  afterEach(async () => {
    alice.close();
    bob.close();
    for (const s of sockets.splice(0)) s.close();
    await t.close();
  });

  const raw = async (): Promise<{ sock: Socket; got: Buffer[] }> => {
    const r = await rawSocket();
    sockets.push(r.sock);
    return r;
  };
  const drops = () => t.server.plane.stats.snapshot().drops;
  const send = (sock: Socket, bytes: Uint8Array): void => sock.send(bytes, t.info.udpPort, '127.0.0.1');

  /** A HELLO sealed with `c`'s own key, numbered after everything the server accepted from it. */
  const helloOf = (c: VoiceClient, payload: Uint8Array, ahead = 1): Uint8Array => {
    const s = t.server.plane.router.session(c.sessionId)!;
    const ext = (s.controlIn.highest ?? 0) + ahead;
    const media = c.joined!.media;
    return sealPacket(
      createNodeAead(Buffer.from(media.key, 'base64'), media.cipher),
      Direction.ClientToServer,
      { type: PacketType.Hello, flags: 0, seq: ext & 0xffff, timestamp: 0, ssrc: c.sessionId },
      ext,
      payload,
    );
  };

  it('forged HELLOs with the speaker’s ssrc from another address do not take its audio away', async () => {
    const { sock: attacker } = await raw();
    const forged = new Uint8Array(12 + HELLO_PAYLOAD_SIZE + 16);
    forged.set([0x40 | PacketType.Hello, 0, 0, 1, 0, 0, 0, 0], 0);
    new DataView(forged.buffer).setUint32(8, alice.sessionId);
    const rounds = 40;
    for (let i = 0; i < rounds; i++) {
      // ~1,500 forged HELLOs a second (the attack recorded ~900), and the speaker's 50 frames.
      for (let k = 0; k < 30; k++) {
        forged[3] = (i * 30 + k) & 0xff;
        send(attacker, forged);
      }
      await sleep(1); // the forged ones are on the wire first
      alice.sendPacket(alice.sealAudio(opusLike(i), i * FRAME_SAMPLES));
      await sleep(20);
    }
    await waitFor(() => heard.length === rounds, `all ${rounds} frames heard (got ${heard.length})`, 3000);
    expect(heard).toEqual(Array.from({ length: rounds }, (_, i) => (i * 7) & 0xff));
    expect(drops().rate_limited).toBe(0);
    expect(drops().source_rate_limited).toBeGreaterThan(0);
  });

  it('replays of the speaker’s packets from its own address do not take its audio away', async () => {
    const old = alice.sealAudio(opusLike(99), 0);
    alice.sendPacket(old);
    await waitFor(() => heard.length === 1, 'the first frame');
    const rounds = 40;
    for (let i = 1; i <= rounds; i++) {
      for (let k = 0; k < 30; k++) alice.sendPacket(old);
      alice.sendPacket(alice.sealAudio(opusLike(i), i * FRAME_SAMPLES));
      await sleep(20);
    }
    await waitFor(() => heard.length === rounds + 1, `all frames heard (got ${heard.length})`, 3000);
    expect(drops().rate_limited).toBe(0);
    expect(drops().replayed).toBe(rounds * 30);
  });

  it('a HELLO with a session’s own key from another address gets at most one reply there, no larger than itself, and media keeps going to the real client', async () => {
    const victim = await raw();
    const hello = helloOf(bob, new Uint8Array(HELLO_PAYLOAD_SIZE).fill(1));
    send(victim.sock, hello);
    await sleep(100);
    for (let i = 0; i < 50; i++) alice.sendPacket(alice.sealAudio(opusLike(i), i * FRAME_SAMPLES));
    await waitFor(() => heard.length === 50, `bob hears all 50 frames (got ${heard.length})`);
    await sleep(100);
    expect(victim.got.length).toBeLessThanOrEqual(1);
    for (const m of victim.got) expect(m.length).toBeLessThanOrEqual(hello.length);
    expect(t.server.plane.router.session(bob.sessionId)!.udp.kind).toBe('validating');

    // A HELLO too short to carry a cookie (the old 36 bytes) from a new address gets nothing at all.
    const short = helloOf(bob, new Uint8Array(HELLO_NONCE_SIZE).fill(2), 2);
    expect(short.length).toBe(36);
    send(victim.sock, short);
    await waitFor(() => drops().bad_hello === 1, 'bad_hello');
    await sleep(50);
    expect(victim.got.length).toBeLessThanOrEqual(1);
  });

  it('a client that really moved completes the validation and gets its media at the new address', async () => {
    const moved = await raw();
    const media = bob.joined!.media;
    const aead = createNodeAead(Buffer.from(media.key, 'base64'), media.cipher);
    const replies = new InboundStream();
    const open = (m: Buffer): { flags: number; payload: Uint8Array } => {
      const v = parsePacket(m);
      if (!v.ok) throw new Error(v.reason);
      const o = replies.open(aead, Direction.ServerToClient, v.value);
      if (!o.ok) throw new Error(o.reason);
      return { flags: v.value.header.flags, payload: o.value.payload };
    };
    // Step 1: a HELLO with an empty cookie gets a challenge, and nothing else reaches the new socket.
    const first = new Uint8Array(HELLO_PAYLOAD_SIZE);
    first.set([1, 2, 3, 4, 5, 6, 7, 8]);
    send(moved.sock, helloOf(bob, first, 1));
    await waitFor(() => moved.got.length === 1, 'the challenge');
    const challenge = open(moved.got[0]!);
    expect(challenge.flags & HELLO_ACK_VALIDATE).toBe(HELLO_ACK_VALIDATE);
    expect(challenge.payload.subarray(0, HELLO_NONCE_SIZE)).toEqual(first.subarray(0, HELLO_NONCE_SIZE));
    const cookie = challenge.payload.subarray(HELLO_NONCE_SIZE, HELLO_NONCE_SIZE + HELLO_COOKIE_SIZE);
    alice.sendPacket(alice.sealAudio(opusLike(1), 0));
    await waitFor(() => heard.length === 1, 'bob hears at its old socket meanwhile');
    expect(moved.got).toHaveLength(1);

    // Step 2: the cookie echoed: bound to the new address, acknowledged without the flag.
    const second = new Uint8Array(HELLO_PAYLOAD_SIZE);
    second.set([9, 9, 9, 9, 9, 9, 9, 9]);
    second.set(cookie, HELLO_NONCE_SIZE);
    send(moved.sock, helloOf(bob, second, 2));
    await waitFor(() => moved.got.length === 2, 'the acknowledgement');
    const ack = open(moved.got[1]!);
    expect(ack.flags & HELLO_ACK_VALIDATE).toBe(0);
    expect(ack.payload.subarray(0, HELLO_NONCE_SIZE)).toEqual(second.subarray(0, HELLO_NONCE_SIZE));
    expect(t.server.plane.router.session(bob.sessionId)!.udp).toMatchObject({
      kind: 'bound',
      port: moved.sock.address().port,
    });
    alice.sendPacket(alice.sealAudio(opusLike(2), FRAME_SAMPLES));
    await waitFor(() => moved.got.length === 3, 'audio at the new address');
    expect(heard).toHaveLength(1);
    expect(t.server.plane.stats.snapshot().validation.validated).toBeGreaterThanOrEqual(3);
  });
});
