import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Schema migrations, in order. Never edit a migration that has shipped: add
 * a new one. Names sort lexicographically.
 */
const migrations: Record<string, Migration> = {
  '0001_channels': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('channels')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(sql`CURRENT_TIMESTAMP`))
        .execute();
      await db.schema.createIndex('channels_name_unique').on('channels').column('name').unique().execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('channels').execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
