/**
 * Response schemas shared by the REST resources, and the route-option
 * pieces every route uses (security, error answers). Fastify serializes a
 * response with its schema, so only the fields declared here ever leave the
 * server (never a password hash).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { ROLES } from '../auth/permissions.js';
import { ProblemSchema, PROBLEM_TYPE } from './problem.js';

export const Timestamp = (description?: string) =>
  Type.String({ format: 'date-time', ...(description === undefined ? {} : { description }) });

/** Account roles (stored). */
export const RoleSchema = Type.Union([
  Type.Literal('admin'),
  Type.Literal('moderator'),
  Type.Literal('member'),
]);
/** Roles of whoever acts, guests included. */
export const ActorRoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));

export const UserSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    role: RoleSchema,
    createdAt: Timestamp(),
  },
  { title: 'User' },
);

export const UserWithPresenceSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    role: RoleSchema,
    createdAt: Timestamp(),
    online: Type.Boolean({ description: 'has a live WebSocket session now' }),
  },
  { title: 'UserWithPresence' },
);

export const LoginSchema = Type.Object(
  {
    token: Type.String({ description: 'bearer token: `Authorization: Bearer <token>`' }),
    expiresAt: Timestamp(),
    user: UserSchema,
  },
  { title: 'Login' },
);

export const ChannelSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    createdAt: Timestamp(),
    members: Type.Integer({ description: 'people in the channel now' }),
    parentId: Type.Union([Type.Integer(), Type.Null()], { description: 'null for a top-level channel' }),
    position: Type.Integer({ description: 'order among siblings' }),
    description: Type.String(),
    userLimit: Type.Integer({ description: '0 = the server-wide maxUsersPerChannel' }),
    hasPassword: Type.Boolean(),
    temporary: Type.Boolean({ description: 'deleted when the last person leaves' }),
  },
  { title: 'Channel' },
);

export const MessageSchema = Type.Object(
  {
    id: Type.Integer(),
    channelId: Type.Integer(),
    authorId: Type.Union([Type.Integer(), Type.Null()], { description: 'null for a guest' }),
    authorName: Type.String(),
    text: Type.String(),
    createdAt: Timestamp(),
  },
  { title: 'Message' },
);

export const SessionSchema = Type.Object(
  {
    id: Type.Integer({ description: 'session id (the media ssrc)' }),
    userId: Type.Union([Type.Integer(), Type.Null()], { description: 'null for a guest' }),
    name: Type.String(),
    role: ActorRoleSchema,
    channelId: Type.Union([Type.Integer(), Type.Null()], { description: 'null when in no channel' }),
    muted: Type.Boolean(),
    deafened: Type.Boolean(),
    serverMuted: Type.Boolean(),
    serverDeafened: Type.Boolean(),
    prioritySpeaker: Type.Boolean(),
    speaking: Type.Boolean(),
    ip: Type.Optional(
      Type.Union([Type.String(), Type.Null()], { description: 'client address; only shown to moderators' }),
    ),
  },
  { title: 'Session' },
);

export const BanSchema = Type.Object(
  {
    id: Type.Integer(),
    userId: Type.Union([Type.Integer(), Type.Null()]),
    userName: Type.Union([Type.String(), Type.Null()], { description: 'the account name at ban time' }),
    ip: Type.Union([Type.String(), Type.Null()]),
    reason: Type.String(),
    createdBy: Type.Union([Type.Integer(), Type.Null()]),
    createdAt: Timestamp(),
    expiresAt: Type.Union([Timestamp(), Type.Null()], { description: 'null = permanent' }),
  },
  { title: 'Ban' },
);

export const AuditEntrySchema = Type.Object(
  {
    id: Type.Integer(),
    actorId: Type.Union([Type.Integer(), Type.Null()], { description: 'null for the server or a guest' }),
    actorName: Type.String(),
    action: Type.String({ description: 'e.g. user.create, channel.delete, session.kick, ban.create' }),
    targetType: Type.String(),
    targetId: Type.Union([Type.String(), Type.Null()]),
    detail: Type.Object({}, { additionalProperties: true }),
    ip: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp(),
  },
  { title: 'AuditEntry' },
);

/** 204: no body. */
export const NoContent = Type.Null({ description: 'No Content' });

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Invalid request: malformed JSON, a wrong type, an unknown field or a bad value',
  401: 'No valid bearer token',
  403: 'Not allowed to do this',
  404: 'No such resource',
  409: 'Conflicts with the current state (e.g. the name is taken)',
  413: 'Body over 64 KiB',
  415: 'Body is not application/json',
  429: 'Too many requests: see Retry-After (or the detail)',
  503: 'Busy (password checks queued to their bound): retry in a moment',
};

/** Error answers of a route, documented as problem+json (docs/errors.md). */
export function problems(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of statuses) {
    out[s] = {
      description: STATUS_TEXT[s] ?? 'Error',
      content: { [PROBLEM_TYPE]: { schema: ProblemSchema } },
    } as unknown as TSchema;
  }
  return out;
}

/** Errors any route with a JSON body can answer. */
export const BODY_ERRORS = [400, 413, 415] as const;

/** OpenAPI `security` of a route: token required, optional, or none. */
export const SECURITY = {
  user: [{ bearerAuth: [] }],
  optional: [{}, { bearerAuth: [] }],
  none: [],
} as const satisfies Record<string, readonly Record<string, readonly string[]>[]>;
