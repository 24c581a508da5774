/**
 * The REST API under /api/v1 (docs/control-plane.md "REST API"): one plugin
 * per resource, every route with TypeBox request and response schemas, the
 * OpenAPI 3 document generated from them at /docs/json and Swagger UI at /docs.
 */
import type { ControlCounters } from '@parley/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { limitKey } from '../net/ip.js';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ErrorCode } from '@parley/protocol';
import type { ParleyConfig } from '../config.js';
import type { Hub } from '../control/hub.js';
import type { SettingsStore } from '../db/settings.js';
import { ServiceError, type Services } from '../services/index.js';
import type { Stores } from '../services/context.js';
import { installActor } from './actor.js';
import { auditRoutes } from './audit.js';
import { authRoutes } from './auth.js';
import { banRoutes } from './bans.js';
import { channelRoutes } from './channels.js';
import { chatRoutes } from './chat.js';
import { configRoutes } from './config.js';
import { DOCS_PREFIX } from './security.js';
import { qualityRoutes } from './quality.js';
import { sessionRoutes } from './sessions.js';
import { systemRoutes } from './system.js';
import { userRoutes } from './users.js';
import { typeboxValidatorCompiler } from './validation.js';

import type { EdgeCounters } from './connections.js';

export interface RouteDeps {
  services: Services;
  stores: Stores;
  settings: SettingsStore;
  hub: Hub;
  config: ParleyConfig;
  version: string;
  /** The HTTP edge's counters (http/connections.ts), shown by GET /stats. */
  edge: Readonly<EdgeCounters>;
  /** The control plane's counters now (presence, slow sockets, guests refused): GET /stats and /metrics. */
  control: () => ControlCounters;
}

export const API_PREFIX = '/api/v1';

const TAGS = [
  { name: 'auth', description: 'Accounts of your own: register, log in and out, change your password' },
  { name: 'users', description: 'Accounts (moderators read, admins change)' },
  { name: 'channels', description: 'The channel tree and its permission overrides' },
  { name: 'chat', description: 'Text chat per channel' },
  { name: 'sessions', description: 'Who is online, and moderating a live session' },
  { name: 'bans', description: 'Account and address bans (moderator)' },
  { name: 'audit', description: 'The audit log (moderator)' },
  { name: 'config', description: 'Run-time settings (admin)' },
  { name: 'system', description: 'Health and media statistics' },
];

/** A 429 from @fastify/rate-limit, turned into problem+json by problem.ts (Retry-After is set by the plugin). */
class RateLimitedError extends Error {
  readonly code = ErrorCode.RateLimited;
  readonly statusCode = 429;
}

/** preValidation of routes that take no body: absent, or `{}`. */
function rejectBody(req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  const b = req.body;
  const empty =
    b === undefined ||
    b === null ||
    (typeof b === 'object' && !Array.isArray(b) && Object.keys(b).length === 0);
  done(empty ? undefined : new ServiceError(ErrorCode.Validation, 'body: this request takes no body'));
}

/** Registers the OpenAPI document, Swagger UI, the login rate limit and every /api/v1 route. */
export async function registerRoutes(app: FastifyInstance, deps: RouteDeps): Promise<void> {
  installActor(app, deps.services);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Parley API',
        version: deps.version,
        description:
          'REST API of a Parley voice chat server (docs/control-plane.md). Errors are ' +
          '`application/problem+json` with a stable `code` (docs/errors.md). Lists take ' +
          '`limit`, `cursor` and `sort` and answer `{ items, nextCursor }`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'a token from POST /api/v1/auth/login or /auth/register',
          },
        },
      },
      tags: TAGS,
    },
    // Only the REST API is documented: not the WebSocket (/ws, docs/protocol.md) nor the docs themselves.
    transform: ({ schema, url }) => ({
      schema: url.startsWith(`${API_PREFIX}/`) ? schema : { ...schema, hide: true },
      url,
    }),
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });

  await app.register(
    async (api) => {
      // Strict request validation: unknown fields and loose values are a 400 (validation.ts).
      api.setValidatorCompiler(typeboxValidatorCompiler);
      // Bodies are JSON only: anything else is a 415.
      api.removeContentTypeParser('text/plain');
      // A write route without a body schema takes no body (or `{}`): anything else is a 400.
      api.addHook('onRoute', (route) => {
        if (route.method === 'GET' || route.method === 'HEAD' || route.schema?.body !== undefined) return;
        const own = route.preValidation;
        route.preValidation = [...(own === undefined ? [] : Array.isArray(own) ? own : [own]), rejectBody];
      });
      await api.register(rateLimit, {
        global: false,
        // An IPv6 client is counted by its /64 (net/ip.ts limitKey).
        keyGenerator: (req) => limitKey(req.ip),
        errorResponseBuilder: (_req, ctx) => new RateLimitedError(`too many attempts; retry in ${ctx.after}`),
      });
      const plugins = [
        authRoutes,
        userRoutes,
        channelRoutes,
        chatRoutes,
        sessionRoutes,
        qualityRoutes,
        banRoutes,
        auditRoutes,
        configRoutes,
        systemRoutes,
      ];
      for (const plugin of plugins) {
        await api.register((scope, _opts, done) => {
          plugin(scope, deps);
          done();
        });
      }
    },
    { prefix: API_PREFIX },
  );
}
