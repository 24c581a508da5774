import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  Direction,
  HELLO_ACK_VALIDATE,
  HELLO_NONCE_SIZE,
  HELLO_PAYLOAD_SIZE,
  InboundStream,
  OutboundStream,
  PacketType,
  parsePacket,
  sealPacket,
  type Cipher,
} from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import { ClientErrorCode, ParleyClientError } from './control.js';
import { MediaPath, type VoiceClientStats } from './media-path.js';
import type { MediaTransport } from './media-transport.js';

const key = randomBytes(32);
const keyB64 = key.toString('base64');
const SSRC = 4242;
const CIPHER: Cipher = 'chacha20-poly1305';

/** A fake UDP transport: records what is sent, can be answered, knows whether it was closed. */
class FakeUdp implements MediaTransport {
  readonly kind = 'udp' as const;
  readonly sent: Uint8Array[] = [];
  closed = false;
  receive: (p: Uint8Array) => void = () => undefined;
  send(p: Uint8Array): void {
    this.sent.push(p);
  }
  onPacket(fn: (p: Uint8Array) => void): void {
    this.receive = fn;
  }
  close(): void {
    this.closed = true;
  }
}

/** The HELLO's opened payload. */
function helloPayloadOf(hello: Uint8Array): Uint8Array {
  const v = parsePacket(hello);
  if (!v.ok) throw new Error('not a packet');
  const opened = new InboundStream().open(createNodeAead(key, CIPHER), Direction.ClientToServer, v.value);
  if (!opened.ok) throw new Error(`hello did not open: ${opened.reason}`);
  return opened.value.payload;
}

/**
 * The server's side of the handshake: opens a HELLO and seals the HELLO_ACK
 * echoing it — or, with `cookie`, a challenge: its nonce, then the cookie.
 */
function ackFor(hello: Uint8Array, replies = new OutboundStream(0), cookie?: Uint8Array): Uint8Array {
  const payload = helloPayloadOf(hello);
  if (cookie !== undefined) payload.set(cookie, HELLO_NONCE_SIZE);
  const { seq16, extSeq } = replies.next();
  return sealPacket(
    createNodeAead(key, CIPHER),
    Direction.ServerToClient,
    {
      type: PacketType.HelloAck,
      flags: cookie === undefined ? 0 : HELLO_ACK_VALIDATE,
      seq: seq16,
      timestamp: 0,
      ssrc: SSRC,
    },
    extSeq,
    payload,
  );
}

function newPath(udp: () => Promise<MediaTransport>, wsSent: Uint8Array[] = []) {
  const stats: VoiceClientStats = { packetsSent: 0, packetsReceived: 0, drops: {}, pathChallenges: 0 };
  const path = new MediaPath(
    {
      aead: createNodeAead,
      udp,
      host: '127.0.0.1',
      sendOverWs: (p) => wsSent.push(p),
      now: () => 0,
      udpHandshakeMs: 1000,
    },
    stats,
  );
  return { path, stats };
}

const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof ParleyClientError ? e.code : String(e)),
  );

describe('MediaPath (idle | handshaking | open | closed)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('opens over UDP once a HELLO_ACK echoes the nonce', async () => {
    const udp = new FakeUdp();
    const { path } = newPath(() => Promise.resolve(udp));
    expect(path.state).toBe('idle');
    const entered = path.enter(keyB64, SSRC, 9, CIPHER);
    await vi.advanceTimersByTimeAsync(0);
    expect(path.state).toBe('handshaking');
    expect(udp.sent).toHaveLength(1);
    udp.receive(ackFor(udp.sent[0]!));
    await entered;
    expect(path.state).toBe('open');
    expect(path.kind).toBe('udp');
    // The handshake's timers are gone; the keepalive's is left (below).
    expect(vi.getTimerCount()).toBe(1);
    path.send(path.sealAudio(Uint8Array.of(1, 2, 3), 0, 0));
    expect(udp.sent).toHaveLength(2);
    path.close();
    expect(udp.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps an open UDP path: a keepalive HELLO every 10 s, and a challenge to it answered at once (NAT rebinding)', async () => {
    const udp = new FakeUdp();
    const { path, stats } = newPath(() => Promise.resolve(udp));
    const replies = new OutboundStream(0);
    const entered = path.enter(keyB64, SSRC, 9, CIPHER);
    await vi.advanceTimersByTimeAsync(0);
    udp.receive(ackFor(udp.sent[0]!, replies));
    await entered;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(udp.sent).toHaveLength(2);
    const probe = helloPayloadOf(udp.sent[1]!);
    // A fresh nonce, no cookie.
    expect(probe.subarray(0, HELLO_NONCE_SIZE)).not.toEqual(
      helloPayloadOf(udp.sent[0]!).subarray(0, HELLO_NONCE_SIZE),
    );
    expect(probe.subarray(HELLO_NONCE_SIZE)).toEqual(new Uint8Array(HELLO_PAYLOAD_SIZE - HELLO_NONCE_SIZE));
    // Acknowledged from the validated address: nothing more to do.
    udp.receive(ackFor(udp.sent[1]!, replies));
    expect(udp.sent).toHaveLength(2);
    // A challenge to the handshake's old nonce is not ours to answer.
    const cookie = new Uint8Array(HELLO_PAYLOAD_SIZE - HELLO_NONCE_SIZE).fill(0xc0);
    udp.receive(ackFor(udp.sent[0]!, replies, cookie));
    expect(udp.sent).toHaveLength(2);
    // The next keepalive came from a new address (the NAT rebound): challenged, the cookie goes back at once.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(udp.sent).toHaveLength(3);
    udp.receive(ackFor(udp.sent[2]!, replies, cookie));
    expect(udp.sent).toHaveLength(4);
    const answer = helloPayloadOf(udp.sent[3]!);
    expect(answer.subarray(0, HELLO_NONCE_SIZE)).toEqual(
      helloPayloadOf(udp.sent[2]!).subarray(0, HELLO_NONCE_SIZE),
    );
    expect(answer.subarray(HELLO_NONCE_SIZE)).toEqual(cookie);
    expect(stats.pathChallenges).toBe(1);
    expect(path.state).toBe('open');
    path.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('completes the address validation: a challenge, the cookie echoed at once, then the ack', async () => {
    const udp = new FakeUdp();
    const { path } = newPath(() => Promise.resolve(udp));
    const entered = path.enter(keyB64, SSRC, 9, CIPHER);
    await vi.advanceTimersByTimeAsync(0);
    expect(helloPayloadOf(udp.sent[0]!)).toHaveLength(HELLO_PAYLOAD_SIZE);
    const replies = new OutboundStream(0);
    const cookie = new Uint8Array(HELLO_PAYLOAD_SIZE - HELLO_NONCE_SIZE).fill(0xc0);
    udp.receive(ackFor(udp.sent[0]!, replies, cookie));
    expect(path.state).toBe('handshaking');
    expect(udp.sent).toHaveLength(2);
    expect(helloPayloadOf(udp.sent[1]!).subarray(HELLO_NONCE_SIZE)).toEqual(cookie);
    udp.receive(ackFor(udp.sent[1]!, replies));
    await entered;
    expect([path.state, path.kind]).toEqual(['open', 'udp']);
    path.close();
  });

  it('close() during the handshake rejects enter, stops every timer and closes the socket', async () => {
    const udp = new FakeUdp();
    const wsSent: Uint8Array[] = [];
    const { path } = newPath(() => Promise.resolve(udp), wsSent);
    const entered = codeOf(path.enter(keyB64, SSRC, 9, CIPHER));
    await vi.advanceTimersByTimeAsync(250);
    expect(udp.sent.length).toBeGreaterThanOrEqual(2); // HELLO retried
    path.close();
    expect(await entered).toBe(ClientErrorCode.ConnectionClosed);
    expect(path.state).toBe('closed');
    expect(path.kind).toBeNull(); // never falls back to the WebSocket after close
    expect(udp.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    const before = udp.sent.length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(udp.sent).toHaveLength(before);
    path.send(Uint8Array.of(1));
    expect(wsSent).toHaveLength(0);
    expect(await codeOf(path.enter(keyB64, SSRC, 9, CIPHER))).toBe(ClientErrorCode.ConnectionClosed);
  });

  it('close() while the UDP socket is still opening closes it as soon as it exists', async () => {
    const udp = new FakeUdp();
    let deliver: (t: MediaTransport) => void = () => undefined;
    const { path } = newPath(() => new Promise((r) => (deliver = r)));
    const entered = codeOf(path.enter(keyB64, SSRC, 9, CIPHER));
    path.close();
    deliver(udp);
    expect(await entered).toBe(ClientErrorCode.ConnectionClosed);
    expect(udp.closed).toBe(true);
    expect(udp.sent).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('falls back to the WebSocket when UDP gets no answer, and releases the socket', async () => {
    const udp = new FakeUdp();
    const wsSent: Uint8Array[] = [];
    const { path } = newPath(() => Promise.resolve(udp), wsSent);
    const entered = path.enter(keyB64, SSRC, 9, CIPHER);
    await vi.advanceTimersByTimeAsync(1000);
    await entered;
    expect(path.kind).toBe('ws');
    expect(udp.closed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    path.send(path.sealAudio(Uint8Array.of(1), 0, 0));
    expect(wsSent).toHaveLength(1);
  });

  it('counts what it drops by typed reason', () => {
    const { path, stats } = newPath(() => Promise.resolve(new FakeUdp()));
    path.onPacket(Uint8Array.of(1, 2, 3));
    expect(stats.drops).toEqual({ no_key: 1 });
    const entered = codeOf(path.enter(keyB64, SSRC, 9, CIPHER));
    path.onPacket(Uint8Array.of(1, 2, 3));
    const other = sealPacket(
      createNodeAead(key, CIPHER),
      Direction.ServerToClient,
      { type: PacketType.HelloAck, flags: 0, seq: 1, timestamp: 0, ssrc: SSRC + 1 },
      1,
      Uint8Array.of(0),
    );
    path.onPacket(other);
    expect(path.dropped('bad_ssrc')).toBe(1);
    expect(stats.drops.no_key).toBe(1);
    expect(Object.keys(stats.drops).length).toBe(3);
    path.close();
    return entered;
  });
});
