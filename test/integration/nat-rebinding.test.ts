/**
 * NAT rebinding (docs/protocol.md, "Keepalive and NAT rebinding"): a
 * client's UDP traffic goes through a proxy that, mid-call, gives it a new
 * source port, as a NAT does when its mapping expires. The server drops
 * the client's audio from the unvalidated address; the SDK's keepalive
 * HELLO from there is challenged, the SDK echoes the cookie, and the
 * session moves — both ways: the client is heard again, and hears again.
 */
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FRAME_SAMPLES } from '@parley/protocol';
import { createNodeAead, NODE_CIPHERS } from '@parley/protocol/node';
import { VoiceClient, type WebSocketLike } from '@parley/client';
import { openUdpTransport } from '@parley/client/node';
import { NetemProxy } from '@parley/tools';
import { connectClient } from '../helpers/clients.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const KEEPALIVE_MS = 250;

describe('NAT rebinding', () => {
  let t: TestServer;
  let proxy: NetemProxy;
  let roamer: VoiceClient;
  let peer: VoiceClient;
  let clock: ReturnType<typeof setInterval> | undefined;

  beforeEach(async () => {
    t = await startServer();
    proxy = await NetemProxy.open({ target: { host: '127.0.0.1', port: t.info.udpPort } });
    roamer = await VoiceClient.connect({
      server: t.info.url,
      name: 'roamer',
      webSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
      aead: createNodeAead,
      ciphers: NODE_CIPHERS,
      // Every UDP packet of this client goes through the proxy ("the NAT").
      udp: () => openUdpTransport('127.0.0.1', proxy.address.port),
      udpKeepaliveMs: KEEPALIVE_MS,
    });
    peer = await connectClient(t.info.url, 'peer');
    await roamer.join('Lobby');
    await peer.join('Lobby');
    expect(roamer.transportKind).toBe('udp');
  });
  afterEach(async () => {
    if (clock !== undefined) clearInterval(clock);
    roamer.close();
    peer.close();
    await proxy.close();
    await t.close();
  });

  it('moves the session to the new address after a rebinding, both ways', async () => {
    // Both talk all the time: frame i carries i in its first byte.
    let i = 0;
    const frame = new Uint8Array(40);
    clock = setInterval(() => {
      frame[0] = i & 0xff;
      roamer.sendPacket(roamer.sealAudio(frame, i * FRAME_SAMPLES));
      peer.sendPacket(peer.sealAudio(frame, i * FRAME_SAMPLES));
      i++;
    }, 20);
    const heardByPeer: number[] = [];
    const heardByRoamer: number[] = [];
    peer.onAudio(() => heardByPeer.push(performance.now()));
    roamer.onAudio(() => heardByRoamer.push(performance.now()));
    await waitFor(() => heardByPeer.length >= 10 && heardByRoamer.length >= 10, 'audio both ways');

    const spoofedBefore = t.server.plane.stats.snapshot().drops.spoofed_address ?? 0;
    expect(proxy.rebind()).toBe(1);
    const rebound = performance.now();
    // The old mapping is gone: the roamer's audio arrives from an unvalidated port and is dropped…
    await waitFor(
      () => (t.server.plane.stats.snapshot().drops.spoofed_address ?? 0) > spoofedBefore,
      'audio from the new address dropped until it is validated',
    );
    // …until its keepalive HELLO is challenged and the cookie comes back.
    await waitFor(() => roamer.stats.pathChallenges === 1, 'the roamer answered a challenge');
    const heardAfter = (xs: number[]): number => xs.filter((x) => x > rebound).length;
    const p0 = heardAfter(heardByPeer);
    const r0 = heardAfter(heardByRoamer);
    await waitFor(
      () => heardAfter(heardByPeer) >= p0 + 20 && heardAfter(heardByRoamer) >= r0 + 20,
      'audio both ways again, at the new address',
    );
    // The silence lasted about a keepalive period, not for ever.
    const resumed = heardByPeer.find((x) => x > rebound)! - rebound;
    expect(resumed).toBeLessThan(KEEPALIVE_MS + 2000);
    expect(t.server.plane.stats.snapshot().validation.validated).toBeGreaterThanOrEqual(3);
  });

  it('on an unchanged address, keepalives are acknowledged: no challenge, no move', async () => {
    const challengesBefore = t.server.plane.stats.snapshot().validation.challenges;
    // Nobody talks: every packet through the proxy now is a keepalive HELLO or its answer.
    const up = proxy.up.received;
    const down = proxy.down.received;
    await waitFor(
      () => proxy.up.received >= up + 4 && proxy.down.received >= down + 4,
      'four keepalives answered',
    );
    expect(roamer.stats.pathChallenges).toBe(0);
    expect(t.server.plane.stats.snapshot().validation.challenges).toBe(challengesBefore);
  });
});
