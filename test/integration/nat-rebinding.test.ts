/**
 * NAT rebinding (docs/protocol.md, "Keepalive and NAT rebinding"): a
 * client's UDP traffic goes through a proxy that, mid-call, gives it a new
 * source port, as a NAT does when its mapping expires. The server drops
 * the client's audio from the unvalidated address; the SDK's keepalive
 * HELLO from there is challenged, the SDK echoes the cookie, and the
 * session moves — both ways: the client is heard again, and hears again.
 */
import { describe, expect, it } from 'vitest';
import { NetemProxy } from '@parley/tools';
import { useRoamingCall } from '../helpers/roaming-call.js';
import { waitFor } from '../helpers/wait.js';

const KEEPALIVE_MS = 250;

/** The impairment proxy as the roamer's NAT: every UDP packet of the roamer goes through it. */
async function nat(serverUdpPort: number): Promise<NetemProxy & { clientPort: number }> {
  const proxy = await NetemProxy.open({ target: { host: '127.0.0.1', port: serverUdpPort } });
  return Object.assign(proxy, { clientPort: proxy.address.port });
}

describe('NAT rebinding', () => {
  const call = useRoamingCall(nat, KEEPALIVE_MS);

  it('moves the session to the new address after a rebinding, both ways', async () => {
    const { t, path: proxy, roamer } = call;
    const { heardByPeer, heardByRoamer } = call.talk(true);
    await waitFor(() => heardByPeer.length >= 10 && heardByRoamer.length >= 10, 'audio both ways');

    const spoofedBefore = t.server.plane.stats.snapshot().drops.spoofed_address ?? 0;
    const session = t.server.plane.router.session(roamer.sessionId)!;
    const oldPort = session.udpTarget!.port;
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
    // For good: the old address, kept as the previous one, never spoke again, so nothing moved back.
    expect(session.udp).toMatchObject({ kind: 'bound', previous: { binding: { port: oldPort } } });
    expect(session.udpTarget!.port).not.toBe(oldPort);
    expect(t.server.plane.stats.snapshot().validation).toMatchObject({ reverted: 0, reverted_by_copy: 0 });
  });

  it('on an unchanged address, keepalives are acknowledged: no challenge, no move', async () => {
    const { t, path: proxy, roamer } = call;
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
