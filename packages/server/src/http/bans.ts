/** /bans: account and/or address bans (moderator). */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ErrorCode } from '@parley/protocol';
import { BAN_SORTS } from '../db/bans.js';
import { fail } from '../services/errors.js';
import { normalizeIpOrCidr } from '../net/ip.js';
import { requireRole } from './actor.js';
import { dateValue, DateParam, Id, listQuery, pageRequest, PageOf, Text } from './list.js';
import type { RouteDeps } from './routes.js';
import { BanSchema, BODY_ERRORS, NoContent, problems, SECURITY } from './schemas.js';

const BanQuery = listQuery(Object.keys(BAN_SORTS), {
  active: Type.Optional(Type.Boolean({ description: 'not expired (true) or expired (false)' })),
  q: Type.Optional(
    Text({ minLength: 1, maxLength: 64, description: 'substring of the user name or the IP' }),
  ),
  createdBefore: Type.Optional(DateParam('created strictly before')),
  createdAfter: Type.Optional(DateParam('created strictly after')),
});

const BanBody = Type.Object(
  {
    userId: Type.Optional(Id),
    ip: Type.Optional(
      Type.String({
        minLength: 2,
        maxLength: 49,
        description: 'IPv4 or IPv6 address, or a CIDR range (10.0.0.0/8, 2001:db8::/32)',
      }),
    ),
    reason: Type.Optional(Text({ maxLength: 500 })),
    expiresAt: Type.Optional(
      Type.Union([DateParam('when the ban ends'), Type.Null()], { description: 'null = permanent' }),
    ),
    minutes: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10 * 365 * 24 * 60, description: 'or: ends in this many minutes' }),
    ),
  },
  {
    additionalProperties: false,
    description: 'userId and/or ip; expiresAt or minutes (neither = permanent)',
  },
);

const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

/** Newest first unless asked otherwise. */
export const BAN_SORT_SPEC = { columns: BAN_SORTS, integer: ['id'], default: '-createdAt' } as const;

export function banRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { services, stores } = deps;
  const tags = ['bans'];

  app.get<{ Querystring: Static<typeof BanQuery> }>(
    '/bans',
    {
      schema: {
        tags,
        summary: 'List bans (moderator)',
        security: SECURITY.user,
        querystring: BanQuery,
        response: { 200: PageOf(BanSchema, 'BanPage'), ...problems(400, 401, 403) },
      },
    },
    (req) => {
      requireRole(req, 'moderator');
      const q = req.query;
      const page = pageRequest(q, BAN_SORT_SPEC);
      const createdBefore = dateValue(q.createdBefore, 'querystring/createdBefore');
      const createdAfter = dateValue(q.createdAfter, 'querystring/createdAfter');
      return stores.bans.list(
        {
          ...(q.active === undefined ? {} : { active: q.active }),
          ...(q.q === undefined ? {} : { q: q.q }),
          ...(createdBefore === undefined ? {} : { createdBefore }),
          ...(createdAfter === undefined ? {} : { createdAfter }),
        },
        page,
      );
    },
  );

  app.post<{ Body: Static<typeof BanBody> }>(
    '/bans',
    {
      schema: {
        tags,
        summary:
          "Ban an account and/or an address (moderator): the account's tokens end, matching sessions close (4004)",
        security: SECURITY.user,
        body: BanBody,
        response: { 201: BanSchema, ...problems(...BODY_ERRORS, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const actor = requireRole(req, 'moderator');
      const b = req.body;
      const ip = b.ip === undefined ? null : normalizeIpOrCidr(b.ip);
      if (ip === undefined)
        fail(ErrorCode.Validation, `body/ip: ${JSON.stringify(b.ip)} is not an IP address or a CIDR range`);
      if (b.expiresAt != null && b.minutes !== undefined) {
        fail(ErrorCode.Validation, 'body: give expiresAt or minutes, not both');
      }
      let expiresAt: string | null = null;
      if (b.minutes !== undefined) expiresAt = new Date(Date.now() + b.minutes * 60_000).toISOString();
      else if (b.expiresAt != null) {
        expiresAt = dateValue(b.expiresAt, 'body/expiresAt') ?? null;
        if (expiresAt !== null && Date.parse(expiresAt) <= Date.now()) {
          fail(ErrorCode.Validation, 'body/expiresAt: already past');
        }
      }
      const ban = await services.moderation.ban(actor, {
        userId: b.userId ?? null,
        ip,
        reason: b.reason ?? '',
        expiresAt,
      });
      return reply.code(201).send(ban);
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/bans/:id',
    {
      schema: {
        tags,
        summary: 'Lift a ban (moderator)',
        security: SECURITY.user,
        params: IdParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const actor = requireRole(req, 'moderator');
      await services.moderation.liftBan(actor, req.params.id);
      return reply.code(204).send();
    },
  );
}
