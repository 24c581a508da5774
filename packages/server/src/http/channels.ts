/** /channels: the channel tree and its per-role permission overrides (docs/control-plane.md "Channels"). */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ErrorCode } from '@parley/protocol';
import { Perm, permMask, permNames, ROLES, type ActorRole } from '../auth/permissions.js';
import { CHANNEL_SORTS, type Channel } from '../db/channels.js';
import { toChannelInfo } from '../control/hub.js';
import { fail } from '../services/errors.js';
import { requireUser } from './actor.js';
import { Id, listQuery, NameText, pageRequest, PageOf, Text } from './list.js';
import type { RouteDeps } from './routes.js';
import { ActorRoleSchema, BODY_ERRORS, ChannelSchema, NoContent, problems, SECURITY } from './schemas.js';

const PermNameSchema = Type.Union(Object.keys(Perm).map((k) => Type.Literal(k)));
const PermList = Type.Array(PermNameSchema, { maxItems: Object.keys(Perm).length, uniqueItems: true });

const ChannelQuery = listQuery(Object.keys(CHANNEL_SORTS), {
  q: Type.Optional(
    Text({ minLength: 1, maxLength: 64, description: 'substring of the name, case-insensitive' }),
  ),
  parentId: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 2_147_483_647,
      description: 'children of this channel; 0 = top level',
    }),
  ),
});

const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
const RoleParams = Type.Object({ id: Id, role: ActorRoleSchema }, { additionalProperties: false });

const channelFields = {
  name: NameText(64),
  parentId: Type.Optional(Type.Union([Id, Type.Null()], { description: 'null = top level' })),
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  description: Type.Optional(Text({ maxLength: 1000 })),
  userLimit: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, description: '0 = server default' })),
  password: Type.Optional(
    Type.Union([Type.String({ maxLength: 256 }), Type.Null()], {
      description: 'write-only; null or "" = open',
    }),
  ),
  temporary: Type.Optional(Type.Boolean()),
};

const ChannelCreate = Type.Object(channelFields, { additionalProperties: false });
const ChannelPatch = Type.Partial(Type.Object(channelFields), {
  additionalProperties: false,
  minProperties: 1,
});

const OrderBody = Type.Object(
  {
    parentId: Type.Union([Id, Type.Null()], { description: 'whose children; null = the top level' }),
    ids: Type.Array(Id, {
      maxItems: 1000,
      uniqueItems: true,
      description: 'every child of `parentId`, each once, in the new order (positions 0, 1, 2…)',
    }),
  },
  { additionalProperties: false },
);
const ChannelList = Type.Object({ items: Type.Array(ChannelSchema) }, { title: 'ChannelList' });

const OverrideSchema = Type.Object(
  { role: ActorRoleSchema, allow: PermList, deny: PermList },
  { title: 'PermissionOverride' },
);
const PermissionsSchema = Type.Object(
  {
    channelId: Type.Integer(),
    overrides: Type.Array(OverrideSchema, { description: "this channel's own overrides" }),
    effective: Type.Object(
      Object.fromEntries(ROLES.map((r) => [r, PermList])) as Record<ActorRole, typeof PermList>,
      { description: 'what each role may do here, inherited overrides included' },
    ),
  },
  { title: 'ChannelPermissions' },
);
const OverrideBody = Type.Object({ allow: PermList, deny: PermList }, { additionalProperties: false });

export const CHANNEL_SORT_SPEC = {
  columns: CHANNEL_SORTS,
  integer: ['id', 'position'],
  default: 'id',
} as const;

export function channelRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { services, stores, hub } = deps;
  const tags = ['channels'];
  /** The public view of a channel: never its password hash. */
  const out = (c: Channel) => ({
    ...toChannelInfo(c),
    createdAt: c.createdAt,
    members: hub.memberCount(c.id),
  });
  const asRole = (role: ActorRole) => ({ userId: null, name: role, role, ip: null });

  app.get<{ Querystring: Static<typeof ChannelQuery> }>(
    '/channels',
    {
      schema: {
        tags,
        summary: 'List channels, with how many people are in each',
        security: SECURITY.optional,
        querystring: ChannelQuery,
        response: { 200: PageOf(ChannelSchema, 'ChannelPage'), ...problems(400) },
      },
    },
    async (req) => {
      const q = req.query;
      const res = await stores.channels.list(
        {
          ...(q.q === undefined ? {} : { q: q.q }),
          ...(q.parentId === undefined ? {} : { parentId: q.parentId }),
        },
        pageRequest(q, CHANNEL_SORT_SPEC),
      );
      return { items: res.items.map(out), nextCursor: res.nextCursor };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/channels/:id',
    {
      schema: {
        tags,
        summary: 'One channel',
        security: SECURITY.optional,
        params: IdParams,
        response: { 200: ChannelSchema, ...problems(400, 404) },
      },
    },
    (req) => out(services.channels.get(req.params.id)),
  );

  app.post<{ Body: Static<typeof ChannelCreate> }>(
    '/channels',
    {
      schema: {
        tags,
        summary: 'Create a channel (ManageChannel on the parent)',
        security: SECURITY.user,
        body: ChannelCreate,
        response: { 201: ChannelSchema, ...problems(...BODY_ERRORS, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const actor = requireUser(req);
      const { password, ...rest } = req.body;
      const c = await services.channels.create(actor, {
        ...rest,
        ...(password === undefined ? {} : { password }),
      });
      return reply.code(201).send(out(c));
    },
  );

  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof ChannelPatch> }>(
    '/channels/:id',
    {
      schema: {
        tags,
        summary: 'Rename, move, describe, limit or lock a channel (ManageChannel)',
        security: SECURITY.user,
        params: IdParams,
        body: ChannelPatch,
        response: { 200: ChannelSchema, ...problems(...BODY_ERRORS, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const actor = requireUser(req);
      return out(await services.channels.update(actor, req.params.id, req.body));
    },
  );

  app.put<{ Body: Static<typeof OrderBody> }>(
    '/channels/order',
    {
      schema: {
        tags,
        summary:
          "Reorder a channel's children (or the top-level channels) at once (ManageChannel on the parent)",
        security: SECURITY.user,
        body: OrderBody,
        response: { 200: ChannelList, ...problems(...BODY_ERRORS, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const actor = requireUser(req);
      const children = await services.channels.reorder(actor, req.body.parentId, req.body.ids);
      return { items: children.map(out) };
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/channels/:id',
    {
      schema: {
        tags,
        summary:
          'Delete a channel and its sub-channels; the people inside move to the parent (ManageChannel)',
        security: SECURITY.user,
        params: IdParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const actor = requireUser(req);
      await services.channels.remove(actor, req.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/channels/:id/permissions',
    {
      schema: {
        tags,
        summary: "A channel's permission overrides and each role's effective permissions (ManageChannel)",
        security: SECURITY.user,
        params: IdParams,
        response: { 200: PermissionsSchema, ...problems(400, 401, 403, 404) },
      },
    },
    (req) => {
      const actor = requireUser(req);
      const ch = services.channels.get(req.params.id);
      if (!hub.may(actor, Perm.ManageChannel, ch.id))
        fail(ErrorCode.Forbidden, 'you may not manage this channel');
      const own = hub.chain(ch.id).at(-1) ?? [];
      return {
        channelId: ch.id,
        overrides: own.map((o) => ({ role: o.role, allow: permNames(o.allow), deny: permNames(o.deny) })),
        effective: Object.fromEntries(ROLES.map((r) => [r, permNames(hub.permsOf(asRole(r), ch.id))])),
      };
    },
  );

  app.put<{ Params: Static<typeof RoleParams>; Body: Static<typeof OverrideBody> }>(
    '/channels/:id/permissions/:role',
    {
      schema: {
        tags,
        summary: "Set a role's override in a channel (ManageChannel); empty allow and deny remove it",
        security: SECURITY.user,
        params: RoleParams,
        body: OverrideBody,
        response: { 200: OverrideSchema, ...problems(...BODY_ERRORS, 401, 403, 404) },
      },
    },
    async (req) => {
      const actor = requireUser(req);
      const { id, role } = req.params;
      const allow = permMask(req.body.allow);
      const deny = permMask(req.body.deny);
      await services.channels.setOverride(actor, id, role, allow, deny);
      return { role, allow: permNames(allow), deny: permNames(deny) };
    },
  );
}
