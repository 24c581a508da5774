import { describe, expect, it } from 'vitest';
import { PresenceBatcher } from './presence.js';
import { GuestAdmission } from './admission.js';
import { DEFAULT_CONFIG } from '../config.js';

describe('PresenceBatcher', () => {
  const inChannel = (members: Map<string, number>) => (channelId: number, k: string) =>
    members.get(k) === channelId;

  it('lists each member once per flush with what changed since the previous one', () => {
    const b = new PresenceBatcher<string>();
    const where = new Map<string, number>([
      ['ann', 1],
      ['bob', 1],
    ]);
    b.joined(1, 'ann');
    b.changed(1, 'ann'); // joined and changed in one tick: joined, once
    b.joined(1, 'bob');
    expect(b.flush(() => 100, inChannel(where))).toEqual([
      { channelId: 1, joined: ['ann', 'bob'], changed: [], left: [], more: false },
    ]);
    for (let i = 0; i < 20; i++) b.changed(1, 'ann'); // twenty toggles: one entry
    where.set('cat', 1);
    b.joined(1, 'cat');
    where.delete('cat');
    b.left(1, 'cat'); // came and went within the tick: only `left` (a page may have shown it)
    where.delete('bob');
    b.left(1, 'bob');
    expect(b.flush(() => 100, inChannel(where))).toEqual([
      { channelId: 1, joined: [], changed: ['ann'], left: ['cat', 'bob'], more: false },
    ]);
    expect(b.pending).toBe(false);
    expect(b.flush(() => 100, inChannel(where))).toEqual([]);
  });

  it('a member who left and came back within a tick is `changed`; a move shows in both channels', () => {
    const b = new PresenceBatcher<string>();
    const where = new Map<string, number>([['ann', 2]]);
    b.left(1, 'ann');
    b.joined(2, 'ann');
    b.left(2, 'ann');
    b.joined(2, 'ann');
    expect(b.flush(() => 100, inChannel(where))).toEqual([
      { channelId: 1, joined: [], changed: [], left: ['ann'], more: false },
      { channelId: 2, joined: ['ann'], changed: [], left: [], more: false },
    ]);
    b.left(2, 'ann');
    b.joined(2, 'ann');
    expect(b.flush(() => 100, inChannel(where))[0]?.changed).toEqual(['ann']);
  });

  it('carries what does not fit to the next flushes, in order', () => {
    const b = new PresenceBatcher<string>();
    const where = new Map<string, number>();
    for (let i = 0; i < 250; i++) {
      where.set(`g${i}`, 7);
      b.joined(7, `g${i}`);
    }
    const sizes: number[] = [];
    const order: string[] = [];
    while (b.pending) {
      const [batch] = b.flush(() => 100, inChannel(where));
      sizes.push(batch!.joined.length);
      order.push(...batch!.joined);
      expect(batch!.more).toBe(b.pending);
    }
    expect(sizes).toEqual([100, 100, 50]);
    expect(order).toEqual(Array.from({ length: 250 }, (_, i) => `g${i}`));
    expect(b.size).toBe(0);
  });
});

describe('GuestAdmission', () => {
  const limits = (over: Partial<typeof DEFAULT_CONFIG.limits>) => ({ ...DEFAULT_CONFIG.limits, ...over });

  it('limits new guests per address (burst = the per-minute number, refilled over the minute) and server-wide', () => {
    let now = 0;
    const g = new GuestAdmission(
      limits({ guestsPerAddressPerMinute: 3, guestsPerSecond: 5, exemptAddresses: [] }),
      () => now,
    );
    expect([1, 2, 3, 4].map(() => g.admit('10.0.0.1'))).toEqual([null, null, null, 'address']);
    now += 20_000; // a third of a minute: one more
    expect([g.admit('10.0.0.1'), g.admit('10.0.0.1')]).toEqual([null, 'address']);
    // Server-wide: burst 2 × 5 = 10, full again after 20 s, one taken since.
    const others = Array.from({ length: 10 }, (_, i) => g.admit(`10.0.1.${i}`));
    expect(others).toEqual([...Array<null>(9).fill(null), 'server']);
    expect(g.refused).toEqual({ address: 2, server: 1 });
  });

  it('exempt addresses skip the per-address limit, not the server-wide one; the address map is bounded', () => {
    const now = 0;
    const g = new GuestAdmission(
      limits({ guestsPerAddressPerMinute: 1, guestsPerSecond: 1000, exemptAddresses: ['127.0.0.1'] }),
      () => now,
      10,
    );
    for (let i = 0; i < 50; i++) expect(g.admit('127.0.0.1')).toBeNull();
    for (let i = 0; i < 100; i++) g.admit(`192.0.2.${i}`);
    expect(g.trackedAddresses).toBe(10);
  });
});
