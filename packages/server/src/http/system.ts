/**
 * /health (anyone), /stats (moderator): liveness, the media, HTTP edge and control-plane counters;
 * /metrics (admin): the counters plus the forwarding-time histogram and the
 * process's CPU, memory and event-loop delay — the figures a load test
 * compares its own measurements with.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  ControlCountersSchema,
  MediaCountersSchema,
  ServerMetricsSchema,
  type ServerMetrics,
} from '@parley/protocol';
import { DEFAULT_CHANNEL } from '../app.js';
import { requireRole } from './actor.js';
import { LoopDelayMonitor } from './loop-delay.js';
import type { RouteDeps } from './routes.js';
import { problems, SECURITY } from './schemas.js';

const Count = Type.Integer({ minimum: 0 });
/** http/connections.ts EdgeCounters. */
const EdgeSchema = Type.Object(
  {
    connections: Type.Integer({ minimum: 0, description: 'TCP connections open now (HTTP and WebSocket)' }),
    refusedServerFull: Type.Integer({
      minimum: 0,
      description: 'closed at once: http.maxConnections reached',
    }),
    refusedPerAddress: Type.Integer({
      minimum: 0,
      description: 'closed at once: http.maxConnectionsPerAddress reached for the address',
    }),
    refusedOrigin: Type.Integer({ minimum: 0, description: '/ws handshakes refused for their Origin' }),
    badFrames: Count,
  },
  { description: 'the HTTP edge since start (docs/security.md "HTTP and input")' },
);

const StatsSchema = Type.Object(
  {
    sessions: Type.Integer({ description: 'media sessions now' }),
    media: MediaCountersSchema,
    http: EdgeSchema,
    control: ControlCountersSchema,
  },
  { title: 'Stats' },
);

const HealthSchema = Type.Object({ status: Type.Literal('ok'), version: Type.String() }, { title: 'Health' });

const InfoSchema = Type.Object(
  {
    version: Type.String(),
    allowGuests: Type.Boolean({ description: 'nickname-only guests may connect (run-time setting)' }),
    allowRegistration: Type.Boolean({ description: 'POST /auth/register is open (run-time setting)' }),
    defaultChannel: Type.String({ description: 'the channel newcomers land in' }),
  },
  { title: 'ServerInfo' },
);

export function systemRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const tags = ['system'];
  const loop = new LoopDelayMonitor();
  loop.start();
  app.addHook('onClose', (_app, done) => {
    loop.stop();
    done();
  });
  const started = performance.now();

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
    '/info',
    {
      schema: {
        tags,
        summary: 'What a client needs before logging in: may guests join, may anyone register',
        security: SECURITY.none,
        response: { 200: InfoSchema },
      },
    },
    () => {
      const s = deps.settings.get();
      return {
        version: deps.version,
        allowGuests: s.allowGuests,
        allowRegistration: s.allowRegistration,
        defaultChannel: DEFAULT_CHANNEL,
      };
    },
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
      return {
        sessions: deps.hub.plane.sessionCount,
        media: deps.hub.plane.stats.snapshot(),
        http: { ...deps.edge },
        control: deps.control(),
      };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags,
        summary: 'Media counters, forwarding-time histogram, process CPU / memory / event-loop delay (admin)',
        security: SECURITY.user,
        response: { 200: ServerMetricsSchema, ...problems(401, 403) },
      },
    },
    (req): ServerMetrics => {
      requireRole(req, 'admin');
      const cpu = process.cpuUsage();
      const mem = process.memoryUsage();
      return {
        uptimeS: (performance.now() - started) / 1000,
        sessions: deps.hub.plane.sessionCount,
        process: {
          cpuUserUs: cpu.user,
          cpuSystemUs: cpu.system,
          rssBytes: mem.rss,
          heapUsedBytes: mem.heapUsed,
          eventLoopDelayMs: loop.read(),
        },
        media: deps.hub.plane.stats.snapshot(),
        control: deps.control(),
      };
    },
  );
}
