/**
 * /health (anyone), /stats (moderator): liveness and the media counters;
 * /metrics (admin): the counters plus the forwarding-time histogram and the
 * process's CPU, memory and event-loop delay — the figures a load test
 * compares its own measurements with.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ServerMetrics } from '@parley/protocol';
import { DROP_REASONS, SEND_FAILURES } from '../media/stats.js';
import { requireRole } from './actor.js';
import { LoopDelayMonitor } from './loop-delay.js';
import type { RouteDeps } from './routes.js';
import { problems, SECURITY } from './schemas.js';

const counters = (names: readonly string[]) =>
  Type.Object(Object.fromEntries(names.map((n) => [n, Type.Integer()])));

const HistogramSchema = Type.Object({
  count: Type.Integer(),
  sumUs: Type.Number(),
  buckets: Type.Array(Type.Object({ leUs: Type.Number(), count: Type.Integer() }), {
    description: 'cumulative: observations ≤ leUs (Prometheus style)',
  }),
  p50Us: Type.Number(),
  p95Us: Type.Number(),
  p99Us: Type.Number(),
  maxUs: Type.Number(),
});

const mediaCounters = {
  packetsIn: Type.Integer(),
  bytesIn: Type.Integer(),
  audioIn: Type.Integer(),
  packetsOut: Type.Integer(),
  bytesOut: Type.Integer(),
  dropped: Type.Integer(),
  drops: counters(DROP_REASONS),
  sendFailures: counters(SEND_FAILURES),
};

const StatsSchema = Type.Object(
  { sessions: Type.Integer({ description: 'media sessions now' }), media: Type.Object(mediaCounters) },
  { title: 'Stats' },
);

const MetricsSchema = Type.Object(
  {
    uptimeS: Type.Number(),
    sessions: Type.Integer({ description: 'media sessions now' }),
    process: Type.Object({
      cpuUserUs: Type.Integer({ description: 'cumulative since start' }),
      cpuSystemUs: Type.Integer(),
      rssBytes: Type.Integer(),
      heapUsedBytes: Type.Integer(),
      eventLoopDelayMs: Type.Object(
        { p50: Type.Number(), p99: Type.Number(), max: Type.Number() },
        {
          description:
            'how late a 10 ms timer fired (0 when idle), over the last complete 10 s window (the current one before the first completes)',
        },
      ),
    }),
    media: Type.Object({ ...mediaCounters, forwardUs: HistogramSchema }),
  },
  { title: 'Metrics' },
);

const HealthSchema = Type.Object({ status: Type.Literal('ok'), version: Type.String() }, { title: 'Health' });

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

  app.get(
    '/metrics',
    {
      schema: {
        tags,
        summary: 'Media counters, forwarding-time histogram, process CPU / memory / event-loop delay (admin)',
        security: SECURITY.user,
        response: { 200: MetricsSchema, ...problems(401, 403) },
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
      };
    },
  );
}
