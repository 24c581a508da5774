import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Direction, FRAME_SAMPLES, PacketType, sealPacket } from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import type { VoiceClient } from '@parley/client';
import { startServer, type TestServer } from '../helpers/server.js';
import { connectClient } from '../helpers/clients.js';
import { waitFor } from '../helpers/wait.js';

function opusLike(i: number): Uint8Array {
  return Uint8Array.from({ length: 30 }, (_, k) => (i * 7 + k) & 0xff);
}

describe('hostile media packets are dropped, counted, and disturb nobody', () => {
  let t: TestServer;
  let a: VoiceClient;
  let b: VoiceClient;
  let raw: Socket;
  let got: Uint8Array[];

  beforeEach(async () => {
    t = await startServer();
    a = await connectClient(t.info.url, 'alice');
    b = await connectClient(t.info.url, 'bob');
    await a.join('Lobby');
    await b.join('Lobby');
    got = [];
    b.onAudio((p) => got.push(new Uint8Array(p.payload)));
    raw = createSocket('udp4');
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', () => r()));
  });
  afterEach(async () => {
    a.close();
    b.close();
    raw.close();
    await t.close();
  });

  const sendRaw = (bytes: Uint8Array): void => raw.send(bytes, t.info.udpPort, '127.0.0.1');
  const drops = () => t.server.plane.stats.snapshot().drops;

  it('drops a valid packet replayed from another address (spoofed source)', async () => {
    const pkt = a.sealAudio(opusLike(1), 0);
    sendRaw(pkt);
    await waitFor(() => drops().spoofed_address === 1, 'spoofed_address');
    expect(got).toHaveLength(0);
  });

  it('drops a replayed packet from the right address', async () => {
    const pkt = a.sealAudio(opusLike(1), 0);
    a.sendPacket(pkt);
    a.sendPacket(pkt);
    await waitFor(() => drops().replayed === 1 && got.length === 1, 'one delivery and one replay');
  });

  it('drops a packet sealed with another session’s key', async () => {
    const keyOfB = Buffer.from(b.joined!.media.key, 'base64');
    const forged = sealPacket(
      createNodeAead(keyOfB),
      Direction.ClientToServer,
      { type: PacketType.Audio, flags: 0, seq: 5, timestamp: 0, ssrc: a.sessionId },
      5,
      opusLike(2),
    );
    a.sendPacket(forged);
    await waitFor(() => drops().auth_failed === 1, 'auth_failed');
    expect(got).toHaveLength(0);
  });

  it('drops truncated, oversized, garbage and unknown-session packets, then keeps serving', async () => {
    const pkt = a.sealAudio(opusLike(3), 0);
    a.sendPacket(pkt.subarray(0, 20)); // truncated: shorter than a header + tag
    a.sendPacket(pkt.subarray(0, pkt.length - 1)); // truncated tag: fails authentication
    sendRaw(new Uint8Array(1500).fill(0x41)); // oversized
    sendRaw(Uint8Array.of(0x7f, 0, 0, 0)); // garbage
    const unknown = Uint8Array.from(pkt);
    new DataView(unknown.buffer).setUint32(8, (a.sessionId ^ 0x1234) >>> 0);
    sendRaw(unknown);
    const badVersion = Uint8Array.from(pkt);
    badVersion[0] = 0xc1;
    sendRaw(badVersion);
    await waitFor(() => {
      const d = drops();
      return (
        d.too_short === 2 &&
        d.auth_failed === 1 &&
        d.too_long === 1 &&
        d.unknown_session === 1 &&
        d.bad_version === 1
      );
    }, 'all hostile packets counted');
    expect(got).toHaveLength(0);

    // The legitimate clients are still served, in order.
    for (let i = 10; i < 30; i++) a.sendPacket(a.sealAudio(opusLike(i), i * FRAME_SAMPLES));
    await waitFor(() => got.length === 20, 'legitimate audio after the attack');
    expect(got.map((p) => p[0])).toEqual(Array.from({ length: 20 }, (_, k) => ((10 + k) * 7) & 0xff));
  });

  it('rate-limits a flooding session without affecting the others', async () => {
    const c = await connectClient(t.info.url, 'carol');
    await c.join('Lobby');
    const gotA: Uint8Array[] = [];
    a.onAudio((p) => gotA.push(p.payload));
    const limit = t.server.config.media.burstPackets;
    for (let i = 0; i < limit + 200; i++) c.sendPacket(c.sealAudio(opusLike(i), i * FRAME_SAMPLES));
    await waitFor(() => drops().rate_limited >= 150, 'rate limited drops');
    const passed = gotA.length;
    expect(passed).toBeLessThan(limit + 50);
    for (let i = 0; i < 10; i++) b.sendPacket(b.sealAudio(opusLike(i), i * FRAME_SAMPLES));
    await waitFor(() => gotA.length === passed + 10, 'bob still heard by alice');
    c.close();
  });
});
