import {
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import { confusableKeys } from '../auth/names.js';

/** What 0002 reads and writes of `users`. */
interface UsersKeys {
  users: { id: number; name: string; confusable_key: string; confusable_key_cased: string };
}

/** The SQL databases Parley runs on. */
export type Dialect = 'sqlite' | 'postgres';

/**
 * Schema migrations, in order, written once for both dialects: the only
 * difference is how an auto-incrementing id is declared. Never edit a
 * migration that has shipped: add a new one. Names sort lexicographically.
 */
export function migrationsFor(dialect: Dialect): Record<string, Migration> {
  const withId = <T extends string>(t: CreateTableBuilder<T>): CreateTableBuilder<T, 'id'> =>
    dialect === 'postgres'
      ? t.addColumn('id', 'serial', (c) => c.primaryKey())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  const notNull = (c: ColumnDefinitionBuilder): ColumnDefinitionBuilder => c.notNull();

  return {
    '0001_initial': {
      async up(db: Kysely<unknown>): Promise<void> {
        await withId(db.schema.createTable('channels'))
          .addColumn('name', 'text', notNull)
          .addColumn('created_at', 'text', notNull)
          .addColumn('parent_id', 'integer', (c) => c.references('channels.id').onDelete('cascade'))
          .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
          .addColumn('user_limit', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('password_hash', 'text')
          .addColumn('temporary', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema.createIndex('channels_name_unique').on('channels').column('name').unique().execute();
        await db.schema
          .createIndex('channels_parent')
          .on('channels')
          .columns(['parent_id', 'position'])
          .execute();

        await withId(db.schema.createTable('users'))
          .addColumn('name', 'text', notNull)
          .addColumn('name_key', 'text', (c) => c.notNull().unique())
          .addColumn('password_hash', 'text', notNull)
          .addColumn('role', 'text', notNull)
          .addColumn('created_at', 'text', notNull)
          .execute();
        await db.schema.createIndex('users_created_at').on('users').columns(['created_at', 'id']).execute();

        await db.schema
          .createTable('auth_sessions')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('created_at', 'text', notNull)
          .addColumn('expires_at', 'text', notNull)
          .execute();
        await db.schema.createIndex('auth_sessions_user').on('auth_sessions').column('user_id').execute();

        await db.schema
          .createTable('channel_permissions')
          .addColumn('channel_id', 'integer', (c) =>
            c.notNull().references('channels.id').onDelete('cascade'),
          )
          .addColumn('role', 'text', notNull)
          .addColumn('allow', 'integer', notNull)
          .addColumn('deny', 'integer', notNull)
          .addPrimaryKeyConstraint('channel_permissions_pk', ['channel_id', 'role'])
          .execute();

        await withId(db.schema.createTable('bans'))
          .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
          .addColumn('user_name', 'text')
          .addColumn('ip', 'text')
          .addColumn('reason', 'text', notNull)
          .addColumn('created_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
          .addColumn('created_at', 'text', notNull)
          .addColumn('expires_at', 'text')
          .execute();
        await db.schema.createIndex('bans_user').on('bans').column('user_id').execute();
        await db.schema.createIndex('bans_ip').on('bans').column('ip').execute();

        await withId(db.schema.createTable('audit_log'))
          .addColumn('actor_id', 'integer')
          .addColumn('actor_name', 'text', notNull)
          .addColumn('action', 'text', notNull)
          .addColumn('target_type', 'text', notNull)
          .addColumn('target_id', 'text')
          .addColumn('detail', 'text', notNull)
          .addColumn('ip', 'text')
          .addColumn('created_at', 'text', notNull)
          .execute();
        await db.schema.createIndex('audit_created').on('audit_log').columns(['created_at', 'id']).execute();

        await withId(db.schema.createTable('chat_messages'))
          .addColumn('channel_id', 'integer', (c) =>
            c.notNull().references('channels.id').onDelete('cascade'),
          )
          .addColumn('author_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
          .addColumn('author_name', 'text', notNull)
          .addColumn('text', 'text', notNull)
          .addColumn('created_at', 'text', notNull)
          .execute();
        await db.schema
          .createIndex('chat_channel')
          .on('chat_messages')
          .columns(['channel_id', 'id'])
          .execute();

        await db.schema
          .createTable('settings')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', notNull)
          .execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        for (const t of [
          'settings',
          'chat_messages',
          'audit_log',
          'bans',
          'channel_permissions',
          'auth_sessions',
          'users',
          'channels',
        ]) {
          await db.schema.dropTable(t).execute();
        }
      },
    },
    // Look-alike account names (auth/names.ts): two keys per account, filled in for existing ones.
    '0002_name_confusable_keys': {
      async up(db: Kysely<unknown>): Promise<void> {
        for (const col of ['confusable_key', 'confusable_key_cased']) {
          await db.schema
            .alterTable('users')
            .addColumn(col, 'text', (c) => c.notNull().defaultTo(''))
            .execute();
          await db.schema.createIndex(`users_${col}`).on('users').column(col).execute();
        }
        const k = db as unknown as Kysely<UsersKeys>;
        const rows = await k.selectFrom('users').select(['id', 'name']).execute();
        for (const r of rows) {
          const [folded, cased] = confusableKeys(r.name);
          await k
            .updateTable('users')
            .set({ confusable_key: folded, confusable_key_cased: cased })
            .where('id', '=', r.id)
            .execute();
        }
      },
      async down(db: Kysely<unknown>): Promise<void> {
        for (const col of ['confusable_key', 'confusable_key_cased']) {
          await db.schema.dropIndex(`users_${col}`).execute();
          await db.schema.alterTable('users').dropColumn(col).execute();
        }
      },
    },
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrationsFor(dialect)) };
}
