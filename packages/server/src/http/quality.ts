/**
 * /quality (moderator): the latest receiver reports, one row per
 * (listener, speaker), scored (docs/protocol.md §2.6), with cursor
 * pagination and filters. Worst first by default (`sort=mos`).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { ReportStreamSchema } from '@parley/protocol';
import type { QualityEntry } from '../control/quality-book.js';
import { requireRole } from './actor.js';
import { Id, listQuery, pageRequest, PageOf, paginateArray } from './list.js';
import type { RouteDeps } from './routes.js';
import { problems, SECURITY } from './schemas.js';

const SORTS = { id: 'id', mos: 'mos' } as const;
const SORT_SPEC = {
  columns: SORTS,
  integer: ['id', 'mos'],
  default: 'mos',
  maxInt: Number.MAX_SAFE_INTEGER,
} as const;
const Ssrc = Type.Integer({ minimum: 1, maximum: 0xffff_ffff, description: 'session id (ssrc)' });

const QualityQuery = listQuery(Object.keys(SORTS), {
  channel: Type.Optional(Id),
  speaker: Type.Optional(Ssrc),
  listener: Type.Optional(Ssrc),
  maxMos: Type.Optional(
    Type.Number({ minimum: 1, maximum: 5, description: 'rows scored at or under this MOS' }),
  ),
});

const Party = Type.Object({ ssrc: Type.Integer(), name: Type.String() }, { additionalProperties: false });
const QualityRowSchema = Type.Object(
  {
    id: Type.Integer({ description: 'serial of the report that made this row' }),
    channelId: Type.Integer(),
    speaker: Party,
    listener: Party,
    figures: ReportStreamSchema,
    rttMs: Type.Union([Type.Number(), Type.Null()]),
    lossPct: Type.Number({ description: 'lost + late, percent of expected' }),
    delayMs: Type.Number({ description: 'estimated one-way mouth-to-ear delay' }),
    r: Type.Number({ description: 'E-model R factor, 0–100' }),
    mos: Type.Number({ description: 'MOS predicted from R, 1–4.5' }),
    at: Type.String({ description: 'when it was reported (ISO time)' }),
  },
  { title: 'QualityRow', additionalProperties: false },
);

export function qualityRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { hub } = deps;
  app.get<{ Querystring: Static<typeof QualityQuery> }>(
    '/quality',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Receiver reports: how each speaker reaches each listener, scored (moderator)',
        security: SECURITY.user,
        querystring: QualityQuery,
        response: { 200: PageOf(QualityRowSchema, 'QualityPage'), ...problems(400, 401, 403) },
      },
    },
    (req) => {
      requireRole(req, 'moderator');
      const q = req.query;
      const page = pageRequest(q, SORT_SPEC);
      const now = performance.now();
      const rows = hub.quality.entries(
        { channel: q.channel, speaker: q.speaker, listener: q.listener, maxMos: q.maxMos },
        now,
      );
      const res = paginateArray(
        rows,
        page,
        (e) => (page.column === 'mos' ? Math.round(e.score.mos * 1000) : e.id),
        (e) => e.id,
      );
      const nameOf = (ssrc: number): string => hub.peerBySsrc(ssrc)?.actor.name ?? '';
      const wall = Date.now();
      return {
        items: res.items.map((e: QualityEntry) => ({
          id: e.id,
          channelId: e.channelId,
          speaker: { ssrc: e.speaker, name: nameOf(e.speaker) },
          listener: { ssrc: e.listener, name: nameOf(e.listener) },
          figures: e.figures,
          rttMs: e.rttMs,
          lossPct: e.score.lossPct,
          delayMs: e.score.delayMs,
          r: e.score.r,
          mos: e.score.mos,
          at: new Date(wall - (now - e.at)).toISOString(),
        })),
        nextCursor: res.nextCursor,
      };
    },
  );
}
