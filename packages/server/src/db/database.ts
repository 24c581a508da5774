import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { migrationProvider, type Dialect } from './migrations.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  /** Directory of the embedded SQLite database; ':memory:' keeps it in memory (tests). */
  dataDir: string;
  /** `postgres://user:pass@host:port/db`: use PostgreSQL instead of SQLite. */
  databaseUrl?: string | undefined;
}

export interface OpenDatabase {
  db: Db;
  dialect: Dialect;
}

/**
 * Opens the database and brings its schema up to date: PostgreSQL when a
 * URL is given, otherwise the embedded SQLite file `parley.sqlite` in
 * `dataDir` (WAL mode, foreign keys on).
 */
export async function openDatabase(opts: DatabaseOptions): Promise<OpenDatabase> {
  let db: Db;
  let dialect: Dialect;
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') {
    dialect = 'postgres';
    // Integers come back as JS numbers: COUNT(*) is bigint in PostgreSQL.
    pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    // An idle connection the server drops (restart, idle timeout) is an 'error'
    // event that would crash the process unhandled; the pool discards it and
    // the next query connects afresh.
    pool.on('error', () => undefined);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    dialect = 'sqlite';
    let file = ':memory:';
    if (opts.dataDir !== ':memory:') {
      mkdirSync(opts.dataDir, { recursive: true });
      file = join(opts.dataDir, 'parley.sqlite');
    }
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // SQLite's own lower() only folds ASCII; the stores compare lower(column)
    // with a pattern lower-cased by JavaScript, as PostgreSQL's lower() does.
    sqlite.function('lower', { deterministic: true }, (s: unknown) =>
      typeof s === 'string' ? s.toLowerCase() : s,
    );
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  }
  const { error, results } = await new Migrator({
    db,
    provider: migrationProvider(dialect),
  }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    await db.destroy();
    const why = error instanceof Error ? error.message : `migration ${failed?.migrationName ?? '(unknown)'}`;
    throw new Error(`database migration failed: ${why}`);
  }
  return { db, dialect };
}
