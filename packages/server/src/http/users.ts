/** /users: accounts. Reading needs moderator, changing needs admin (docs/control-plane.md "Roles"). */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ErrorCode } from '@parley/protocol';
import { USER_SORTS, type User } from '../db/users.js';
import type { Role } from '../db/schema.js';
import { fail } from '../services/errors.js';
import { requireRole } from './actor.js';
import {
  dateValue,
  DateParam,
  Id,
  listQuery,
  ListParam,
  listValues,
  NameText,
  pageRequest,
  Text,
  PageOf,
} from './list.js';
import type { RouteDeps } from './routes.js';
import { BODY_ERRORS, NoContent, problems, RoleSchema, SECURITY, UserWithPresenceSchema } from './schemas.js';

const ROLE_VALUES: readonly Role[] = ['admin', 'moderator', 'member'];

const UserQuery = listQuery(Object.keys(USER_SORTS), {
  role: Type.Optional(ListParam('admin | moderator | member; repeatable or a comma list')),
  q: Type.Optional(
    Text({ minLength: 1, maxLength: 64, description: 'substring of the name, case-insensitive' }),
  ),
  createdBefore: Type.Optional(DateParam('created strictly before')),
  createdAfter: Type.Optional(DateParam('created strictly after')),
  online: Type.Optional(Type.Boolean({ description: 'has a live WebSocket session (true) or not (false)' })),
});

const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

const UserCreate = Type.Object(
  {
    name: NameText(32),
    password: Type.String({ minLength: 8, maxLength: 256 }),
    role: RoleSchema,
  },
  { additionalProperties: false },
);

const UserPatch = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    password: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const USER_SORT_SPEC = { columns: USER_SORTS, integer: ['id'], default: 'id' } as const;

export function userRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { services, stores, hub } = deps;
  const tags = ['users'];
  const withPresence = (u: User, online: ReadonlySet<number>) => ({ ...u, online: online.has(u.id) });

  app.get<{ Querystring: Static<typeof UserQuery> }>(
    '/users',
    {
      schema: {
        tags,
        summary: 'List accounts (moderator)',
        security: SECURITY.user,
        querystring: UserQuery,
        response: { 200: PageOf(UserWithPresenceSchema, 'UserPage'), ...problems(400, 401, 403) },
      },
    },
    async (req) => {
      requireRole(req, 'moderator');
      const q = req.query;
      const page = pageRequest(q, USER_SORT_SPEC);
      const online = hub.onlineUserIds();
      const role = listValues(q.role, 'role', ROLE_VALUES);
      const createdBefore = dateValue(q.createdBefore, 'querystring/createdBefore');
      const createdAfter = dateValue(q.createdAfter, 'querystring/createdAfter');
      const res = await stores.users.list(
        {
          ...(role === undefined ? {} : { role }),
          ...(q.q === undefined ? {} : { q: q.q }),
          ...(createdBefore === undefined ? {} : { createdBefore }),
          ...(createdAfter === undefined ? {} : { createdAfter }),
          ...(q.online === undefined ? {} : { online: { online: q.online, ids: online } }),
        },
        page,
      );
      const set = new Set(online);
      return { items: res.items.map((u) => withPresence(u, set)), nextCursor: res.nextCursor };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'One account (moderator)',
        security: SECURITY.user,
        params: IdParams,
        response: { 200: UserWithPresenceSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => {
      requireRole(req, 'moderator');
      const u = await stores.users.byId(req.params.id);
      if (u === undefined) fail(ErrorCode.UnknownUser, `no user ${req.params.id}`);
      return withPresence(u, new Set(hub.onlineUserIds()));
    },
  );

  app.post<{ Body: Static<typeof UserCreate> }>(
    '/users',
    {
      schema: {
        tags,
        summary: 'Create an account (admin)',
        security: SECURITY.user,
        body: UserCreate,
        response: { 201: UserWithPresenceSchema, ...problems(...BODY_ERRORS, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      const actor = requireRole(req, 'admin');
      const u = await services.auth.createUser(actor, req.body.name, req.body.password, req.body.role);
      return reply.code(201).send({ ...u, online: false });
    },
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof UserPatch> }>(
    '/users/:id',
    {
      schema: {
        tags,
        summary: "Change an account's role and/or password (admin); its tokens and live sessions end",
        security: SECURITY.user,
        params: IdParams,
        body: UserPatch,
        response: { 200: UserWithPresenceSchema, ...problems(...BODY_ERRORS, 401, 403, 404) },
      },
    },
    async (req) => {
      const actor = requireRole(req, 'admin');
      const u = await services.auth.updateUser(actor, req.params.id, {
        ...(req.body.role === undefined ? {} : { role: req.body.role }),
        ...(req.body.password === undefined ? {} : { password: req.body.password }),
      });
      return withPresence(u, new Set(hub.onlineUserIds()));
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/users/:id',
    {
      schema: {
        tags,
        summary: 'Delete an account (admin); its tokens and live sessions end',
        security: SECURITY.user,
        params: IdParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const actor = requireRole(req, 'admin');
      await services.auth.deleteUser(actor, req.params.id);
      return reply.code(204).send();
    },
  );
}
