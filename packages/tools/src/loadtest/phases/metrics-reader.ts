/**
 * The run's access to the server's own figures (GET /api/v1/metrics, admin
 * only): the token is found and checked before anyone joins; after that a
 * read that fails costs the server figures, not the run, and the report
 * says why they are missing. Background polls for the server timeline run
 * one at a time, and teardown waits for the last one (no socket left).
 */
import type { ResolvedOptions } from '../options.js';
import { fetchMetrics, login, type ServerMetrics } from '../server-metrics.js';

const NO_TOKEN = 'no admin token (--token, $PARLEY_TOKEN or --admin-password)';

export class MetricsReader {
  private skipped: string | null;
  private polling: Promise<void> | null = null;

  private constructor(
    private readonly server: string,
    private readonly token: string | undefined,
  ) {
    this.skipped = token === undefined ? NO_TOKEN : null;
  }

  /**
   * The admin token: given, or by logging in as `admin`; checked with one
   * read (rejects when the token is refused). Without either, a reader that
   * reads nothing and says why.
   */
  static async open(o: ResolvedOptions): Promise<MetricsReader> {
    let token = o.token;
    if (token === undefined && o.adminPassword !== undefined)
      token = await login(o.server, 'admin', o.adminPassword);
    if (token !== undefined) await fetchMetrics(o.server, token);
    return new MetricsReader(o.server, token);
  }

  /** Why the last read brought nothing (no token, or the failure), else null. */
  get skippedReason(): string | null {
    return this.skipped;
  }

  /** One read; null without a token or when it fails (the failure is remembered). */
  async read(): Promise<ServerMetrics | null> {
    if (this.token === undefined) return null;
    try {
      return await fetchMetrics(this.server, this.token);
    } catch (err) {
      this.skipped = `GET /api/v1/metrics failed: ${(err as Error).message}`;
      return null;
    }
  }

  /** Starts a background read unless one is in flight; `onRead` gets it if it succeeds (failures are ignored). */
  poll(onRead: (m: ServerMetrics) => void): void {
    if (this.token === undefined || this.polling !== null) return;
    this.polling = fetchMetrics(this.server, this.token)
      .then(onRead)
      .catch(() => undefined)
      .finally(() => (this.polling = null));
  }

  /** Resolves once no background read is in flight. */
  async idle(): Promise<void> {
    await this.polling;
  }
}
