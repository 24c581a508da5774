/**
 * /sessions: who is online (live WebSocket sessions, from the Hub) and the
 * moderation of a session: kick, move, server mute / deafen, priority speaker.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { atLeast, ROLES, type ActorRole } from '../auth/permissions.js';
import { memberOf, type HubPeer } from '../control/hub.js';
import { requireUser } from './actor.js';
import { Id, listQuery, ListParam, listValues, pageRequest, PageOf, paginateArray, Text } from './list.js';
import type { RouteDeps } from './routes.js';
import { BODY_ERRORS, NoContent, problems, SECURITY, SessionSchema } from './schemas.js';

const SESSION_SORTS = { id: 'id', name: 'name' } as const;
const SESSION_SORT_SPEC = {
  columns: SESSION_SORTS,
  integer: ['id'],
  default: 'id',
  maxInt: 0xffff_ffff,
} as const;

const SessionQuery = listQuery(Object.keys(SESSION_SORTS), {
  channelId: Type.Optional(Id),
  q: Type.Optional(
    Text({ minLength: 1, maxLength: 64, description: 'substring of the name, case-insensitive' }),
  ),
  role: Type.Optional(ListParam('admin | moderator | member | guest; repeatable or a comma list')),
});

const SessionParams = Type.Object(
  { id: Type.Integer({ minimum: 1, maximum: 0xffff_ffff, description: 'session id (ssrc)' }) },
  { additionalProperties: false },
);

const KickBody = Type.Object(
  { reason: Type.Optional(Text({ maxLength: 200 })) },
  { additionalProperties: false },
);
const MoveBody = Type.Object({ channelId: Id }, { additionalProperties: false });
const MuteBody = Type.Object(
  {
    muted: Type.Optional(Type.Boolean({ description: 'server mute (sticky until lifted)' })),
    deafened: Type.Optional(Type.Boolean({ description: 'server deafen' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
const PriorityBody = Type.Object({ on: Type.Boolean() }, { additionalProperties: false });

export function sessionRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { services, hub } = deps;
  const tags = ['sessions'];
  const view = (p: HubPeer, withIp: boolean) => ({
    ...memberOf(p),
    id: p.media.ssrc,
    channelId: p.media.channelId,
    ...(withIp ? { ip: p.actor.ip } : {}),
  });

  app.get<{ Querystring: Static<typeof SessionQuery> }>(
    '/sessions',
    {
      schema: {
        tags,
        summary: 'Who is online (IP addresses only for moderators)',
        security: SECURITY.optional,
        querystring: SessionQuery,
        response: { 200: PageOf(SessionSchema, 'SessionPage'), ...problems(400) },
      },
    },
    (req) => {
      const q = req.query;
      const page = pageRequest(q, SESSION_SORT_SPEC);
      const roles = listValues<ActorRole>(q.role, 'role', ROLES);
      const needle = q.q?.toLowerCase();
      const peers = hub
        .allPeers()
        .filter(
          (p) =>
            (q.channelId === undefined || p.media.channelId === q.channelId) &&
            (needle === undefined || p.actor.name.toLowerCase().includes(needle)) &&
            (roles === undefined || roles.includes(p.actor.role)),
        );
      const res = paginateArray(
        peers,
        page,
        (p) => (page.column === 'name' ? p.actor.name.toLowerCase() : p.media.ssrc),
        (p) => p.media.ssrc,
      );
      const withIp = atLeast(req.actor.role, 'moderator');
      return { items: res.items.map((p) => view(p, withIp)), nextCursor: res.nextCursor };
    },
  );

  const action = <B>(
    path: string,
    summary: string,
    body: TSchema,
    run: (actor: ReturnType<typeof requireUser>, id: number, body: B) => Promise<void>,
  ): void => {
    app.post<{ Params: Static<typeof SessionParams>; Body: B }>(
      `/sessions/:id/${path}`,
      {
        schema: {
          tags,
          summary,
          security: SECURITY.user,
          params: SessionParams,
          body,
          response: { 204: NoContent, ...problems(...BODY_ERRORS, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        const actor = requireUser(req);
        await run(actor, req.params.id, req.body as B);
        return reply.code(204).send();
      },
    );
  };

  action<Static<typeof KickBody>>(
    'kick',
    'Disconnect a session (MoveKick in its channel); its socket closes with 4003',
    KickBody,
    (actor, id, b) => services.moderation.kick(actor, id, b.reason ?? ''),
  );
  action<Static<typeof MoveBody>>(
    'move',
    'Move a session to another channel (MoveKick in both)',
    MoveBody,
    (actor, id, b) => services.moderation.move(actor, id, b.channelId),
  );
  action<Static<typeof MuteBody>>(
    'mute',
    'Server mute and/or deafen a session (MuteOthers in its channel)',
    MuteBody,
    (actor, id, b) => services.moderation.serverMute(actor, id, b.muted, b.deafened),
  );
  action<Static<typeof PriorityBody>>(
    'priority',
    'Make a session a priority speaker, or not (MuteOthers in its channel)',
    PriorityBody,
    (actor, id, b) => services.moderation.priority(actor, id, b.on),
  );
}
