/**
 * The body of the admin-only `GET /api/v1/metrics` (the server's
 * packages/server/src/http/system.ts), shared by the server that produces
 * it and the load generator that reads it: one TypeBox schema, the route's
 * response schema (and so the OpenAPI document), the types derived from it,
 * and a validator for a body fetched from a server. New fields may be
 * added; none are removed or renamed without a new API version, so the
 * schema accepts fields it does not know.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { Result } from './result.js';

const Count = Type.Integer({ minimum: 0 });
/** Named counters; the names are the server's (docs/errors.md). */
const Counters = (description: string) => Type.Record(Type.String(), Count, { description });

/** A `LatencyHistogram` snapshot (histogram.ts): cumulative buckets, Prometheus style. */
export const HistogramSnapshotSchema = Type.Object({
  count: Count,
  sumUs: Type.Number(),
  buckets: Type.Array(Type.Object({ leUs: Type.Number(), count: Count }), {
    description: 'cumulative: observations ≤ leUs (Prometheus style), up to the largest observation',
  }),
  p50Us: Type.Number(),
  p95Us: Type.Number(),
  p99Us: Type.Number(),
  maxUs: Type.Number(),
});
export type HistogramSnapshot = Static<typeof HistogramSnapshotSchema>;

/** The media plane's counters since the server started (also the body of `GET /api/v1/stats`). */
export const MediaCountersSchema = Type.Object({
  packetsIn: Count,
  bytesIn: Count,
  /** Audio packets accepted for routing. */
  audioIn: Count,
  /** Copies sent to listeners (audio + replies). */
  packetsOut: Count,
  bytesOut: Count,
  dropped: Count,
  drops: Counters('packets dropped, by reason (docs/errors.md, "Media drop reasons")'),
  sendFailures: Counters('copies that could not be sent, by cause'),
  validation: Counters(
    'UDP address validation (docs/protocol.md): challenges sent to unvalidated addresses, addresses validated, cookies refused, moves undone (reverted, reverted_by_copy)',
  ),
});

/** The media counters and the forwarding-time histogram. */
export const MediaMetricsSchema = Type.Object({
  ...MediaCountersSchema.properties,
  /** Time from a packet's arrival to its last copy sent, µs. */
  forwardUs: HistogramSnapshotSchema,
});

/**
 * The media part of the metrics; `Drop` and `Failure` narrow the counter
 * names for the server that produces them (any name is accepted on reading).
 */
export type MediaMetrics<Drop extends string = string, Failure extends string = string> = Omit<
  Static<typeof MediaMetricsSchema>,
  'drops' | 'sendFailures' | 'validation'
> & {
  validation: Record<string, number>;
  drops: Record<Drop, number>;
  sendFailures: Record<Failure, number>;
};

/** How late the server's 10 ms sampling timer fired (0 when idle), over its last complete 10 s window, ms. */
export const LoopDelayFiguresSchema = Type.Object(
  { p50: Type.Number(), p99: Type.Number(), max: Type.Number() },
  {
    description:
      'how late a 10 ms timer fired (0 when idle), over the last complete 10 s window (the current one before the first completes)',
  },
);
export type LoopDelayFigures = Static<typeof LoopDelayFiguresSchema>;

/** The control plane's counters since start (docs/protocol.md §2.3, docs/security.md "Join storms"). */
export const ControlCountersSchema = Type.Object(
  {
    presenceBatches: Type.Integer({
      minimum: 0,
      description: 'presence batches flushed (one per channel per tick)',
    }),
    presenceCopies: Type.Integer({ minimum: 0, description: 'copies of those batches sent, one per member' }),
    tooSlow: Type.Integer({
      minimum: 0,
      description: 'sockets closed with 4008: their outgoing buffer passed control.maxBufferedBytes',
    }),
    guestsRefusedServer: Type.Integer({
      minimum: 0,
      description: 'guest hellos refused: limits.guestsPerSecond (server-wide)',
    }),
    guestsRefusedAddress: Type.Integer({
      minimum: 0,
      description: 'guest hellos refused: limits.guestsPerAddressPerMinute (per address, IPv6 per /64)',
    }),
  },
  { description: 'the control plane since start' },
);
export type ControlCounters = Static<typeof ControlCountersSchema>;

export const ServerMetricsSchema = Type.Object(
  {
    uptimeS: Type.Number({ minimum: 0 }),
    sessions: Type.Integer({ minimum: 0, description: 'media sessions now' }),
    process: Type.Object({
      cpuUserUs: Type.Integer({ minimum: 0, description: 'cumulative since start' }),
      cpuSystemUs: Type.Integer({ minimum: 0 }),
      rssBytes: Count,
      heapUsedBytes: Count,
      eventLoopDelayMs: LoopDelayFiguresSchema,
    }),
    media: MediaMetricsSchema,
    control: ControlCountersSchema,
  },
  { title: 'Metrics' },
);
export type ServerMetrics = Static<typeof ServerMetricsSchema>;

let metricsCheck: TypeCheck<typeof ServerMetricsSchema> | undefined;

/**
 * Checks a `GET /api/v1/metrics` body against the schema. The reason names
 * the first mismatch (JSON pointer and message) and how many there are.
 */
export function checkServerMetrics(body: unknown): Result<ServerMetrics> {
  metricsCheck ??= TypeCompiler.Compile(ServerMetricsSchema);
  if (metricsCheck.Check(body)) return { ok: true, value: body };
  const errors = [...metricsCheck.Errors(body)];
  const first = errors[0];
  const where = first === undefined || first.path === '' ? '(body)' : first.path;
  const more = errors.length > 1 ? ` (${errors.length} mismatches)` : '';
  return { ok: false, reason: `${where}: ${first?.message ?? 'invalid'}${more}` };
}
