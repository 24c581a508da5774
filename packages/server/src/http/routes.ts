import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ChannelStore } from '../db/channels.js';
import type { Hub } from '../control/hub.js';

const ChannelOut = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  createdAt: Type.String(),
  members: Type.Integer({ description: 'people in the channel now' }),
});

/** REST API of the voice core: channels, health, media statistics. */
export function registerRoutes(
  app: FastifyInstance,
  deps: { store: ChannelStore; hub: Hub; version: string },
): void {
  app.get(
    '/api/v1/channels',
    { schema: { response: { 200: Type.Object({ items: Type.Array(ChannelOut) }) } } },
    async () => {
      const channels = await deps.store.list();
      return { items: channels.map((c) => ({ ...c, members: deps.hub.memberCount(c.id) })) };
    },
  );

  app.get(
    '/api/v1/health',
    { schema: { response: { 200: Type.Object({ status: Type.Literal('ok'), version: Type.String() }) } } },
    () => ({ status: 'ok' as const, version: deps.version }),
  );

  app.get('/api/v1/stats', () => ({
    sessions: deps.hub.plane.sessionCount,
    media: deps.hub.plane.stats.snapshot(),
  }));
}
