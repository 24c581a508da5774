/**
 * RTT on the media path: `ping()` seals a PING carrying our clock (µs), the
 * server's PONG echoes it, `rttMs` is now − that clock. Over the WebSocket
 * path here (no UDP): the same packets, sealed and opened by MediaCore.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  Direction,
  InboundStream,
  OutboundStream,
  PacketType,
  parsePacket,
  sealPacket,
  type Cipher,
} from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import { MediaPath, type VoiceClientStats } from './media-path.js';

const key = randomBytes(32);
const CIPHER: Cipher = 'chacha20-poly1305';
const SSRC = 77;

/** The server's answer to a PING: its payload echoed, then a server clock; for `ssrc`. */
function pongFor(ping: Uint8Array, replies: OutboundStream, ssrc = SSRC): Uint8Array {
  const v = parsePacket(ping);
  if (!v.ok) throw new Error('not a packet');
  expect(v.value.header.type).toBe(PacketType.Ping);
  const opened = new InboundStream().open(createNodeAead(key, CIPHER), Direction.ClientToServer, v.value);
  if (!opened.ok) throw new Error(`ping did not open: ${opened.reason}`);
  const payload = new Uint8Array(16);
  payload.set(opened.value.payload.subarray(0, 8));
  const { seq16, extSeq } = replies.next();
  return sealPacket(
    createNodeAead(key, CIPHER),
    Direction.ServerToClient,
    { type: PacketType.Pong, flags: 0, seq: seq16, timestamp: 0, ssrc },
    extSeq,
    payload,
  );
}

describe('MediaPath.ping / rttMs', () => {
  it('measures the round trip from the echoed clock, ignores PONGs for another session', async () => {
    let now = 1000;
    const sent: Uint8Array[] = [];
    const stats: VoiceClientStats = { packetsSent: 0, packetsReceived: 0, drops: {} };
    const path = new MediaPath(
      { aead: createNodeAead, host: '127.0.0.1', sendOverWs: (p) => sent.push(p), now: () => now },
      stats,
    );
    path.ping(); // not in a channel yet: nothing to seal with
    expect(sent).toHaveLength(0);
    await path.enter(key.toString('base64'), SSRC, 0, CIPHER);
    expect(path.rttMs).toBeNull();

    path.ping();
    expect(sent).toHaveLength(1);
    const replies = new OutboundStream(0);
    now += 37.5;
    path.onPacket(pongFor(sent[0]!, replies));
    expect(path.rttMs).toBeCloseTo(37.5, 3);

    path.ping();
    now += 5;
    path.onPacket(pongFor(sent[1]!, replies, SSRC + 1)); // not ours: dropped, counted
    expect(path.rttMs).toBeCloseTo(37.5, 3);
    expect(path.dropped('bad_ssrc')).toBe(1);
    path.close();
    path.ping(); // closed: nothing
    expect(sent).toHaveLength(2);
  });
});
