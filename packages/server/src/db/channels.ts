import type { Db } from './database.js';

export interface Channel {
  id: number;
  name: string;
  createdAt: string;
}

/** Channel persistence. Names are unique (case-sensitive). */
export class ChannelStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<Channel[]> {
    const rows = await this.db.selectFrom('channels').selectAll().orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  /** Creates each named channel that does not exist yet. */
  async ensure(names: readonly string[]): Promise<void> {
    for (const name of names) {
      await this.db
        .insertInto('channels')
        .values({ name, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
    }
  }
}
