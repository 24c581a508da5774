import { describe, expect, it } from 'vitest';
import type { ChannelInfo, JoinedMessage, Member, PresenceMessage } from '@parley/protocol';
import {
  channelTree,
  countIn,
  INITIAL_STATE,
  MAX_CHAT,
  mergeChat,
  peopleIn,
  voiceReducer,
  type VoiceState,
} from './state';

const member = (ssrc: number, name: string, extra: Partial<Member> = {}): Member => ({
  ssrc,
  userId: null,
  name,
  role: 'guest',
  muted: false,
  deafened: false,
  serverMuted: false,
  serverDeafened: false,
  prioritySpeaker: false,
  speaking: false,
  ...extra,
});

const channel = (id: number, name: string, parentId: number | null = null, position = 0): ChannelInfo => ({
  id,
  name,
  parentId,
  position,
  description: '',
  userLimit: 0,
  hasPassword: false,
  temporary: false,
});

function joined(channelId: number, self: Member, others: Member[]): JoinedMessage {
  return {
    type: 'joined',
    channel: { id: channelId, name: `c${channelId}` },
    self,
    members: others,
    memberCount: others.length + 1,
    membersNext: null,
    media: {
      ssrc: self.ssrc,
      key: '',
      udpPort: 1,
      codec: 'opus',
      sampleRate: 48000,
      frameMs: 20,
      bitrate: 32000,
      maxPacketSize: 1200,
      maxPacketsPerSecond: 150,
      cipher: 'chacha20-poly1305',
    },
  };
}

function presence(p: Partial<PresenceMessage> & { channelId: number }): PresenceMessage {
  return {
    type: 'presence',
    count: 0,
    joined: [],
    changed: [],
    left: [],
    more: false,
    seq: 1,
    ...p,
  };
}

function inLobby(): VoiceState {
  let s = voiceReducer(INITIAL_STATE, {
    type: 'welcome',
    user: { id: null, name: 'ana', role: 'guest' },
    ssrc: 1,
    channels: [channel(1, 'Lobby'), channel(2, 'Games')],
  });
  s = voiceReducer(s, { type: 'joined', joined: joined(1, member(1, 'ana'), [member(2, 'bob')]) });
  return s;
}

describe('voiceReducer', () => {
  it('joined: self apart, the others by ssrc', () => {
    const s = inLobby();
    expect(s.channelId).toBe(1);
    expect(s.self?.name).toBe('ana');
    expect([...s.members.keys()]).toEqual([2]);
    expect(peopleIn(s, 1).map((p) => [p.name, p.self])).toEqual([
      ['ana', true],
      ['bob', false],
    ]);
  });

  it('presence batches apply idempotently: joined and changed set, left removes, our own state from changed', () => {
    let s = inLobby();
    const batch = presence({
      channelId: 1,
      count: 3,
      joined: [member(3, 'carl')],
      changed: [member(1, 'ana', { muted: true }), member(2, 'bob', { speaking: true })],
    });
    s = voiceReducer(s, { type: 'presence', presence: batch });
    const again = voiceReducer(s, { type: 'presence', presence: batch });
    expect(again.members).toEqual(s.members);
    expect(s.self?.muted).toBe(true);
    expect(s.members.get(2)?.speaking).toBe(true);
    expect(countIn(s, 1)).toBe(3);
    s = voiceReducer(s, { type: 'presence', presence: presence({ channelId: 1, count: 2, left: [3] }) });
    expect(s.members.has(3)).toBe(false);
    // Another channel's batch changes nothing.
    expect(
      voiceReducer(s, { type: 'presence', presence: presence({ channelId: 2, joined: [member(9, 'x')] }) }),
    ).toBe(s);
  });

  it('heard speaking: set and cleared by ssrc, forgotten when the speaker leaves or we move', () => {
    let s = voiceReducer(inLobby(), { type: 'heard', ssrc: 2, speaking: true });
    expect(s.heard.get(2)).toBe(true);
    expect(voiceReducer(s, { type: 'heard', ssrc: 2, speaking: true })).toBe(s);
    s = voiceReducer(s, { type: 'presence', presence: presence({ channelId: 1, count: 1, left: [2] }) });
    expect(s.heard.size).toBe(0);
    s = voiceReducer(s, { type: 'heard', ssrc: 1, speaking: true });
    s = voiceReducer(s, { type: 'joined', joined: joined(2, member(1, 'ana'), []) });
    expect(s.heard.size).toBe(0);
  });

  it('chat: only our channel, merged by id, oldest first, bounded', () => {
    let s = inLobby();
    const msg = (id: number, channelId = 1) => ({
      id,
      channelId,
      authorId: null,
      authorName: 'bob',
      text: `m${id}`,
      createdAt: new Date(0).toISOString(),
    });
    s = voiceReducer(s, { type: 'chat', messages: [msg(3), msg(1), msg(2, 2)] });
    s = voiceReducer(s, { type: 'chat', messages: [msg(2), msg(3)] });
    expect(s.chat.map((m) => m.id)).toEqual([1, 2, 3]);
    const many = Array.from({ length: MAX_CHAT + 10 }, (_, i) => msg(i + 1));
    expect(mergeChat([], many).length).toBe(MAX_CHAT);
    expect(mergeChat([], many)[0]?.id).toBe(11);
    // Moving to another channel starts its chat afresh.
    s = voiceReducer(s, { type: 'joined', joined: joined(2, member(1, 'ana'), []) });
    expect(s.chat).toEqual([]);
  });

  it('people elsewhere come from the polled sessions, ourselves excluded', () => {
    let s = inLobby();
    s = voiceReducer(s, {
      type: 'elsewhere',
      sessions: [
        {
          id: 1,
          userId: null,
          name: 'ana',
          role: 'guest',
          channelId: 1,
          muted: false,
          deafened: false,
          serverMuted: false,
          serverDeafened: false,
          prioritySpeaker: false,
          speaking: false,
        },
        {
          id: 7,
          userId: 4,
          name: 'dan',
          role: 'member',
          channelId: 2,
          muted: true,
          deafened: false,
          serverMuted: false,
          serverDeafened: false,
          prioritySpeaker: true,
          speaking: false,
        },
      ],
    });
    expect(peopleIn(s, 2).map((p) => [p.name, p.muted, p.prioritySpeaker])).toEqual([['dan', true, true]]);
    expect(countIn(s, 2)).toBe(1);
  });

  it('connection states: reconnecting with its attempt, live again, closed with the reason', () => {
    let s = voiceReducer(inLobby(), { type: 'reconnecting', attempt: 2 });
    expect([s.status, s.attempt]).toEqual(['reconnecting', 2]);
    s = voiceReducer(s, { type: 'live' });
    expect(s.status).toBe('live');
    s = voiceReducer(s, { type: 'closed', code: 'PARLEY_ERR_KICKED', reason: 'bye' });
    expect(s.closed).toEqual({ code: 'PARLEY_ERR_KICKED', reason: 'bye' });
  });
});

describe('channelTree', () => {
  it('depth-first, siblings by position then name; an orphan is top level', () => {
    const channels = new Map(
      [
        channel(1, 'Lobby', null, 0),
        channel(2, 'Games', null, 1),
        channel(3, 'B', 2, 0),
        channel(4, 'A', 2, 0),
        channel(5, 'Orphan', 99),
      ].map((c) => [c.id, c]),
    );
    expect(channelTree(channels).map((r) => `${'-'.repeat(r.depth)}${r.channel.name}`)).toEqual([
      'Lobby',
      'Orphan',
      'Games',
      '-A',
      '-B',
    ]);
  });
});
