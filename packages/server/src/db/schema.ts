import type { Generated } from 'kysely';

/** Tables of the Parley database (SQLite by default). */
export interface ChannelTable {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface Database {
  channels: ChannelTable;
}
