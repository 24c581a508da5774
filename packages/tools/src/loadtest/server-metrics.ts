/**
 * The server's own figures: GET /api/v1/metrics (admin) read before and
 * after the measured window, and what the difference says — packets in and
 * out, drops by reason, CPU, memory, and forwarding-time percentiles
 * computed from the histogram's bucket deltas (the cumulative p99 that the
 * endpoint reports covers the server's whole life, not this run). The body
 * is checked against @parley/protocol's metrics schema, not trusted.
 */

import {
  checkServerMetrics,
  cumulativeQuantile,
  type HistogramSnapshot,
  type ServerMetrics,
} from '@parley/protocol';

export type { HistogramSnapshot, ServerMetrics };

/** An HTTP problem talking to the server (unreachable, refused token, …). */
export class ServerApiError extends Error {
  constructor(
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'ServerApiError';
  }
}

const TIMEOUT_MS = 10_000;

function api(server: string, path: string): string {
  return new URL(`/api/v1${path}`, server).toString();
}

/** One request on a connection of its own (`connection: close`): no keep-alive socket outlives a load test. */
async function call(url: string, init: RequestInit): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('connection', 'close');
  try {
    return await fetch(url, { ...init, headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const c = (err as { cause?: { code?: string; message?: string } }).cause;
    const cause = c?.code ?? c?.message ?? (err as Error).message;
    throw new ServerApiError(`cannot reach ${new URL(url).origin} (${cause})`);
  }
}

/** GET /api/v1/health: the server answers (and its version). */
export async function checkHealth(server: string): Promise<string> {
  const res = await call(api(server, '/health'), {});
  if (!res.ok) throw new ServerApiError(`GET /api/v1/health answered ${res.status}`, res.status);
  const body = (await res.json()) as { version?: string };
  return body.version ?? '';
}

/** POST /api/v1/auth/login; resolves with the token. */
export async function login(server: string, name: string, password: string): Promise<string> {
  const res = await call(api(server, '/auth/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { code?: string; detail?: string; title?: string };
    throw new ServerApiError(
      `cannot log in as ${name}: ${res.status} ${body.code ?? ''} ${body.detail ?? body.title ?? ''}`.trim(),
      res.status,
    );
  }
  return ((await res.json()) as { token: string }).token;
}

/**
 * GET /api/v1/metrics with an admin token. A body that is not JSON or does
 * not match the metrics schema (another server version, a proxy's page) is
 * a `ServerApiError` naming the first mismatch, not figures.
 */
export async function fetchMetrics(server: string, token: string): Promise<ServerMetrics> {
  const res = await call(api(server, '/metrics'), { headers: { authorization: `Bearer ${token}` } });
  if (res.status === 401 || res.status === 403)
    throw new ServerApiError(
      `GET /api/v1/metrics answered ${res.status}: the token is not an admin's (or has expired)`,
      res.status,
    );
  if (!res.ok) throw new ServerApiError(`GET /api/v1/metrics answered ${res.status}`, res.status);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ServerApiError('GET /api/v1/metrics answered a body that is not JSON', res.status);
  }
  const checked = checkServerMetrics(body);
  if (!checked.ok)
    throw new ServerApiError(
      `GET /api/v1/metrics answered a body that does not match the metrics schema: ${checked.reason}`,
      res.status,
    );
  return checked.value;
}

export interface HistogramDelta {
  count: number;
  meanUs: number;
  p50Us: number;
  p95Us: number;
  p99Us: number;
  /** Upper bound of the highest bucket that gained observations. */
  maxUs: number;
  /** Non-cumulative counts per bucket (`leUs` = upper bound), empty buckets left out. */
  buckets: { leUs: number; count: number }[];
}

/**
 * The histogram of the observations made between two snapshots, and its
 * percentiles (each the upper bound of its bucket, as the server reports).
 */
export function histogramDelta(before: HistogramSnapshot, after: HistogramSnapshot): HistogramDelta {
  // Both are cumulative and start at the same first bucket; `before` stops at its largest observation.
  const beforeAt = new Map(before.buckets.map((b) => [b.leUs, b.count]));
  const lastLe = before.buckets.at(-1)?.leUs ?? -Infinity;
  const cum = after.buckets.map((b) => ({
    leUs: b.leUs,
    count: b.count - (beforeAt.get(b.leUs) ?? (b.leUs > lastLe ? before.count : 0)),
  }));
  const count = after.count - before.count;
  const buckets: { leUs: number; count: number }[] = [];
  let prev = 0;
  for (const b of cum) {
    if (b.count > prev) buckets.push({ leUs: b.leUs, count: b.count - prev });
    prev = Math.max(prev, b.count);
  }
  const quantile = (q: number): number => cumulativeQuantile(cum, count, q);
  return {
    count,
    meanUs: count > 0 ? (after.sumUs - before.sumUs) / count : 0,
    p50Us: quantile(0.5),
    p95Us: quantile(0.95),
    p99Us: quantile(0.99),
    maxUs: buckets.at(-1)?.leUs ?? 0,
    buckets,
  };
}

/** Non-zero differences of two counter maps. */
export function counterDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}
