import { checkServerMetrics, FRAME_SAMPLES } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD } from '../helpers/server.js';
import { useServerWithClients } from '../helpers/clients.js';
import { waitFor } from '../helpers/wait.js';

describe('GET /api/v1/metrics', () => {
  const fx = useServerWithClients();

  it('agrees with the traffic the relay carried: forwarding times, packets in/out, process figures', async () => {
    const t = fx.t;
    const a = await fx.connect('alice');
    const b = await fx.connect('bob');
    const c = await fx.connect('carol');
    for (const x of [a, b, c]) await x.join('Lobby');
    let got = 0;
    b.onAudio(() => got++);
    const N = 40;
    for (let i = 0; i < N; i++) a.sendPacket(a.sealAudio(new Uint8Array(30).fill(i), i * FRAME_SAMPLES));
    await waitFor(() => got === N, 'bob to receive every packet');
    // The joins' presence batch goes out at the next presence tick.
    await waitFor(() => t.server.hub.controlStats.presenceBatches > 0, 'a presence batch');

    const { token } = await t.server.services.auth.login('admin', TEST_ADMIN_PASSWORD, null);
    const res = await fetch(`${t.info.url}/api/v1/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    // The body is what @parley/protocol's metrics schema says (the load generator checks it too).
    const checked = checkServerMetrics(await res.json());
    if (!checked.ok) expect.fail(checked.reason);
    const m = checked.value;
    expect(m.sessions).toBe(3);
    expect(m.media.audioIn).toBe(N);
    // One forwarding-time sample per routed packet, each fanned out to two listeners.
    expect(m.media.forwardUs.count).toBe(N);
    expect(m.media.forwardUs.buckets.at(-1)?.count).toBe(N);
    expect(m.media.forwardUs.p50Us).toBeGreaterThan(0);
    expect(m.media.forwardUs.p99Us).toBeGreaterThanOrEqual(m.media.forwardUs.p50Us);
    expect(m.media.packetsOut).toBeGreaterThanOrEqual(2 * N);
    expect(m.process.cpuUserUs).toBeGreaterThan(0);
    expect(m.process.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    // Three joins into Lobby: presence batches went out, each copied to the members of the time.
    expect(m.control.presenceBatches).toBeGreaterThan(0);
    expect(m.control.presenceCopies).toBeGreaterThanOrEqual(m.control.presenceBatches);
    expect(m.control.presenceCopies).toBeLessThanOrEqual(3 * m.control.presenceBatches);
    expect(m.control.tooSlow).toBe(0);

    const asMember = await t.server.services.auth.register('dora', 'dora-password', null);
    const denied = await fetch(`${t.info.url}/api/v1/metrics`, {
      headers: { authorization: `Bearer ${asMember.token}` },
    });
    expect(denied.status).toBe(403);
  });
});
