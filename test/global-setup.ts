/**
 * vitest global setup of the `integration-db` project (vitest.config.ts):
 * once per run that runs one of that project's files, gives its tests a
 * PostgreSQL server (see test/helpers/postgres.ts) and a scratch dir for
 * SQLite data dirs. No other project starts PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import {
  dropRunDatabases,
  SKIP_ENV,
  startPrivateCluster,
  URL_ENV,
  type PostgresProvision,
} from './helpers/postgres.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scratch = mkdtempSync(join(tmpdir(), 'parley-test-'));
  project.provide('parleyScratchDir', scratch);
  const runId = randomBytes(3).toString('hex');
  const fromEnv = process.env[URL_ENV];
  let provision: PostgresProvision;
  let stop = (): Promise<void> => Promise.resolve();

  if (fromEnv !== undefined && fromEnv !== '') {
    provision = { kind: 'url', url: fromEnv, runId };
    stop = () => dropRunDatabases(fromEnv, runId);
  } else if (process.env[SKIP_ENV] === '1') {
    provision = { kind: 'skip', reason: `${SKIP_ENV}=1` };
    console.warn(`postgres: ${SKIP_ENV}=1, skipping the PostgreSQL variants of the tests`);
  } else {
    try {
      const cluster = await startPrivateCluster();
      provision = { kind: 'url', url: cluster.url, runId };
      stop = () => cluster.stop();
      if (process.env.PARLEY_TEST_VERBOSE === '1') {
        console.log(`postgres: private cluster at ${cluster.url}, started in ${cluster.startMs} ms`);
      }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      provision = { kind: 'error', reason };
      console.warn(`postgres: unavailable, the PostgreSQL tests will fail: ${reason.split('\n')[0]}`);
    }
  }
  project.provide('parleyPostgres', provision);

  return async () => {
    try {
      await stop();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  };
}
