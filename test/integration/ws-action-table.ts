/**
 * THE table of the WebSocket actions: every client → server message (one or
 * more rows per `type`) × the role of the session that sends it → the answer
 * expected (docs/protocol.md §2.2, docs/control-plane.md "Roles and
 * permissions"). ws-authorization.test.ts is generated from it, and fails
 * when the protocol has a client message type with no row here.
 *
 * Every cell makes its own targets (a fresh channel, a fresh session to
 * kick…), so a refusal is a refusal and not a missing target, and checks
 * that a success did what it says and a refusal changed nothing.
 */
import { expect } from 'vitest';
import {
  ClientMessageSchema,
  ErrorCode,
  type ClientMessage,
  type HelloMessage,
  type Member,
} from '@parley/protocol';
import type { ParleyServer } from '@parley/server';
import { Perm } from '../../packages/server/src/auth/permissions.js';
import type { ChannelRow } from '../../packages/server/src/db/channels.js';
import type { ChannelCreate } from '../../packages/server/src/services/channels.js';
import { SYSTEM } from '../../packages/server/src/services/index.js';
import { uniqueName } from '../helpers/api.js';
import { isPresence, type Json, type ProbeSession, type Who, type WsProbe } from '../helpers/ws.js';

export const ROLES = ['guest', 'member', 'moderator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type ClientType = ClientMessage['type'];

/** The `type` of every client → server message, read from the protocol's own union. */
export const CLIENT_TYPES: readonly ClientType[] = ClientMessageSchema.anyOf.map(
  (s) => s.properties.type.const,
);

/** What the server answers: a message type, or an `error` with this code. */
export type Answer = 'welcome' | 'joined' | 'left' | 'members' | 'pong' | 'chat' | 'ok' | ErrorCode;

/** A live session made for one cell. */
export interface Target extends ProbeSession {
  channelId: number;
  userId: number | null;
}

/** What a row's `prepare` may use: one cell, one caller of `role`. */
export interface Cell {
  role: Role;
  server: ParleyServer;
  /** The caller's socket: it has said hello as `role`, unless the row is `noHello`. */
  me: WsProbe;
  /** The caller's session id (0 while it has not said hello). */
  ssrc: number;
  /** How the caller says hello: a guest nickname, or a fresh account's token. */
  who: Who;
  /** A hello for `who` with the role's credentials (the caller's, or a fresh one's). */
  hello(who: Who, extra?: Partial<HelloMessage>): HelloMessage;
  /** The caller joins a channel (must succeed). */
  enter(channelId: number): Promise<void>;
  /** A fresh channel, made by the server. */
  channel(fields?: Omit<ChannelCreate, 'name'>): Promise<ChannelRow>;
  /** A fresh live session of `role` (a guest or a fresh account) in `channelId`, or in a fresh channel. */
  target(role: Role, channelId?: number): Promise<Target>;
  /** Denies `perm` in a channel to every role but admin (admins cannot be denied anything). */
  denyAll(channelId: number, perm: number): Promise<void>;
  /** Where a session is, for the hub: a channel id, null (in none), undefined (no such session). */
  where(ssrc: number): number | null | undefined;
}

export interface Prepared {
  msg: ClientMessage;
  /** After the answer: that the action took effect (`done`), or that nothing changed. */
  check?: (done: boolean, answer: Json) => Promise<void> | void;
}

export interface ActionCase {
  type: ClientType;
  name: string;
  expect: Readonly<Record<Role, Answer>>;
  /** The caller stays `connected` (no hello): for the hello rows. */
  noHello?: boolean;
  prepare: (c: Cell) => Promise<Prepared>;
}

const who = (guest: Answer, member: Answer, moderator: Answer, admin: Answer): Record<Role, Answer> => ({
  guest,
  member,
  moderator,
  admin,
});
const all = (a: Answer): Record<Role, Answer> => who(a, a, a, a);
const E = ErrorCode;
const F = E.Forbidden;

/** An ssrc no session has. */
export const NO_SSRC = 4_294_967_000;
/** A channel id no channel has. */
export const NO_CHANNEL = 2_000_000_000;
const PASSWORD = 'open sesame';

/** The target is still online, where it was, and its socket still open. */
async function untouched(c: Cell, t: Target): Promise<void> {
  expect(c.where(t.ssrc)).toBe(t.channelId);
  const pong = await t.probe.request({ type: 'ping', t: 1 });
  expect(pong.type).toBe('pong');
}

/** The presence flags the hub holds for a session. */
function presence(c: Cell, ssrc: number): { serverMuted: boolean; prioritySpeaker: boolean } {
  const p = c.server.hub.peerBySsrc(ssrc);
  if (p === undefined) throw new Error(`no session ${ssrc}`);
  return p.presence;
}

async function chatCount(c: Cell, channelId: number): Promise<number> {
  const page = await c.server.services.chat.history(
    SYSTEM,
    channelId,
    {},
    { limit: 10, cursor: undefined, column: 'id', desc: true },
  );
  return page.items.length;
}

/** A join of `ch` (with `password`): joined puts the caller in it, a refusal leaves it in none. */
function joinCase(ch: ChannelRow, c: Cell, password?: string): Prepared {
  return {
    msg: { type: 'join', channel: ch.id, ...(password === undefined ? {} : { password }) },
    check: (done, answer) => {
      if (done) expect(answer.channel).toEqual({ id: ch.id, name: ch.name });
      expect(c.where(c.ssrc)).toBe(done ? ch.id : null);
    },
  };
}

/** A create_temp: joined in a new temporary channel, or no such channel. */
function createTempCase(c: Cell, name: string, parent: number | null): Prepared {
  return {
    msg: { type: 'create_temp', name, ...(parent === null ? {} : { parent }) },
    check: (done, answer) => {
      const made = c.server.hub.findChannel(name);
      if (!done) return expect(made).toBeUndefined();
      expect(made).toMatchObject({ temporary: true, parentId: parent });
      expect(answer.channel).toEqual({ id: made?.id, name });
      expect(c.where(c.ssrc)).toBe(made?.id);
    },
  };
}

function kickCase(c: Cell, t: Target): Prepared {
  return {
    msg: { type: 'kick', ssrc: t.ssrc, reason: 'matrix' },
    check: async (done) => {
      if (!done) return untouched(c, t);
      expect(await t.probe.closed).toBe(4003);
      expect(t.probe.messages.at(-1)).toMatchObject({
        type: 'disconnected',
        code: E.Kicked,
        reason: 'matrix',
      });
      expect(c.where(t.ssrc)).toBeUndefined();
    },
  };
}

function banCase(c: Cell, t: Target): Prepared {
  return {
    msg: { type: 'ban', ssrc: t.ssrc, reason: 'matrix', minutes: 5 },
    check: async (done) => {
      const ban = await c.server.services.ctx.stores.bans.activeFor({ userId: t.userId, ip: null });
      if (!done) {
        expect(ban).toBeUndefined();
        return untouched(c, t);
      }
      expect(ban).toMatchObject({ userId: t.userId, ip: null, reason: 'matrix' });
      expect(await t.probe.closed).toBe(4004);
      expect(t.probe.messages.at(-1)).toMatchObject({ type: 'disconnected', code: E.Banned });
      expect(c.where(t.ssrc)).toBeUndefined();
    },
  };
}

function moveCase(c: Cell, t: Target, to: number): Prepared {
  return {
    msg: { type: 'move', ssrc: t.ssrc, channel: to },
    check: async (done) => {
      if (!done) return untouched(c, t);
      const joined = await t.probe.next(
        (m) => m.type === 'joined' && m.ref === undefined,
        'the moved one’s joined',
      );
      expect((joined.channel as { id: number }).id).toBe(to);
      expect(c.where(t.ssrc)).toBe(to);
    },
  };
}

function muteCase(c: Cell, t: Target): Prepared {
  return {
    msg: { type: 'server_mute', ssrc: t.ssrc, muted: true },
    check: async (done) => {
      expect(presence(c, t.ssrc).serverMuted).toBe(done);
      if (!done) return untouched(c, t);
      await t.probe.next(
        (m) => isPresence(m, 'changed', (x) => x.ssrc === t.ssrc && (x as Member).serverMuted),
        'a presence batch with serverMuted',
      );
    },
  };
}

function priorityCase(c: Cell, t: Target): Prepared {
  return {
    msg: { type: 'priority', ssrc: t.ssrc, on: true },
    check: async (done) => {
      expect(presence(c, t.ssrc).prioritySpeaker).toBe(done);
      if (!done) return untouched(c, t);
      await t.probe.next(
        (m) => isPresence(m, 'changed', (x) => x.ssrc === t.ssrc && (x as Member).prioritySpeaker),
        'a presence batch with prioritySpeaker',
      );
    },
  };
}

/** Any of the session-targeted actions, at an ssrc nobody has. */
function unknownSsrc(type: 'kick' | 'ban' | 'move' | 'server_mute' | 'priority'): ActionCase {
  const msgs: Record<typeof type, ClientMessage> = {
    kick: { type: 'kick', ssrc: NO_SSRC },
    ban: { type: 'ban', ssrc: NO_SSRC },
    move: { type: 'move', ssrc: NO_SSRC, channel: 'Lobby' },
    server_mute: { type: 'server_mute', ssrc: NO_SSRC, muted: true },
    priority: { type: 'priority', ssrc: NO_SSRC, on: true },
  };
  return {
    type,
    name: 'an ssrc with no session',
    expect: all(E.UnknownSession),
    prepare: (c) => {
      expect(c.where(NO_SSRC)).toBeUndefined();
      return Promise.resolve({ msg: msgs[type] });
    },
  };
}

export const ACTIONS: readonly ActionCase[] = [
  // ── hello ──
  {
    type: 'hello',
    name: 'as a guest (nickname) or an account (token)',
    expect: all('welcome'),
    noHello: true,
    prepare: (c) =>
      Promise.resolve({
        msg: c.hello(c.who),
        check: (_, welcome) => {
          expect(welcome.user).toMatchObject({ role: c.role });
          expect((welcome.user as { id: unknown }).id === null).toBe(c.role === 'guest');
          expect(welcome.seq).toBeUndefined();
          expect(c.server.hub.peerBySsrc(welcome.sessionId as number)?.actor.role).toBe(c.role);
        },
      }),
  },
  {
    type: 'hello',
    name: 'a second time on the same session',
    expect: all(E.BadState),
    prepare: (c) =>
      Promise.resolve({
        msg: c.hello(c.who),
        check: () => expect(c.server.hub.peerBySsrc(c.ssrc)?.actor.role).toBe(c.role),
      }),
  },
  {
    type: 'hello',
    name: 'resuming a session that does not exist (then a plain hello works)',
    expect: all(E.ResumeFailed),
    noHello: true,
    prepare: (c) =>
      Promise.resolve({
        msg: c.hello(c.who, { resume: { token: 'no-such-resume-token', lastSeq: 0 } }),
        check: async () => {
          const welcome = await c.me.request(c.hello(c.who));
          expect(welcome).toMatchObject({ type: 'welcome', resumed: false, user: { role: c.role } });
        },
      }),
  },
  // ── join ──
  {
    type: 'join',
    name: 'an open channel',
    expect: all('joined'),
    prepare: async (c) => joinCase(await c.channel(), c),
  },
  {
    type: 'join',
    name: 'a channel with a password, without it',
    expect: who(E.ChannelPassword, E.ChannelPassword, 'joined', 'joined'),
    prepare: async (c) => joinCase(await c.channel({ password: PASSWORD }), c),
  },
  {
    type: 'join',
    name: 'a channel with a password, with a wrong one',
    expect: who(E.ChannelPassword, E.ChannelPassword, 'joined', 'joined'),
    prepare: async (c) => joinCase(await c.channel({ password: PASSWORD }), c, 'open barley'),
  },
  {
    type: 'join',
    name: 'a channel with a password, with the right one',
    expect: all('joined'),
    prepare: async (c) => joinCase(await c.channel({ password: PASSWORD }), c, PASSWORD),
  },
  {
    type: 'join',
    name: 'a full channel (userLimit 1, one inside)',
    expect: who(E.ChannelFull, E.ChannelFull, 'joined', 'joined'),
    prepare: async (c) => {
      const ch = await c.channel({ userLimit: 1 });
      await c.target('guest', ch.id);
      return joinCase(ch, c);
    },
  },
  {
    type: 'join',
    name: 'a channel whose override denies Enter',
    expect: who(F, F, F, 'joined'),
    prepare: async (c) => {
      const ch = await c.channel();
      await c.denyAll(ch.id, Perm.Enter);
      return joinCase(ch, c);
    },
  },
  {
    type: 'join',
    name: 'a channel that does not exist',
    expect: all(E.UnknownChannel),
    prepare: (c) =>
      Promise.resolve({
        msg: { type: 'join', channel: NO_CHANNEL },
        check: () => expect(c.where(c.ssrc)).toBeNull(),
      }),
  },
  // ── leave ──
  {
    type: 'leave',
    name: 'the channel one is in',
    expect: all('left'),
    prepare: async (c) => {
      const ch = await c.channel();
      await c.enter(ch.id);
      return {
        msg: { type: 'leave' },
        check: (_, left) => {
          expect(left.channelId).toBe(ch.id);
          expect(c.where(c.ssrc)).toBeNull();
        },
      };
    },
  },
  {
    type: 'leave',
    name: 'while in no channel',
    expect: all(E.NotInChannel),
    prepare: () => Promise.resolve({ msg: { type: 'leave' } }),
  },
  // ── state ──
  {
    type: 'state',
    name: 'self-mute in a channel (ok at once; the channel, self included, sees it in the next presence batch)',
    expect: all('ok'),
    prepare: async (c) => {
      const ch = await c.channel();
      await c.enter(ch.id);
      return {
        msg: { type: 'state', muted: true },
        check: async () => {
          await c.me.next(
            (m) =>
              m.channelId === ch.id &&
              isPresence(m, 'changed', (x) => x.ssrc === c.ssrc && (x as Member).muted),
            'our own mute in a presence batch',
          );
        },
      };
    },
  },
  {
    type: 'state',
    name: 'while in no channel',
    expect: all(E.NotInChannel),
    prepare: () => Promise.resolve({ msg: { type: 'state', muted: true } }),
  },
  // ── members ──
  {
    type: 'members',
    name: 'a page of the channel one is in',
    expect: all('members'),
    prepare: async (c) => {
      const ch = await c.channel();
      const other = await c.target('guest', ch.id);
      await c.enter(ch.id);
      return {
        msg: { type: 'members' },
        check: (_, page) => {
          expect(page).toMatchObject({ channelId: ch.id, count: 2, next: null });
          expect((page.members as Member[]).map((m) => m.ssrc)).toEqual([other.ssrc]);
        },
      };
    },
  },
  {
    type: 'members',
    name: 'while in no channel',
    expect: all(E.NotInChannel),
    prepare: () => Promise.resolve({ msg: { type: 'members' } }),
  },
  // ── report ──
  {
    type: 'report',
    name: 'about a speaker of the channel one is in',
    expect: all('ok'),
    prepare: async (c) => {
      const ch = await c.channel();
      const other = await c.target('guest', ch.id);
      await c.enter(ch.id);
      const about = (ssrc: number) => ({
        ssrc,
        ...{ expected: 250, lost: 5, late: 0, concealed: 5, recoveredFec: 0, recoveredRed: 0 },
        ...{ accelerated: 0, stretched: 0, jitterMs: 3, delayMs: 40 },
      });
      return {
        // The second stream is about nobody here: ignored.
        msg: { type: 'report', intervalMs: 5000, streams: [about(other.ssrc), about(0x7fff_fff0)] },
        check: () => {
          const rows = c.server.hub.quality.entries({ listener: c.ssrc }, performance.now());
          expect(rows.map((e) => [e.speaker, e.channelId])).toEqual([[other.ssrc, ch.id]]);
          expect(rows[0]!.score.lossPct).toBeCloseTo(2, 6);
        },
      };
    },
  },
  {
    type: 'report',
    name: 'while in no channel',
    expect: all(E.NotInChannel),
    prepare: () => Promise.resolve({ msg: { type: 'report', intervalMs: 5000, streams: [] } }),
  },
  // ── ping ──
  {
    type: 'ping',
    name: 'a round trip',
    expect: all('pong'),
    prepare: () =>
      Promise.resolve({
        msg: { type: 'ping', t: 42 },
        check: (_, pong) => expect(pong.t).toBe(42),
      }),
  },
  // ── chat ──
  {
    type: 'chat',
    name: 'in a channel',
    expect: all('chat'),
    prepare: async (c) => {
      const ch = await c.channel();
      await c.enter(ch.id);
      return {
        msg: { type: 'chat', text: 'hello from the matrix' },
        check: async (_, chat) => {
          expect(chat.message).toMatchObject({ channelId: ch.id, text: 'hello from the matrix' });
          expect(await chatCount(c, ch.id)).toBe(1);
        },
      };
    },
  },
  {
    type: 'chat',
    name: 'in a channel whose override denies Text',
    expect: who(F, F, F, 'chat'),
    prepare: async (c) => {
      const ch = await c.channel();
      await c.denyAll(ch.id, Perm.Text);
      await c.enter(ch.id);
      return {
        msg: { type: 'chat', text: 'may I?' },
        check: async (done) => expect(await chatCount(c, ch.id)).toBe(done ? 1 : 0),
      };
    },
  },
  {
    type: 'chat',
    name: 'while in no channel',
    expect: all(E.NotInChannel),
    prepare: () => Promise.resolve({ msg: { type: 'chat', text: 'anyone?' } }),
  },
  // ── create_temp ──
  {
    type: 'create_temp',
    name: 'at the top level',
    expect: all('joined'),
    prepare: (c) => Promise.resolve(createTempCase(c, uniqueName('temp'), null)),
  },
  {
    type: 'create_temp',
    name: 'under a channel',
    expect: all('joined'),
    prepare: async (c) => createTempCase(c, uniqueName('temp'), (await c.channel()).id),
  },
  {
    type: 'create_temp',
    name: 'under a channel whose override denies Enter',
    expect: who(F, F, F, 'joined'),
    prepare: async (c) => {
      const parent = await c.channel();
      await c.denyAll(parent.id, Perm.Enter);
      return createTempCase(c, uniqueName('temp'), parent.id);
    },
  },
  {
    type: 'create_temp',
    name: 'with the name of a channel that exists',
    expect: all(E.NameTaken),
    prepare: async (c) => {
      const existing = await c.channel();
      return {
        msg: { type: 'create_temp', name: existing.name },
        check: () => {
          expect(c.server.hub.findChannel(existing.name)).toMatchObject({
            id: existing.id,
            temporary: false,
          });
          expect(c.where(c.ssrc)).toBeNull();
        },
      };
    },
  },
  {
    type: 'create_temp',
    name: 'under a channel that does not exist',
    expect: all(E.UnknownChannel),
    prepare: (c) => Promise.resolve(createTempCase(c, uniqueName('temp'), NO_CHANNEL)),
  },
  // ── kick ──
  {
    type: 'kick',
    name: 'a guest',
    expect: who(F, F, 'ok', 'ok'),
    prepare: async (c) => kickCase(c, await c.target('guest')),
  },
  {
    type: 'kick',
    name: 'a member',
    expect: who(F, F, 'ok', 'ok'),
    prepare: async (c) => kickCase(c, await c.target('member')),
  },
  {
    type: 'kick',
    name: 'a moderator (an equal or higher rank for all but admins)',
    expect: who(F, F, F, 'ok'),
    prepare: async (c) => kickCase(c, await c.target('moderator')),
  },
  {
    type: 'kick',
    name: 'an admin',
    expect: who(F, F, F, 'ok'),
    prepare: async (c) => kickCase(c, await c.target('admin')),
  },
  {
    type: 'kick',
    name: 'a guest in a channel whose override denies MoveKick',
    expect: who(F, F, F, 'ok'),
    prepare: async (c) => {
      const ch = await c.channel();
      await c.denyAll(ch.id, Perm.MoveKick);
      return kickCase(c, await c.target('guest', ch.id));
    },
  },
  unknownSsrc('kick'),
  // ── ban (of accounts: a guest's ban is by address, and every test client is 127.0.0.1) ──
  {
    type: 'ban',
    name: 'a member',
    expect: who(F, F, 'ok', 'ok'),
    prepare: async (c) => banCase(c, await c.target('member')),
  },
  {
    type: 'ban',
    name: 'a moderator',
    expect: who(F, F, F, 'ok'),
    prepare: async (c) => banCase(c, await c.target('moderator')),
  },
  {
    type: 'ban',
    name: 'a member in a channel whose override denies MoveKick',
    expect: who(F, F, F, 'ok'),
    prepare: async (c) => {
      const ch = await c.channel();
      await c.denyAll(ch.id, Perm.MoveKick);
      return banCase(c, await c.target('member', ch.id));
    },
  },
  unknownSsrc('ban'),
  // ── move ──
  {
    type: 'move',
    name: 'a guest to another channel',
    expect: who(F, F, 'ok', 'ok'),
    prepare: async (c) => moveCase(c, await c.target('guest'), (await c.channel()).id),
  },
  {
    type: 'move',
    name: 'a moderator to another channel',
    expect: who(F, F, F, 'ok'),
    prepare: async (c) => moveCase(c, await c.target('moderator'), (await c.channel()).id),
  },
  {
    type: 'move',
    name: 'a guest into a channel whose override denies MoveKick',
    expect: who(F, F, F, 'ok'),
    prepare: async (c) => {
      const to = await c.channel();
      await c.denyAll(to.id, Perm.MoveKick);
      return moveCase(c, await c.target('guest'), to.id);
    },
  },
  {
    type: 'move',
    name: 'a guest to a channel that does not exist',
    expect: who(F, F, E.UnknownChannel, E.UnknownChannel),
    prepare: async (c) => moveCase(c, await c.target('guest'), NO_CHANNEL),
  },
  unknownSsrc('move'),
  // ── server_mute ──
  {
    type: 'server_mute',
    name: 'a guest',
    expect: who(F, F, 'ok', 'ok'),
    prepare: async (c) => muteCase(c, await c.target('guest')),
  },
  {
    type: 'server_mute',
    name: 'a moderator',
    expect: who(F, F, F, 'ok'),
    prepare: async (c) => muteCase(c, await c.target('moderator')),
  },
  {
    type: 'server_mute',
    name: 'a guest in a channel whose override denies MuteOthers',
    expect: who(F, F, F, 'ok'),
    prepare: async (c) => {
      const ch = await c.channel();
      await c.denyAll(ch.id, Perm.MuteOthers);
      return muteCase(c, await c.target('guest', ch.id));
    },
  },
  unknownSsrc('server_mute'),
  // ── priority (MuteOthers, and the rank rule: nobody sets an equal's or a higher rank's) ──
  {
    type: 'priority',
    name: 'a guest',
    expect: who(F, F, 'ok', 'ok'),
    prepare: async (c) => priorityCase(c, await c.target('guest')),
  },
  {
    type: 'priority',
    name: 'a moderator',
    expect: who(F, F, F, 'ok'),
    prepare: async (c) => priorityCase(c, await c.target('moderator')),
  },
  unknownSsrc('priority'),
];
