import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import { parseClientMessage, parseServerMessage } from './control.js';

const member = {
  ssrc: 5,
  userId: null,
  name: 'ann',
  role: 'guest',
  muted: false,
  deafened: false,
  serverMuted: false,
  serverDeafened: false,
  prioritySpeaker: false,
  speaking: false,
};
const channel = {
  id: 2,
  name: 'Games',
  parentId: null,
  position: 0,
  description: '',
  userLimit: 0,
  hasPassword: false,
  temporary: false,
};
const key = Buffer.alloc(32, 1).toString('base64');

describe('control messages', () => {
  it('accepts every client message in a valid form', () => {
    for (const m of [
      { type: 'hello', v: 1, name: 'ann', ref: 'a' },
      { type: 'join', channel: 'Lobby' },
      { type: 'join', channel: 3 },
      { type: 'leave' },
      { type: 'state', muted: true },
      { type: 'state', deafened: false, muted: false },
      { type: 'ping', t: 1.5 },
      { type: 'hello', v: 1, token: 'tok', ciphers: ['chacha20-poly1305', 'aes-256-gcm'] },
      { type: 'hello', v: 1, name: 'ann', resume: { token: 'r', lastSeq: 7 } },
      { type: 'join', channel: 'Secret', password: 'pw' },
      { type: 'chat', text: 'hi', ref: 'c' },
      { type: 'create_temp', name: 'Raid', parent: 2 },
      { type: 'kick', ssrc: 9, reason: 'spam' },
      { type: 'ban', ssrc: 9, minutes: 60, ip: true },
      { type: 'move', ssrc: 9, channel: 'Games' },
      { type: 'server_mute', ssrc: 9, muted: true },
      { type: 'members' },
      { type: 'members', after: 12, limit: 200, ref: 'p' },
      { type: 'priority', ssrc: 9, on: true },
    ]) {
      expect(parseClientMessage(JSON.stringify(m))).toEqual({ ok: true, value: m });
    }
  });

  it('accepts every server message in a valid form', () => {
    for (const m of [
      {
        type: 'welcome',
        sessionId: 5,
        name: 'ann',
        serverVersion: '0.1.0',
        user: { id: null, name: 'ann', role: 'guest' },
        resumeToken: 'r',
        resumed: false,
        channels: [channel],
        seq: 1,
        ref: 'h',
      },
      {
        type: 'joined',
        channel: { id: 1, name: 'Lobby' },
        self: member,
        members: [],
        memberCount: 1,
        membersNext: null,
        media: {
          ssrc: 5,
          cipher: 'chacha20-poly1305',
          key,
          udpPort: 8710,
          codec: 'opus',
          sampleRate: 48000,
          frameMs: 20,
          maxPacketSize: 1200,
          maxPacketsPerSecond: 150,
          bitrate: 32000,
        },
      },
      { type: 'left', channelId: 1 },
      {
        type: 'presence',
        channelId: 1,
        count: 2,
        joined: [member],
        changed: [{ ...member, speaking: true }],
        left: [6],
        more: false,
        seq: 4,
      },
      { type: 'members', channelId: 1, members: [member], next: 17, count: 300, ref: 'm' },
      { type: 'members', channelId: 1, members: [], next: null, count: 1, seq: 5 },
      { type: 'pong', t: 1, serverTime: 2 },
      { type: 'error', code: ErrorCode.UnknownChannel, message: 'no' },
      {
        type: 'chat',
        message: { id: 1, channelId: 2, authorId: null, authorName: 'ann', text: 'hi', createdAt: 'now' },
        seq: 3,
      },
      { type: 'channel_created', channel },
      { type: 'channel_updated', channel: { ...channel, hasPassword: true } },
      { type: 'channel_deleted', channelId: 2, seq: 9 },
      { type: 'disconnected', code: ErrorCode.Kicked, reason: 'bye', by: 'mod' },
      { type: 'ok', ref: 'k' },
    ]) {
      expect(parseServerMessage(JSON.stringify(m))).toEqual({ ok: true, value: m });
    }
  });

  it('rejects unknown fields, wrong types and unknown types with BadMessage, echoing ref', () => {
    const cases = [
      { type: 'hello', v: 1, name: 'x', admin: true, ref: 'r1' },
      { type: 'hello', v: '1', name: 'x', ref: 'r2' },
      { type: 'hello', v: 1, name: '', ref: 'r3' },
      { type: 'join', channel: 0, ref: 'r4' },
      { type: 'join', channel: 'x'.repeat(65), ref: 'r5' },
      { type: 'teleport', ref: 'r6' },
      { type: 'state', muted: 'yes', ref: 'r7' },
      { type: 'members', limit: 201, ref: 'r8' },
      { type: 'members', after: -1, ref: 'r9' },
    ];
    for (const m of cases) {
      const r = parseClientMessage(JSON.stringify(m));
      expect(r).toMatchObject({ ok: false, reason: { code: ErrorCode.BadMessage, ref: m.ref } });
    }
  });

  it('rejects non-JSON, non-objects, and names the failing path', () => {
    expect(parseClientMessage('{')).toMatchObject({
      ok: false,
      reason: { code: ErrorCode.BadMessage, message: 'not valid JSON' },
    });
    expect(parseClientMessage('[1]')).toMatchObject({ ok: false, reason: { code: ErrorCode.BadMessage } });
    expect(parseClientMessage('null')).toMatchObject({ ok: false, reason: { code: ErrorCode.BadMessage } });
    const r = parseClientMessage(JSON.stringify({ type: 'ping', t: 'soon' }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason.message).toContain('/t');
  });

  it('rejects oversized messages before parsing them', () => {
    const big = JSON.stringify({ type: 'hello', v: 1, name: 'x', pad: 'é'.repeat(9000) });
    expect(parseClientMessage(big)).toMatchObject({ ok: false, reason: { code: ErrorCode.MessageTooLarge } });
  });
});

describe('message size limits', () => {
  it('accepts a welcome larger than the client-side limit (a big channel tree), refuses a client message over 16 KiB', () => {
    const channels = Array.from({ length: 300 }, (_, i) => ({ ...channel, id: i + 1, name: `channel-${i}` }));
    const welcome = {
      type: 'welcome',
      sessionId: 5,
      name: 'ann',
      serverVersion: '0.1.0',
      user: { id: null, name: 'ann', role: 'guest' },
      resumeToken: 'r',
      resumed: false,
      channels,
    };
    const text = JSON.stringify(welcome);
    expect(text.length).toBeGreaterThan(16384);
    expect(parseServerMessage(text).ok).toBe(true);
    const big = parseClientMessage(
      JSON.stringify({ type: 'chat', text: 'x'.repeat(1000), pad: 'y'.repeat(17000) }),
    );
    expect(big).toMatchObject({ ok: false, reason: { code: ErrorCode.MessageTooLarge } });
  });
});
