/**
 * Receiver reports (docs/protocol.md §2.6) end to end: listeners report how
 * a speaker reaches them, the speaker gets its listeners' aggregate as a
 * `quality` event, and moderators read the scored rows from
 * GET /api/v1/quality with filters and cursor pagination.
 */
import { describe, expect, it } from 'vitest';
import { streamScore, type ReportStream } from '@parley/protocol';
import { useServerWithClients } from '../helpers/clients.js';
import { TEST_ADMIN_PASSWORD } from '../helpers/server.js';
import { clientEvent } from '../helpers/ws.js';
import { waitFor } from '../helpers/wait.js';

function about(ssrc: number, lost: number): ReportStream {
  return {
    ssrc,
    expected: 250,
    lost,
    late: 0,
    concealed: lost,
    recoveredFec: 0,
    recoveredRed: 0,
    accelerated: 0,
    stretched: 0,
    jitterMs: 4,
    delayMs: 40,
  };
}

interface Row {
  speaker: { ssrc: number; name: string };
  listener: { ssrc: number; name: string };
  lossPct: number;
  mos: number;
}

describe('receiver reports', () => {
  const fx = useServerWithClients();

  it('reach the speaker as an aggregate and moderators as scored rows, and go when people leave', async () => {
    const t = fx.t;
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => fx.connect(n)));
    for (const c of [alice!, bob!, carol!]) await c.join('Lobby');
    const quality = clientEvent(alice!, 'quality');
    bob!.sendReport({ intervalMs: 5000, rttMs: 10, streams: [about(alice!.sessionId, 0)] });
    carol!.sendReport({ intervalMs: 5000, streams: [about(alice!.sessionId, 25)] });
    const agg = await quality;
    expect(agg.listeners).toBe(2);
    expect(agg.lossPct.max).toBeCloseTo(10, 6);
    expect(agg.lossPct.mean).toBeCloseTo(5, 6);
    expect(agg.mos.min).toBeCloseTo(streamScore({ ...about(0, 25) }).mos, 6);

    const { token } = await t.server.services.auth.login('admin', TEST_ADMIN_PASSWORD, null);
    const get = async (query: string): Promise<{ items: Row[]; nextCursor: string | null }> => {
      const res = await fetch(`${t.info.url}/api/v1/quality${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { items: Row[]; nextCursor: string | null };
    };
    // Worst first, one per page.
    const first = await get('?limit=1');
    expect(first.items.map((r) => [r.listener.name, r.speaker.name])).toEqual([['carol', 'alice']]);
    expect(first.nextCursor).not.toBeNull();
    const second = await get(`?limit=1&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(second.items.map((r) => r.listener.name)).toEqual(['bob']);
    expect(second.nextCursor).toBeNull();
    // Filters.
    expect((await get(`?listener=${bob!.sessionId}`)).items).toHaveLength(1);
    expect((await get(`?speaker=${bob!.sessionId}`)).items).toHaveLength(0);
    const poor = await get(`?maxMos=${(agg.mos.min + 0.001).toFixed(3)}`);
    expect(poor.items.map((r) => r.listener.name)).toEqual(['carol']);
    // Not for members.
    const member = await t.server.services.auth.register('dora', 'dora-password', null);
    const denied = await fetch(`${t.info.url}/api/v1/quality`, {
      headers: { authorization: `Bearer ${member.token}` },
    });
    expect(denied.status).toBe(403);

    // Carol leaves: her entries go; alice's aggregate is bob's alone.
    await carol!.leave();
    expect((await get('')).items.map((r) => r.listener.name)).toEqual(['bob']);
    expect(t.server.hub.quality.aggregate(alice!.sessionId, performance.now())?.listeners).toBe(1);
  });

  it('refuses a second report within a second, and stores nothing about strangers or oneself', async () => {
    const t = fx.t;
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => fx.connect(n)));
    await alice!.join('Lobby');
    await bob!.join('Lobby');
    const errors: string[] = [];
    bob!.onEvent((m) => {
      if (m.type === 'error') errors.push(m.code);
    });
    bob!.sendReport({
      intervalMs: 2000,
      streams: [about(alice!.sessionId, 0), about(bob!.sessionId, 0), about(0x7fff_fff0, 0)],
    });
    bob!.sendReport({ intervalMs: 2000, streams: [about(alice!.sessionId, 50)] });
    await waitFor(() => errors.length === 1, 'the second report refused');
    expect(errors).toEqual(['PARLEY_ERR_RATE_LIMITED']);
    const rows = t.server.hub.quality.entries({}, performance.now());
    expect(rows.map((e) => [e.listener, e.speaker, e.figures.lost])).toEqual([
      [bob!.sessionId, alice!.sessionId, 0],
    ]);
  });
});
