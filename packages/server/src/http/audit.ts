/** /audit: the audit log (moderator), newest first. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { AUDIT_SORTS } from '../db/audit.js';
import { requireRole } from './actor.js';
import {
  dateValue,
  DateParam,
  Id,
  listQuery,
  ListParam,
  listValues,
  pageRequest,
  PageOf,
  Text,
} from './list.js';
import type { RouteDeps } from './routes.js';
import { AuditEntrySchema, problems, SECURITY } from './schemas.js';

const AuditQuery = listQuery(Object.keys(AUDIT_SORTS), {
  action: Type.Optional(ListParam('e.g. ban.create; repeatable or a comma list')),
  actorId: Type.Optional(Id),
  targetType: Type.Optional(
    Text({ minLength: 1, maxLength: 32, description: 'user | channel | session | ban | config' }),
  ),
  targetId: Type.Optional(Text({ minLength: 1, maxLength: 64 })),
  createdBefore: Type.Optional(DateParam('created strictly before')),
  createdAfter: Type.Optional(DateParam('created strictly after')),
});

/** Newest first unless asked otherwise. */
export const AUDIT_SORT_SPEC = { columns: AUDIT_SORTS, integer: ['id'], default: '-createdAt' } as const;

export function auditRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit log: moderation, administration, refused logins (moderator)',
        security: SECURITY.user,
        querystring: AuditQuery,
        response: { 200: PageOf(AuditEntrySchema, 'AuditPage'), ...problems(400, 401, 403) },
      },
    },
    (req) => {
      requireRole(req, 'moderator');
      const q = req.query;
      const page = pageRequest(q, AUDIT_SORT_SPEC);
      const action = listValues(q.action, 'action');
      const createdBefore = dateValue(q.createdBefore, 'querystring/createdBefore');
      const createdAfter = dateValue(q.createdAfter, 'querystring/createdAfter');
      return deps.stores.audit.list(
        {
          ...(action === undefined ? {} : { action }),
          ...(q.actorId === undefined ? {} : { actorId: q.actorId }),
          ...(q.targetType === undefined ? {} : { targetType: q.targetType }),
          ...(q.targetId === undefined ? {} : { targetId: q.targetId }),
          ...(createdBefore === undefined ? {} : { createdBefore }),
          ...(createdAfter === undefined ? {} : { createdAfter }),
        },
        page,
      );
    },
  );
}
