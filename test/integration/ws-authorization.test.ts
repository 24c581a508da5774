/**
 * The WebSocket authorization matrix: every client → server action × guest /
 * member / moderator / admin, generated from ws-action-table.ts, against a
 * real server (SQLite: what a WebSocket action may do does not depend on the
 * database). Each cell is a fresh raw socket of a fresh account (or guest)
 * with fresh targets; the answer must be exactly the one in the table, and
 * the row then checks what it did — or that a refusal changed nothing.
 */
import { describe, expect, it } from 'vitest';
import type { HelloMessage } from '@parley/protocol';
import { SYSTEM } from '../../packages/server/src/services/index.js';
import { account, uniqueName } from '../helpers/api.js';
import { useWsServer, type Json, type Who } from '../helpers/ws.js';
import { ACTIONS, CLIENT_TYPES, ROLES, type Cell, type Role, type Target } from './ws-action-table.js';

describe('WebSocket authorization matrix [sqlite]', () => {
  const f = useWsServer({ shared: true });

  it('has a row for every client message type, and a client message type for every row', () => {
    expect(CLIENT_TYPES.length).toBeGreaterThanOrEqual(12);
    const covered = new Set<string>(ACTIONS.map((a) => a.type));
    expect(
      CLIENT_TYPES.filter((t) => !covered.has(t)),
      'client message types missing from ws-action-table.ts',
    ).toEqual([]);
    expect(
      [...covered].filter((t) => !(CLIENT_TYPES as readonly string[]).includes(t)),
      'rows for no client message type',
    ).toEqual([]);
    const names = ACTIONS.map((a) => `${a.type}: ${a.name}`);
    expect(new Set(names).size, 'row names are unique').toBe(names.length);
  });

  const hello = (who: Who, extra: Partial<HelloMessage> = {}): HelloMessage => ({
    type: 'hello',
    v: 1,
    ...who,
    ...extra,
  });

  /** A fresh identity of `role`: a guest nickname, or a fresh account's token. */
  async function identity(role: Role): Promise<{ who: Who; userId: number | null }> {
    if (role === 'guest') return { who: { name: uniqueName('guest') }, userId: null };
    const a = await account(f.server, role);
    return { who: { token: a.token }, userId: a.id };
  }

  describe.each(ACTIONS.map((a) => [`${a.type}: ${a.name}`, a] as const))('%s', (_, row) => {
    it.each(ROLES)('%s', async (role) => {
      const server = f.server;
      const { who } = await identity(role);
      const me = await f.probe();
      let ssrc = 0;
      if (row.noHello !== true) {
        const welcome = await me.request(hello(who));
        expect(welcome).toMatchObject({ type: 'welcome', user: { role } });
        ssrc = welcome.sessionId as number;
      }
      const channel: Cell['channel'] = (fields = {}) =>
        server.services.channels.create(SYSTEM, { name: uniqueName('ch'), ...fields });
      const cell: Cell = {
        role,
        server,
        me,
        ssrc,
        who,
        hello,
        async enter(channelId) {
          expect(await me.request({ type: 'join', channel: channelId })).toMatchObject({ type: 'joined' });
        },
        channel,
        async target(targetRole, channelId): Promise<Target> {
          const where = channelId ?? (await channel()).id;
          const id = await identity(targetRole);
          const s = await f.probe(id.who, where);
          return { ...s, channelId: where, userId: id.userId };
        },
        async denyAll(channelId, perm) {
          for (const r of ['guest', 'member', 'moderator'] as const)
            await server.services.channels.setOverride(SYSTEM, channelId, r, 0, perm);
        },
        where(s) {
          const p = server.hub.peerBySsrc(s);
          return p === undefined ? undefined : p.media.channelId;
        },
      };

      const { msg, check } = await row.prepare(cell);
      expect(msg.type).toBe(row.type);
      const expected = row.expect[role];
      const ref = `cell-${row.type}-${role}`;
      const from = me.messages.length;
      me.send({ ...msg, ref });
      // Every answer echoes the ref.
      const answer = await me.next((m: Json) => m.ref === ref, `the answer to ${row.type}`, from);

      const refused = expected.startsWith('PARLEY_ERR_');
      if (refused) {
        expect(answer).toMatchObject({ type: 'error', code: expected, ref });
        expect(answer.message).toEqual(expect.any(String));
      } else {
        expect(answer, JSON.stringify(answer)).toMatchObject({ type: expected });
        expect(answer.ref).toBe(ref);
      }
      // Numbered after welcome; welcome and anything before it are not.
      if (row.noHello === true) expect(answer.seq).toBeUndefined();
      else expect(answer.seq).toEqual(expect.any(Number));
      await check?.(!refused, answer);
    });
  });
});
