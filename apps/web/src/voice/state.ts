/**
 * What the main view shows, as a pure reducer over the control plane's
 * events: the channel tree, who is in our channel (live, from `joined`,
 * `presence` batches and `members` pages — docs/protocol.md §2.3.1), who is
 * in the other channels (polled from GET /sessions), the chat of our
 * channel and the connection's state. No I/O: voice/session.ts feeds it.
 */
import type {
  ChannelInfo,
  ChatMessageInfo,
  JoinedMessage,
  Member,
  MembersMessage,
  PresenceMessage,
} from '@parley/protocol';
import type { SessionRow } from '../lib/api';
import { bySiblingOrder } from '../lib/order';

export type ConnStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';
export type ActorRole = Member['role'];

export interface SelfUser {
  id: number | null;
  name: string;
  role: ActorRole;
}

export interface VoiceState {
  status: ConnStatus;
  /** Reconnection attempt (while reconnecting). */
  attempt: number;
  /** After a break: the same session resumed, or a new one that re-joined the channel. */
  lastReconnect: 'resumed' | 'restarted' | null;
  /** Why the session ended (status closed). */
  closed: { code: string; reason: string } | null;
  user: SelfUser | null;
  selfSsrc: number;
  channels: ReadonlyMap<number, ChannelInfo>;
  channelId: number | null;
  self: Member | null;
  /** The others in our channel. */
  members: ReadonlyMap<number, Member>;
  memberCount: number;
  /** Everyone online (GET /sessions), for the channels we are not in. */
  elsewhere: readonly SessionRow[];
  /** Our channel's chat, oldest first, at most MAX_CHAT. */
  chat: readonly ChatMessageInfo[];
  /** Who is heard speaking, from the audio actually received (and sent, for us), by ssrc. */
  heard: ReadonlyMap<number, boolean>;
}

export const MAX_CHAT = 200;

export const INITIAL_STATE: VoiceState = {
  status: 'connecting',
  attempt: 0,
  lastReconnect: null,
  closed: null,
  user: null,
  selfSsrc: 0,
  channels: new Map(),
  channelId: null,
  self: null,
  members: new Map(),
  memberCount: 0,
  elsewhere: [],
  chat: [],
  heard: new Map(),
};

export type VoiceAction =
  | { type: 'welcome'; user: SelfUser; ssrc: number; channels: Iterable<ChannelInfo> }
  | { type: 'channels'; channels: Iterable<ChannelInfo> }
  | { type: 'joined'; joined: JoinedMessage }
  | { type: 'left' }
  | { type: 'presence'; presence: PresenceMessage }
  | { type: 'members'; page: MembersMessage }
  | { type: 'chat'; messages: readonly ChatMessageInfo[] }
  | { type: 'elsewhere'; sessions: readonly SessionRow[] }
  | { type: 'heard'; ssrc: number; speaking: boolean }
  | { type: 'heard-reset' }
  | { type: 'reconnecting'; attempt: number }
  | { type: 'live'; resumed?: boolean }
  | { type: 'closed'; code: string; reason: string };

/** Merges messages by id, oldest first, keeping the newest MAX_CHAT. */
export function mergeChat(
  current: readonly ChatMessageInfo[],
  incoming: readonly ChatMessageInfo[],
): readonly ChatMessageInfo[] {
  const byId = new Map<number, ChatMessageInfo>();
  for (const m of current) byId.set(m.id, m);
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.id - b.id).slice(-MAX_CHAT);
}

export function voiceReducer(s: VoiceState, a: VoiceAction): VoiceState {
  switch (a.type) {
    case 'welcome':
      return {
        ...s,
        user: a.user,
        selfSsrc: a.ssrc,
        channels: new Map([...a.channels].map((c) => [c.id, c])),
      };
    case 'channels':
      return { ...s, channels: new Map([...a.channels].map((c) => [c.id, c])) };
    case 'joined': {
      const j = a.joined;
      const sameChannel = s.channelId === j.channel.id;
      return {
        ...s,
        channelId: j.channel.id,
        selfSsrc: j.self.ssrc,
        self: j.self,
        members: new Map(j.members.filter((m) => m.ssrc !== j.self.ssrc).map((m) => [m.ssrc, m])),
        memberCount: j.memberCount,
        chat: sameChannel ? s.chat : [],
        heard: sameChannel ? s.heard : new Map(),
      };
    }
    case 'left':
      return {
        ...s,
        channelId: null,
        self: null,
        members: new Map(),
        memberCount: 0,
        chat: [],
        heard: new Map(),
      };
    case 'presence': {
      const p = a.presence;
      if (p.channelId !== s.channelId) return s;
      const members = new Map(s.members);
      let self = s.self;
      for (const m of [...p.joined, ...p.changed]) {
        if (m.ssrc === s.selfSsrc) self = m;
        else members.set(m.ssrc, m);
      }
      let heard = s.heard;
      for (const ssrc of p.left) {
        members.delete(ssrc);
        if (heard.has(ssrc)) {
          const next = new Map(heard);
          next.delete(ssrc);
          heard = next;
        }
      }
      return { ...s, members, self, memberCount: p.count, heard };
    }
    case 'members': {
      if (a.page.channelId !== s.channelId) return s;
      const members = new Map(s.members);
      for (const m of a.page.members) if (m.ssrc !== s.selfSsrc) members.set(m.ssrc, m);
      return { ...s, members, memberCount: a.page.count };
    }
    case 'chat': {
      const mine = a.messages.filter((m) => m.channelId === s.channelId);
      return mine.length === 0 ? s : { ...s, chat: mergeChat(s.chat, mine) };
    }
    case 'elsewhere':
      return { ...s, elsewhere: a.sessions };
    case 'heard': {
      if ((s.heard.get(a.ssrc) ?? false) === a.speaking) return s;
      const heard = new Map(s.heard);
      if (a.speaking) heard.set(a.ssrc, true);
      else heard.delete(a.ssrc);
      return { ...s, heard };
    }
    case 'heard-reset':
      return s.heard.size === 0 ? s : { ...s, heard: new Map() };
    case 'reconnecting':
      return { ...s, status: 'reconnecting', attempt: a.attempt };
    case 'live':
      return {
        ...s,
        status: 'live',
        attempt: 0,
        closed: null,
        lastReconnect: a.resumed === undefined ? s.lastReconnect : a.resumed ? 'resumed' : 'restarted',
      };
    case 'closed':
      return { ...s, status: 'closed', closed: { code: a.code, reason: a.reason } };
  }
}

/** A person as the channel tree shows them. */
export interface Person {
  ssrc: number;
  userId: number | null;
  name: string;
  role: ActorRole;
  muted: boolean;
  deafened: boolean;
  serverMuted: boolean;
  serverDeafened: boolean;
  prioritySpeaker: boolean;
  speaking: boolean;
  self: boolean;
}

function byName(a: Person, b: Person): number {
  return a.name.localeCompare(b.name) || a.ssrc - b.ssrc;
}

/** Who is in a channel: live members for ours, the polled sessions for the others. */
export function peopleIn(s: VoiceState, channelId: number): Person[] {
  if (channelId === s.channelId) {
    const out: Person[] = [...s.members.values()].map((m) => ({ ...m, self: false }));
    if (s.self !== null) out.push({ ...s.self, self: true });
    return out.sort(byName);
  }
  return s.elsewhere
    .filter((x) => x.channelId === channelId && x.id !== s.selfSsrc)
    .map((x) => ({
      ssrc: x.id,
      userId: x.userId,
      name: x.name,
      role: x.role,
      muted: x.muted,
      deafened: x.deafened,
      serverMuted: x.serverMuted,
      serverDeafened: x.serverDeafened,
      prioritySpeaker: x.prioritySpeaker,
      speaking: x.speaking,
      self: false,
    }))
    .sort(byName);
}

export interface TreeRow {
  channel: ChannelInfo;
  depth: number;
}

/** The channel tree in display order: depth-first, siblings by position then name. */
export function channelTree(channels: ReadonlyMap<number, ChannelInfo>): TreeRow[] {
  const children = new Map<number | null, ChannelInfo[]>();
  for (const c of channels.values()) {
    const parent = c.parentId !== null && channels.has(c.parentId) ? c.parentId : null;
    const list = children.get(parent) ?? [];
    list.push(c);
    children.set(parent, list);
  }
  for (const list of children.values()) list.sort(bySiblingOrder);
  const out: TreeRow[] = [];
  const walk = (parent: number | null, depth: number): void => {
    for (const c of children.get(parent) ?? []) {
      out.push({ channel: c, depth });
      if (depth < 32) walk(c.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** How many people a channel holds now (ours: the live count). */
export function countIn(s: VoiceState, channelId: number): number {
  if (channelId === s.channelId) return Math.max(s.memberCount, s.members.size + (s.self === null ? 0 : 1));
  return s.elsewhere.filter((x) => x.channelId === channelId).length;
}
