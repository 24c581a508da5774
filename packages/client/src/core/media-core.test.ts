import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Direction, PacketType, sealPacket, parsePacket, InboundStream } from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import { MediaCore } from './media-core.js';

const key = randomBytes(32);
const aead = createNodeAead(key, 'chacha20-poly1305');
const ME = 7;

const fromServer = (ssrc: number, seq: number, type: PacketType = PacketType.Audio): Uint8Array =>
  sealPacket(
    aead,
    Direction.ServerToClient,
    { type, flags: 0, seq, timestamp: seq * 960, ssrc },
    seq,
    Uint8Array.of(seq & 0xff),
  );

describe('MediaCore', () => {
  it('opens audio per speaker, flags reordered packets as late and refuses replays', () => {
    const core = new MediaCore();
    core.setKey(aead, ME);
    expect(core.receive(fromServer(100, 5))).toMatchObject({ kind: 'audio', extSeq: 5, late: false });
    expect(core.receive(fromServer(100, 7)).late).toBe(false);
    const r = core.receive(fromServer(100, 6));
    expect(r).toMatchObject({ kind: 'audio', extSeq: 6, late: true });
    expect(r.header.ssrc).toBe(100);
    expect(Array.from(r.payload)).toEqual([6]);
    expect(core.receive(fromServer(100, 6))).toMatchObject({ kind: 'dropped', reason: 'replayed' });
    expect(core.drops).toEqual({ replayed: 1 });
  });

  it('tracks at most maxStreams speakers, and forgets one that left', () => {
    const core = new MediaCore({ maxStreams: 3 });
    core.setKey(aead, ME);
    for (const ssrc of [1, 2, 3]) expect(core.receive(fromServer(ssrc, 1)).kind).toBe('audio');
    expect(core.receive(fromServer(4, 1))).toMatchObject({ kind: 'dropped', reason: 'too_many_streams' });
    expect(core.streamCount).toBe(3);
    core.forget(2);
    expect(core.receive(fromServer(4, 1)).kind).toBe('audio');
    expect(core.streamCount).toBe(3);
  });

  it('takes replies only for its own session, and never a type the server does not send', () => {
    const core = new MediaCore();
    core.setKey(aead, ME);
    expect(core.receive(fromServer(ME, 1, PacketType.HelloAck)).kind).toBe('hello_ack');
    expect(core.receive(fromServer(ME, 2, PacketType.Pong)).kind).toBe('pong');
    expect(core.receive(fromServer(ME + 1, 3, PacketType.Pong)).reason).toBe('bad_ssrc');
    expect(core.receive(fromServer(ME, 4, PacketType.Hello)).reason).toBe('unexpected_type');
    const forged = fromServer(ME, 5, PacketType.Pong);
    forged[forged.length - 1]! ^= 0x80;
    expect(core.receive(forged).reason).toBe('auth_failed');
    expect(core.drops).toEqual({ bad_ssrc: 1, unexpected_type: 1, auth_failed: 1 });
  });

  it('seals audio and control packets the server opens, with only the client audio flags', () => {
    const core = new MediaCore();
    expect(core.sealAudio(Uint8Array.of(1), 0, 0)).toBeNull();
    core.setKey(aead, ME);
    const pkt = core.sealAudio(Uint8Array.of(9, 8), 0x1_0000_0005, 0xff);
    const v = parsePacket(pkt!);
    if (!v.ok) throw new Error('not a packet');
    expect(v.value.header).toMatchObject({ type: PacketType.Audio, ssrc: ME, timestamp: 5, flags: 0x3c });
    const opened = new InboundStream().open(aead, Direction.ClientToServer, v.value);
    expect(opened.ok && Array.from(opened.value.payload)).toEqual([9, 8]);
    const hello = parsePacket(core.sealControl(PacketType.Hello, Uint8Array.of(1, 2))!);
    expect(hello.ok && hello.value.header.type).toBe(PacketType.Hello);
  });
});
