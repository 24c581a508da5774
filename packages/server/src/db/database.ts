import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

/**
 * Opens (creating if needed) the embedded SQLite database in `dataDir`, in
 * WAL mode, and brings its schema up to date. `dataDir` ':memory:' keeps
 * everything in memory (tests).
 */
export async function openDatabase(dataDir: string): Promise<Db> {
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    mkdirSync(dataDir, { recursive: true });
    file = join(dataDir, 'parley.sqlite');
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    await db.destroy();
    const why = error instanceof Error ? error.message : `migration ${failed?.migrationName ?? '(unknown)'}`;
    throw new Error(`database migration failed: ${why}`);
  }
  return db;
}
