/**
 * The database handle leaves nothing after `destroy()`: no file of the
 * SQLite database held open (WAL and shared-memory files included), no
 * connection of the PostgreSQL pool, no timer (the pool's idle timers are
 * unref'd: tracked), and `destroy()` may be called again.
 */
import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { openFiles, settledResourceBaseline } from '../../../../test/helpers/leaks.js';
import { describeEachDatabase } from '../../../../test/helpers/postgres.js';
import { openDatabase } from './database.js';
import { UserStore } from './users.js';

describeEachDatabase('database handle', (target) => {
  it('destroy() closes every file and connection, and may be called again', async () => {
    const opts = await target.makeOptions();
    const before = await settledResourceBaseline({ timers: true, files: true });
    const { db } = await openDatabase(opts);
    const users = new UserStore(db);
    await users.create('Keeper', 'h', 'admin', new Date(0));
    // Concurrent queries: the PostgreSQL pool opens more than one connection.
    await Promise.all([1, 2, 3].map(() => sql`select count(*) from users`.execute(db)));
    if (target.name === 'sqlite') {
      const held = [...openFiles().keys()].filter((f) => f.startsWith(opts.dataDir));
      expect(held.length).toBeGreaterThan(0);
    }
    await db.destroy();
    await db.destroy();
    await before.expectNothingLeft(`the ${target.name} database handle's destroy()`);
  });
});
