/**
 * Control messages exchanged over the WebSocket as JSON (docs/protocol.md
 * §2). Each has a TypeBox schema: the server validates with it, and the
 * TypeScript types come from it. Unknown fields are rejected.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, ValueErrorType, type ValueError } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import {
  MAX_CONTROL_MESSAGE_BYTES,
  MAX_REPORT_STREAMS,
  MAX_SERVER_MESSAGE_BYTES,
  SAMPLE_RATE,
} from './constants.js';
import { ErrorCode } from './errors.js';
import type { Result } from './result.js';
import { FreeText, MessageText, NameString, PATTERN_ERROR } from './text.js';

const strict = { additionalProperties: false } as const;
const Ref = Type.Optional(Type.String({ minLength: 1, maxLength: 64 }));
const Ssrc = Type.Integer({ minimum: 1, maximum: 0xffffffff });
const ChannelId = Type.Integer({ minimum: 1 });

const Role = Type.Union([
  Type.Literal('admin'),
  Type.Literal('moderator'),
  Type.Literal('member'),
  Type.Literal('guest'),
]);
const Nick = NameString(32);
/** Sequence number of a server → client message, for resume (docs/control-plane.md). */
const Seq = Type.Optional(Type.Integer({ minimum: 1 }));

export const MemberSchema = Type.Object(
  {
    ssrc: Ssrc,
    /** Account id; null for a guest. */
    userId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    name: Type.String(),
    role: Role,
    /** Self-mute / self-deafen. */
    muted: Type.Boolean(),
    deafened: Type.Boolean(),
    /** Set by a moderator; sticky until lifted. */
    serverMuted: Type.Boolean(),
    serverDeafened: Type.Boolean(),
    /** Listeners duck others while a priority speaker talks. */
    prioritySpeaker: Type.Boolean(),
    speaking: Type.Boolean(),
  },
  strict,
);
export type Member = Static<typeof MemberSchema>;

const CipherSchema = Type.Union([Type.Literal('chacha20-poly1305'), Type.Literal('aes-256-gcm')]);

export const MediaParamsSchema = Type.Object(
  {
    ssrc: Ssrc,
    /** The AEAD the key is for (the server's pick from `hello.ciphers`). */
    cipher: CipherSchema,
    key: Type.String({ minLength: 44, maxLength: 44, description: '32-byte AES-256-GCM key, base64' }),
    udpPort: Type.Integer({ minimum: 0, maximum: 65535 }),
    codec: Type.Literal('opus'),
    sampleRate: Type.Literal(SAMPLE_RATE),
    frameMs: Type.Union([Type.Literal(10), Type.Literal(20), Type.Literal(40), Type.Literal(60)]),
    /** The Opus bitrate senders should encode at, bits/s (the runtime setting `defaultBitrate`). */
    bitrate: Type.Integer({ minimum: 6000, maximum: 510000 }),
    maxPacketSize: Type.Integer({ minimum: 28 }),
    maxPacketsPerSecond: Type.Integer({ minimum: 1 }),
  },
  strict,
);
export type MediaParams = Static<typeof MediaParamsSchema>;

// ── client → server ──────────────────────────────────────────────────────
export const ChannelInfoSchema = Type.Object(
  {
    id: ChannelId,
    name: Type.String(),
    parentId: Type.Union([ChannelId, Type.Null()]),
    position: Type.Integer(),
    description: Type.String(),
    userLimit: Type.Integer({ minimum: 0 }),
    hasPassword: Type.Boolean(),
    temporary: Type.Boolean(),
  },
  strict,
);
export type ChannelInfo = Static<typeof ChannelInfoSchema>;

export const HelloSchema = Type.Object(
  {
    type: Type.Literal('hello'),
    v: Type.Integer({ minimum: 1, maximum: 255 }),
    /** Nickname of a guest (ignored with a token: the account's name is used). */
    name: Type.Optional(Nick),
    /** AEADs the client can use for media, preferred first; absent = AES-256-GCM only. */
    ciphers: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 8 })),
    /** Login token (POST /api/v1/auth/login) to connect as an account. */
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    /** Take over a session whose WebSocket was cut, with the events it missed. */
    resume: Type.Optional(
      Type.Object(
        {
          token: Type.String({ minLength: 1, maxLength: 256 }),
          lastSeq: Type.Integer({ minimum: 0 }),
        },
        strict,
      ),
    ),
    ref: Ref,
  },
  strict,
);
const ChannelRefIn = Type.Union([NameString(64), ChannelId]);
export const JoinSchema = Type.Object(
  {
    type: Type.Literal('join'),
    channel: ChannelRefIn,
    password: Type.Optional(Type.String({ maxLength: 256 })),
    ref: Ref,
  },
  strict,
);
export const ChatSchema = Type.Object(
  { type: Type.Literal('chat'), text: MessageText({ minLength: 1, maxLength: 2000 }), ref: Ref },
  strict,
);
export const CreateTempSchema = Type.Object(
  {
    type: Type.Literal('create_temp'),
    name: NameString(64),
    parent: Type.Optional(ChannelId),
    ref: Ref,
  },
  strict,
);
const Reason = Type.Optional(FreeText({ maxLength: 500 }));
export const KickSchema = Type.Object(
  { type: Type.Literal('kick'), ssrc: Ssrc, reason: Reason, ref: Ref },
  strict,
);
export const BanSchema = Type.Object(
  {
    type: Type.Literal('ban'),
    ssrc: Ssrc,
    reason: Reason,
    /** Duration; absent = permanent. */
    minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 * 24 * 3650 })),
    /** Ban the session's address as well as its account. */
    ip: Type.Optional(Type.Boolean()),
    ref: Ref,
  },
  strict,
);
export const MoveSchema = Type.Object(
  { type: Type.Literal('move'), ssrc: Ssrc, channel: ChannelRefIn, ref: Ref },
  strict,
);
export const ServerMuteSchema = Type.Object(
  {
    type: Type.Literal('server_mute'),
    ssrc: Ssrc,
    muted: Type.Optional(Type.Boolean()),
    deafened: Type.Optional(Type.Boolean()),
    ref: Ref,
  },
  strict,
);
export const PrioritySchema = Type.Object(
  { type: Type.Literal('priority'), ssrc: Ssrc, on: Type.Boolean(), ref: Ref },
  strict,
);
export const LeaveSchema = Type.Object({ type: Type.Literal('leave'), ref: Ref }, strict);
export const StateSchema = Type.Object(
  {
    type: Type.Literal('state'),
    muted: Type.Optional(Type.Boolean()),
    deafened: Type.Optional(Type.Boolean()),
    ref: Ref,
  },
  strict,
);
export const PingSchema = Type.Object({ type: Type.Literal('ping'), t: Type.Number(), ref: Ref }, strict);
/** Largest page a `members` request may ask for. */
export const MAX_MEMBER_PAGE = 200;
/** A cursor into a channel's members (join order): `joined.membersNext` or `members.next`. */
const MemberCursor = Type.Integer({ minimum: 0 });
/** One page of the caller's channel's members (docs/protocol.md §2.3.1). */
export const MembersRequestSchema = Type.Object(
  {
    type: Type.Literal('members'),
    /** Absent: from the first member. */
    after: Type.Optional(MemberCursor),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_MEMBER_PAGE })),
    ref: Ref,
  },
  strict,
);

const FrameCount = Type.Integer({ minimum: 0, maximum: 100_000 });
const Millis = Type.Number({ minimum: 0, maximum: 10_000 });
/** How one speaker arrived at this listener over the report's interval. */
export const ReportStreamSchema = Type.Object(
  {
    ssrc: Ssrc,
    expected: FrameCount,
    lost: FrameCount,
    late: FrameCount,
    concealed: FrameCount,
    recoveredFec: FrameCount,
    recoveredRed: FrameCount,
    accelerated: FrameCount,
    stretched: FrameCount,
    /** Packets the jitter buffer threw away: duplicates, and the oldest when its ring was full (optional: older clients). */
    dropped: Type.Optional(FrameCount),
    jitterMs: Millis,
    delayMs: Millis,
    deviceMs: Type.Optional(Millis),
  },
  strict,
);
export type ReportStream = Static<typeof ReportStreamSchema>;
/** A receiver report (docs/protocol.md §2.6): no answer unless refused. */
export const ReportSchema = Type.Object(
  {
    type: Type.Literal('report'),
    intervalMs: Type.Integer({ minimum: 1000, maximum: 60_000 }),
    rttMs: Type.Optional(Millis),
    streams: Type.Array(ReportStreamSchema, { maxItems: MAX_REPORT_STREAMS }),
    ref: Ref,
  },
  strict,
);
export type ReportMessage = Static<typeof ReportSchema>;

const CLIENT_SCHEMAS = [
  HelloSchema,
  JoinSchema,
  LeaveSchema,
  StateSchema,
  PingSchema,
  ChatSchema,
  CreateTempSchema,
  KickSchema,
  BanSchema,
  MoveSchema,
  ServerMuteSchema,
  PrioritySchema,
  MembersRequestSchema,
  ReportSchema,
] as const;
export const ClientMessageSchema = Type.Union([...CLIENT_SCHEMAS]);
export type ClientMessage = Static<typeof ClientMessageSchema>;
export type HelloMessage = Static<typeof HelloSchema>;
export type JoinMessage = Static<typeof JoinSchema>;

// ── server → client ──────────────────────────────────────────────────────
const ChannelRef = Type.Object({ id: ChannelId, name: Type.String() }, strict);

export const WelcomeSchema = Type.Object(
  {
    type: Type.Literal('welcome'),
    sessionId: Ssrc,
    name: Type.String(),
    serverVersion: Type.String(),
    user: Type.Object(
      { id: Type.Union([Type.Integer(), Type.Null()]), name: Type.String(), role: Role },
      strict,
    ),
    /** Present this (with the last `seq` seen) in `hello.resume` after a cut. */
    resumeToken: Type.String(),
    /** True when this socket took over an existing session. */
    resumed: Type.Boolean(),
    /** The channel tree. */
    channels: Type.Array(ChannelInfoSchema),
    seq: Seq,
    ref: Ref,
  },
  strict,
);
export const JoinedSchema = Type.Object(
  {
    type: Type.Literal('joined'),
    channel: ChannelRef,
    self: MemberSchema,
    /** The first page of the others, oldest first. */
    members: Type.Array(MemberSchema),
    /** Everyone in the channel, self included. */
    memberCount: Type.Integer({ minimum: 1 }),
    /** Cursor of the rest for a `members` request; null when `members` is complete. */
    membersNext: Type.Union([MemberCursor, Type.Null()]),
    media: MediaParamsSchema,
    seq: Seq,
    ref: Ref,
  },
  strict,
);
export const LeftSchema = Type.Object(
  { type: Type.Literal('left'), channelId: ChannelId, seq: Seq, ref: Ref },
  strict,
);
/**
 * What changed in a channel since the previous batch (docs/protocol.md
 * §2.3.1): one per channel per tick, each member at most once, with its
 * state at the time of the batch.
 */
export const PresenceSchema = Type.Object(
  {
    type: Type.Literal('presence'),
    channelId: ChannelId,
    /** Members in the channel now. */
    count: Type.Integer({ minimum: 0 }),
    /** Came in since the previous batch. */
    joined: Type.Array(MemberSchema),
    /** Were there and still are, with a new state. */
    changed: Type.Array(MemberSchema),
    /** Ssrcs that went away. */
    left: Type.Array(Ssrc),
    /** More changes wait for the next batches. */
    more: Type.Boolean(),
    seq: Seq,
  },
  strict,
);
/** One page of a channel's members, answering `members`. */
export const MembersSchema = Type.Object(
  {
    type: Type.Literal('members'),
    channelId: ChannelId,
    members: Type.Array(MemberSchema),
    /** Cursor of the next page; null on the last. */
    next: Type.Union([MemberCursor, Type.Null()]),
    /** Members in the channel now. */
    count: Type.Integer({ minimum: 0 }),
    seq: Seq,
    ref: Ref,
  },
  strict,
);
export const PongSchema = Type.Object(
  { type: Type.Literal('pong'), t: Type.Number(), serverTime: Type.Number(), seq: Seq, ref: Ref },
  strict,
);
export const ErrorSchema = Type.Object(
  {
    type: Type.Literal('error'),
    code: Type.Union(Object.values(ErrorCode).map((c) => Type.Literal(c))),
    message: Type.String(),
    seq: Seq,
    ref: Ref,
  },
  strict,
);

export const ChatMessageSchema = Type.Object(
  {
    id: Type.Integer(),
    channelId: ChannelId,
    authorId: Type.Union([Type.Integer(), Type.Null()]),
    authorName: Type.String(),
    text: Type.String(),
    createdAt: Type.String(),
  },
  strict,
);
export type ChatMessageInfo = Static<typeof ChatMessageSchema>;
export const ChatEventSchema = Type.Object(
  { type: Type.Literal('chat'), message: ChatMessageSchema, seq: Seq, ref: Ref },
  strict,
);
export const ChannelCreatedSchema = Type.Object(
  { type: Type.Literal('channel_created'), channel: ChannelInfoSchema, seq: Seq },
  strict,
);
export const ChannelUpdatedSchema = Type.Object(
  { type: Type.Literal('channel_updated'), channel: ChannelInfoSchema, seq: Seq },
  strict,
);
export const ChannelDeletedSchema = Type.Object(
  { type: Type.Literal('channel_deleted'), channelId: ChannelId, seq: Seq },
  strict,
);
/** The server ends this session (kick, ban, account deleted); the socket closes next. */
export const DisconnectedSchema = Type.Object(
  {
    type: Type.Literal('disconnected'),
    code: Type.String(),
    reason: Type.String(),
    by: Type.Optional(Type.String()),
    seq: Seq,
  },
  strict,
);
/** What a speaker's listeners report, together (docs/protocol.md §2.6). */
export const QualityAggregateSchema = Type.Object(
  {
    /** Listeners with a recent entry about this speaker. */
    listeners: Type.Integer({ minimum: 1 }),
    lossPct: Type.Object({ mean: Type.Number(), max: Type.Number() }, strict),
    jitterMs: Type.Object({ max: Type.Number() }, strict),
    delayMs: Type.Object({ mean: Type.Number() }, strict),
    r: Type.Object({ min: Type.Number(), mean: Type.Number() }, strict),
    mos: Type.Object({ min: Type.Number(), mean: Type.Number() }, strict),
  },
  strict,
);
export type QualityAggregate = Static<typeof QualityAggregateSchema>;
export const QualitySchema = Type.Object(
  { type: Type.Literal('quality'), ...QualityAggregateSchema.properties, seq: Seq },
  strict,
);

/** Answer to a moderation action that has no other reply. */
export const OkSchema = Type.Object({ type: Type.Literal('ok'), seq: Seq, ref: Ref }, strict);

const SERVER_SCHEMAS = [
  ChatEventSchema,
  ChannelCreatedSchema,
  ChannelUpdatedSchema,
  ChannelDeletedSchema,
  DisconnectedSchema,
  OkSchema,
  WelcomeSchema,
  JoinedSchema,
  LeftSchema,
  PresenceSchema,
  MembersSchema,
  PongSchema,
  ErrorSchema,
  QualitySchema,
] as const;
export const ServerMessageSchema = Type.Union([...SERVER_SCHEMAS]);
export type ServerMessage = Static<typeof ServerMessageSchema>;
export type WelcomeMessage = Static<typeof WelcomeSchema>;
export type JoinedMessage = Static<typeof JoinedSchema>;
export type ErrorMessage = Static<typeof ErrorSchema>;
export type PresenceMessage = Static<typeof PresenceSchema>;
export type MembersMessage = Static<typeof MembersSchema>;
export type QualityMessage = Static<typeof QualitySchema>;

export interface ControlParseError {
  code: ErrorCode;
  message: string;
  ref?: string;
}

/** A schema check: TypeBox's compiled one, or its interpreted `Value` one where code cannot be generated. */
interface Validator {
  Check(value: unknown): boolean;
  Errors(value: unknown): { First(): ValueError | undefined };
}

/**
 * Compiles a schema into a checking function (fast: the server checks every
 * message with it). Generated code needs `new Function`, which a page whose
 * Content-Security-Policy has no 'unsafe-eval' refuses with an EvalError —
 * the web app served by Parley itself — so there the same schema is checked
 * by TypeBox's interpreter instead (same answers, slower; a client checks
 * only what its server sends it).
 */
function compileSchema(schema: TSchema): Validator {
  try {
    return TypeCompiler.Compile(schema);
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'EvalError') throw err;
    return { Check: (v) => Value.Check(schema, v), Errors: (v) => Value.Errors(schema, v) };
  }
}

/** Validators per message type, so an error names the right schema's first failure. */
function compileByType(schemas: readonly TSchema[]): Map<string, Validator> {
  const map = new Map<string, Validator>();
  for (const s of schemas) {
    const lit = (s as unknown as { properties: { type: { const: string } } }).properties.type.const;
    map.set(lit, compileSchema(s));
  }
  return map;
}

/** Compiled on first use: a client never parses client messages, the server never server messages. */
let clientValidators: Map<string, Validator> | null = null;
let serverValidators: Map<string, Validator> | null = null;

function parseWith<T>(
  text: string,
  validators: Map<string, Validator>,
  maxBytes: number,
): Result<T, ControlParseError> {
  // UTF-8 length is at most 3 bytes per UTF-16 unit; check cheaply first.
  if (
    text.length > maxBytes ||
    (text.length * 3 > maxBytes && new TextEncoder().encode(text).length > maxBytes)
  ) {
    return {
      ok: false,
      reason: { code: ErrorCode.MessageTooLarge, message: `message over ${maxBytes} bytes` },
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: { code: ErrorCode.BadMessage, message: 'not valid JSON' } };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: { code: ErrorCode.BadMessage, message: 'a message must be a JSON object' } };
  }
  const obj = value as Record<string, unknown>;
  const ref = typeof obj.ref === 'string' && obj.ref.length > 0 && obj.ref.length <= 64 ? obj.ref : undefined;
  const fail = (message: string): Result<T, ControlParseError> => ({
    ok: false,
    reason:
      ref === undefined
        ? { code: ErrorCode.BadMessage, message }
        : { code: ErrorCode.BadMessage, message, ref },
  });
  const validator = typeof obj.type === 'string' ? validators.get(obj.type) : undefined;
  if (validator === undefined) return fail(`unknown message type ${JSON.stringify(obj.type ?? null)}`);
  if (!validator.Check(value)) {
    const first = validator.Errors(value).First();
    const path = first?.path === '' || first === undefined ? '(message)' : first.path;
    // A broken text rule (text.ts) says which, rather than printing the regular expression.
    const custom = first === undefined ? undefined : (first.schema as Record<string, unknown>)[PATTERN_ERROR];
    const why =
      typeof custom === 'string' && first?.type === ValueErrorType.StringPattern ? custom : first?.message;
    return fail(`${String(obj.type)}: ${path}: ${why ?? 'invalid'}`);
  }
  return { ok: true, value: value as T };
}

/** Parses and validates one client → server message. */
export function parseClientMessage(text: string): Result<ClientMessage, ControlParseError> {
  clientValidators ??= compileByType(CLIENT_SCHEMAS);
  return parseWith<ClientMessage>(text, clientValidators, MAX_CONTROL_MESSAGE_BYTES);
}

/** Parses and validates one server → client message. */
export function parseServerMessage(text: string): Result<ServerMessage, ControlParseError> {
  serverValidators ??= compileByType(SERVER_SCHEMAS);
  return parseWith<ServerMessage>(text, serverValidators, MAX_SERVER_MESSAGE_BYTES);
}
