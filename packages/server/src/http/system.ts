/** /health (anyone) and /stats (moderator): liveness and the media counters. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { DROP_REASONS, SEND_FAILURES } from '../media/stats.js';
import { requireRole } from './actor.js';
import type { RouteDeps } from './routes.js';
import { problems, SECURITY } from './schemas.js';

const counters = (names: readonly string[]) =>
  Type.Object(Object.fromEntries(names.map((n) => [n, Type.Integer()])));

const StatsSchema = Type.Object(
  {
    sessions: Type.Integer({ description: 'media sessions now' }),
    media: Type.Object({
      packetsIn: Type.Integer(),
      bytesIn: Type.Integer(),
      audioIn: Type.Integer(),
      packetsOut: Type.Integer(),
      bytesOut: Type.Integer(),
      dropped: Type.Integer(),
      drops: counters(DROP_REASONS),
      sendFailures: counters(SEND_FAILURES),
    }),
  },
  { title: 'Stats' },
);

const HealthSchema = Type.Object({ status: Type.Literal('ok'), version: Type.String() }, { title: 'Health' });

export function systemRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const tags = ['system'];

  app.get(
    '/health',
    {
      schema: {
        tags,
        summary: 'Liveness',
        security: SECURITY.none,
        response: { 200: HealthSchema },
      },
    },
    () => ({ status: 'ok' as const, version: deps.version }),
  );

  app.get(
    '/stats',
    {
      schema: {
        tags,
        summary: 'Media counters, every dropped packet by reason (moderator; docs/errors.md)',
        security: SECURITY.user,
        response: { 200: StatsSchema, ...problems(401, 403) },
      },
    },
    (req) => {
      requireRole(req, 'moderator');
      return { sessions: deps.hub.plane.sessionCount, media: deps.hub.plane.stats.snapshot() };
    },
  );
}
