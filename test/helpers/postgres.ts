/**
 * PostgreSQL for the test suite, next to the embedded SQLite default, so
 * that storage and API tests run against both databases.
 *
 * How it works:
 *
 * - `test/global-setup.ts` (vitest `globalSetup` of the `integration-db`
 *   project only: the files listed in DATABASE_TESTS in vitest.config.ts)
 *   runs once per `vitest run` that runs one of those files, in the main
 *   process, before them, and decides where PostgreSQL comes from (the
 *   unit, integration and e2e projects never start it):
 *   - `PARLEY_TEST_DATABASE_URL=postgres://user:pass@host:port/db` set: that
 *     server (the role must be allowed to CREATE DATABASE; the databases the
 *     run created are dropped at teardown);
 *   - else `PARLEY_TEST_SKIP_POSTGRES=1`: nothing is started, the PostgreSQL
 *     variants of the tests are reported as skipped, and one line says so;
 *   - else a private throwaway cluster (`startPrivateCluster` below):
 *     `initdb` (binaries from `PARLEY_TEST_PG_BIN`, else the newest
 *     /usr/lib/postgresql/<v>/bin, else PATH) into a fresh temp dir
 *     (/tmp/parley-pg-*), then `postgres` listening on 127.0.0.1 only, on a
 *     free port (bind port 0, close it, retry on the rare collision), its
 *     unix socket in the temp dir, fsync / synchronous_commit /
 *     full_page_writes off, trust authentication, C.UTF-8 locale. As root
 *     (PostgreSQL refuses to run as root) both run as the `postgres` system
 *     user through `runuser`. Readiness is polled with `pg_isready` under a
 *     deadline, then the server is checked to be ours (its data_directory).
 *     It takes about a second (`PARLEY_TEST_VERBOSE=1` prints the URL and
 *     the time). Teardown stops it (immediate shutdown) and deletes the dir;
 *     if the run dies before its teardown, an 'exit' hook does it, and a
 *     later run sweeps up clusters whose owner process is gone.
 *   - no URL and the cluster cannot start (no binaries, initdb failed…): the
 *     reason is printed once and every PostgreSQL test fails with it; the
 *     SQLite tests still run.
 *   The outcome reaches the test workers through vitest `provide`/`inject`
 *   (`parleyPostgres`), along with a scratch dir for SQLite data dirs
 *   (`parleyScratchDir`, deleted at teardown).
 * - Test files call `describeEachDatabase(title, body)` (or loop over
 *   `databaseTargets()` themselves). Each `makeOptions()` names a fresh,
 *   empty database, to pass to `openDatabase` or the server config: a new
 *   temp `dataDir` for SQLite; for PostgreSQL a new
 *   `CREATE DATABASE parley_<run>_<random>` on that server.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { waitFor } from './wait.js';

/** What global setup learnt about PostgreSQL, handed to the test workers. */
export type PostgresProvision =
  | { kind: 'url'; url: string; runId: string }
  | { kind: 'skip'; reason: string }
  | { kind: 'error'; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    parleyPostgres: PostgresProvision;
    parleyScratchDir: string;
  }
}

export const SKIP_ENV = 'PARLEY_TEST_SKIP_POSTGRES';
export const URL_ENV = 'PARLEY_TEST_DATABASE_URL';
export const BIN_ENV = 'PARLEY_TEST_PG_BIN';

// ── test side ──

export interface DatabaseTarget {
  name: 'sqlite' | 'postgres';
  /** True when this target's tests are to be skipped (PARLEY_TEST_SKIP_POSTGRES=1). */
  skip: boolean;
  /** Options for `openDatabase` / the server config, naming a fresh empty database. */
  makeOptions(): Promise<{ dataDir: string; databaseUrl?: string }>;
}

function scratchDir(): string {
  let base: string | undefined;
  try {
    base = inject('parleyScratchDir');
  } catch {
    // not under our vitest config
  }
  if (base === undefined || base === '') base = tmpdir();
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, 'db-'));
}

function provision(): PostgresProvision {
  let p: PostgresProvision | undefined;
  try {
    p = inject('parleyPostgres');
  } catch {
    // not under our vitest config
  }
  return (
    p ?? {
      kind: 'error',
      reason:
        'no PostgreSQL was provided: list this test file in DATABASE_TESTS (vitest.config.ts), ' +
        'the project whose global setup (test/global-setup.ts) provides it',
    }
  );
}

/** Creates an empty database on the server of `baseUrl` and returns its URL. */
export async function createDatabase(baseUrl: string, runId: string): Promise<string> {
  const name = `parley_${runId}_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** SQLite and PostgreSQL, for `describe.each`-style loops over both databases. */
export function databaseTargets(): DatabaseTarget[] {
  const p = provision();
  return [
    { name: 'sqlite', skip: false, makeOptions: () => Promise.resolve({ dataDir: scratchDir() }) },
    {
      name: 'postgres',
      skip: p.kind === 'skip',
      makeOptions: async () => {
        if (p.kind !== 'url') throw new Error(`PostgreSQL is not available for the tests: ${p.reason}`);
        return { dataDir: scratchDir(), databaseUrl: await createDatabase(p.url, p.runId) };
      },
    },
  ];
}

/**
 * `describe(title + ' [sqlite]')` and `describe(title + ' [postgres]')`, the
 * latter skipped (and reported as such) under PARLEY_TEST_SKIP_POSTGRES=1.
 */
export function describeEachDatabase(title: string, body: (target: DatabaseTarget) => void): void {
  for (const t of databaseTargets()) {
    (t.skip ? describe.skip : describe)(`${title} [${t.name}]`, () => body(t));
  }
}

// ── global-setup side ──

export interface Cluster {
  /** Superuser URL of the maintenance database `postgres`. */
  url: string;
  /** How long initdb + start took, ms. */
  startMs: number;
  stop(): Promise<void>;
}

function versionOf(dir: string): number {
  return Number.parseFloat(dir) || 0;
}

/**
 * The directory holding initdb, postgres and pg_isready, if there is one:
 * `PARLEY_TEST_PG_BIN` when set, else the newest /usr/lib/postgresql/<v>/bin, else PATH.
 */
export function findPostgresBin(): string | undefined {
  const has = (dir: string): boolean =>
    ['initdb', 'postgres', 'pg_isready'].every((b) => existsSync(join(dir, b)));
  const forced = process.env[BIN_ENV];
  if (forced !== undefined && forced !== '') return has(forced) ? forced : undefined;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => versionOf(b) - versionOf(a));
    for (const v of versions) if (has(join(root, v, 'bin'))) return join(root, v, 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir !== '' && has(dir)) return dir;
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, out: `${stdout}${stderr}${code === -1 && err ? err.message : ''}` });
    });
  });
}

function tail(file: string, chars = 2000): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars).trim();
  } catch {
    return '';
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Synchronously takes a cluster down (immediate shutdown: the data is
 * thrown away) and deletes its dir. Usable from an 'exit' handler.
 */
function destroyClusterSync(root: string): void {
  const dataDir = join(root, 'data');
  const pid = postmasterPid(dataDir);
  // Only signal the pid if it still is that postmaster (pids get reused).
  let ours: boolean;
  try {
    ours = pid !== undefined && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir);
  } catch {
    ours = false;
  }
  if (pid !== undefined && ours) {
    for (const [sig, waitMs] of [
      ['SIGQUIT', 10_000],
      ['SIGKILL', 2_000],
    ] as const) {
      try {
        process.kill(pid, sig);
      } catch {
        break;
      }
      const until = Date.now() + waitMs;
      while (alive(pid) && Date.now() < until) sleepSync(20);
      if (!alive(pid)) break;
    }
  }
  rmSync(root, { recursive: true, force: true, maxRetries: 5 });
}

const CLUSTER_PREFIX = 'parley-pg-';

/**
 * Removes the clusters of earlier runs that died without their teardown
 * (killed vitest): those whose owner process is gone.
 */
function sweepStaleClusters(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(CLUSTER_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const root = join(tmpdir(), name);
    try {
      const owner = Number(readFileSync(join(root, 'owner'), 'utf8'));
      if (Number.isSafeInteger(owner) && owner > 0 && alive(owner)) continue;
      destroyClusterSync(root);
    } catch {
      // someone else's, or half-created right now: leave it
    }
  }
}

/**
 * Starts a private PostgreSQL cluster on 127.0.0.1 (see the top of this
 * file). Throws with the reason when it cannot.
 */
export async function startPrivateCluster(timeoutMs = 30_000): Promise<Cluster> {
  const started = Date.now();
  const bin = findPostgresBin();
  if (bin === undefined) {
    throw new Error(
      `no PostgreSQL server binaries (initdb, postgres, pg_isready) in ${process.env[BIN_ENV] || '/usr/lib/postgresql/*/bin or PATH'}: ` +
        `install them (apt-get install postgresql), set ${URL_ENV}, or set ${SKIP_ENV}=1 to skip`,
    );
  }
  sweepStaleClusters();
  // PostgreSQL refuses to run as root: then run it as the postgres system user.
  const asRoot = process.getuid?.() === 0;
  const prefix = asRoot ? ['runuser', '-u', 'postgres', '--'] : [];
  const root = mkdtempSync(join(tmpdir(), CLUSTER_PREFIX));
  writeFileSync(join(root, 'owner'), String(process.pid));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'postgres.log');
  // If teardown never runs (the run was interrupted), still take the cluster down.
  const onExit = (): void => destroyClusterSync(root);
  process.once('exit', onExit);
  try {
    if (asRoot) {
      const id = (flag: string): number =>
        Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(root, id('-u'), id('-g'));
    }
    const cmd = (exe: string, args: string[]): [string, string[]] => {
      const all = [...prefix, join(bin, exe), ...args];
      return [all[0]!, all.slice(1)];
    };
    const init = await run(
      ...cmd('initdb', [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
      ]),
      60_000,
    );
    if (init.code !== 0) throw new Error(`initdb failed (${init.code}): ${init.out.trim().slice(-2000)}`);

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const child = spawnPostgres(bin, prefix, dataDir, root, port, logFile);
      const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
      const outcome = await waitReady(bin, child, url, dataDir, port, started + timeoutMs);
      if (outcome === 'ready') {
        let stopped = false;
        const stop = async (): Promise<void> => {
          if (stopped) return;
          stopped = true;
          process.off('exit', onExit);
          await stopPostgres(child, dataDir);
          rmSync(root, { recursive: true, force: true, maxRetries: 5 });
        };
        return { url, startMs: Date.now() - started, stop };
      }
      await stopPostgres(child, dataDir);
      const log = tail(logFile);
      const collided = /could not bind|address already in use|not our server/i.test(`${outcome} ${log}`);
      if (!collided || attempt >= 5) throw new Error(`postgres did not start: ${outcome}\n${log}`);
    }
  } catch (err) {
    process.off('exit', onExit);
    destroyClusterSync(root);
    throw err;
  }
}

function spawnPostgres(
  bin: string,
  prefix: string[],
  dataDir: string,
  socketDir: string,
  port: number,
  logFile: string,
): ChildProcess {
  const args = [
    ...prefix,
    join(bin, 'postgres'),
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${socketDir}`,
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=300',
  ];
  // The server log goes to a file, read when the start fails.
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', log, log] });
    child.on('error', () => undefined); // a failed spawn shows as pid undefined
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

/** Polls until the server answers (pg_isready, then a connection): 'ready', or why it did not. */
async function waitReady(
  bin: string,
  child: ChildProcess,
  url: string,
  dataDir: string,
  port: number,
  deadline: number,
): Promise<string> {
  const isReady = [
    '-q',
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    'postgres',
    '-d',
    'postgres',
    '-t',
    '1',
  ];
  let outcome: string | undefined;
  let lastError: string | undefined;
  const answered = async (): Promise<boolean> => {
    if (child.pid === undefined) outcome = `cannot run ${join(bin, 'postgres')}`;
    else if (child.exitCode !== null || child.signalCode !== null) {
      outcome = `postgres exited (${child.exitCode ?? child.signalCode})`;
    } else if ((await run(join(bin, 'pg_isready'), isReady, 5000)).code === 0) {
      // A server answers on the port: make sure it is ours, not a collision.
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        const res = await client.query<{ d: string }>(`SELECT current_setting('data_directory') AS d`);
        outcome = res.rows[0]?.d === dataDir ? 'ready' : 'not our server';
      } catch (err) {
        lastError = `cannot connect: ${(err as Error).message}`;
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    return outcome !== undefined;
  };
  try {
    await waitFor(answered, 'pg_isready', {
      timeoutMs: Math.max(0, deadline - Date.now()),
      on: [[child, 'exit']],
      pollMs: 50,
    });
  } catch {
    return lastError ?? 'timed out waiting for pg_isready';
  }
  return outcome ?? 'timed out waiting for pg_isready';
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Immediate shutdown (the data is thrown away), then SIGKILL if it lingers. */
async function stopPostgres(child: ChildProcess, dataDir: string): Promise<void> {
  const pid = postmasterPid(dataDir);
  for (const [sig, waitMs] of [
    ['SIGQUIT', 10_000],
    ['SIGKILL', 5_000],
  ] as const) {
    if (pid !== undefined) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
    if (sig === 'SIGKILL') child.kill('SIGKILL');
    if (await exited(child, waitMs)) return;
  }
}

/** Drops the databases this run created on a server that is not ours to throw away. */
export async function dropRunDatabases(baseUrl: string, runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    const res = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`parley\\_${runId}\\_%`],
    );
    for (const { datname } of res.rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}
