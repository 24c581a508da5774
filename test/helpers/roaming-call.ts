/**
 * A call for the tests of a session's UDP path (NAT rebinding, attacks on
 * it): a fresh server for each test of the enclosing `describe`, a
 * `roamer` whose UDP goes through a path the test puts in front of the
 * server's voice port (the impairment proxy as a NAT, an attacker's relay),
 * and a `peer` connected directly, both in the Lobby over UDP. All of it,
 * and the talking clock, is closed after each test.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { FRAME_SAMPLES } from '@parley/protocol';
import type { VoiceClient } from '@parley/client';
import { openUdpTransport } from '@parley/client/node';
import { connectClient } from './clients.js';
import { startServer, type TestServer } from './server.js';

/** What a test puts between the roamer and the server. */
export interface RoamerPath {
  /** Where the roamer sends its UDP. */
  readonly clientPort: number;
  close(): Promise<void> | void;
}

export interface RoamingCall<P extends RoamerPath> {
  readonly t: TestServer;
  readonly path: P;
  readonly roamer: VoiceClient;
  readonly peer: VoiceClient;
  /**
   * The peer (and the roamer, if `roamerTalks`) send a frame every 20 ms
   * until the test ends, frame i carrying i in its first byte; returns the
   * times (`performance.now()`) each heard a frame.
   */
  talk(roamerTalks: boolean): { heardByPeer: number[]; heardByRoamer: number[] };
}

export function useRoamingCall<P extends RoamerPath>(
  open: (serverUdpPort: number) => Promise<P>,
  keepaliveMs: number,
): RoamingCall<P> {
  let current: { t: TestServer; path: P; roamer: VoiceClient; peer: VoiceClient } | undefined;
  let clock: ReturnType<typeof setInterval> | undefined;

  beforeEach(async () => {
    const t = await startServer();
    const path = await open(t.info.udpPort);
    const roamer = await connectClient(t.info.url, 'roamer', 'udp', undefined, {
      udp: () => openUdpTransport('127.0.0.1', path.clientPort),
      udpKeepaliveMs: keepaliveMs,
    });
    const peer = await connectClient(t.info.url, 'peer');
    current = { t, path, roamer, peer };
    await roamer.join('Lobby');
    await peer.join('Lobby');
    expect(roamer.transportKind).toBe('udp');
  });
  afterEach(async () => {
    if (clock !== undefined) clearInterval(clock);
    clock = undefined;
    const c = current;
    current = undefined;
    if (c === undefined) return;
    c.roamer.close();
    c.peer.close();
    await c.path.close();
    await c.t.close();
  });

  const now = (): NonNullable<typeof current> => {
    if (current === undefined) throw new Error('useRoamingCall: no call outside a test');
    return current;
  };
  return {
    get t() {
      return now().t;
    },
    get path() {
      return now().path;
    },
    get roamer() {
      return now().roamer;
    },
    get peer() {
      return now().peer;
    },
    talk(roamerTalks) {
      const { roamer, peer } = now();
      let i = 0;
      const frame = new Uint8Array(40);
      clock = setInterval(() => {
        frame[0] = i & 0xff;
        if (roamerTalks) roamer.sendPacket(roamer.sealAudio(frame, i * FRAME_SAMPLES));
        peer.sendPacket(peer.sealAudio(frame, i * FRAME_SAMPLES));
        i++;
      }, 20);
      const heardByPeer: number[] = [];
      const heardByRoamer: number[] = [];
      peer.onAudio(() => heardByPeer.push(performance.now()));
      roamer.onAudio(() => heardByRoamer.push(performance.now()));
      return { heardByPeer, heardByRoamer };
    },
  };
}
