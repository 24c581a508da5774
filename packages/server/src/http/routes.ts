import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ParleyConfig } from '../config.js';
import type { Hub } from '../control/hub.js';
import type { SettingsStore } from '../db/settings.js';
import type { Services } from '../services/index.js';
import type { Stores } from '../services/context.js';
import { installActor } from './actor.js';

export interface RouteDeps {
  services: Services;
  stores: Stores;
  settings: SettingsStore;
  hub: Hub;
  config: ParleyConfig;
  version: string;
}

const ChannelOut = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  createdAt: Type.String(),
  members: Type.Integer({ description: 'people in the channel now' }),
});

/** The REST API under /api/v1. */
export async function registerRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  installActor(app, deps.services);
  await Promise.resolve();

  app.get(
    '/api/v1/channels',
    { schema: { response: { 200: Type.Object({ items: Type.Array(ChannelOut) }) } } },
    () => ({
      items: deps.hub.channelList().map((c) => ({ ...c, members: deps.hub.memberCount(c.id) })),
    }),
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
