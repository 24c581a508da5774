import { sql, type Selectable } from 'kysely';
import type { Db } from './database.js';
import { paginate, type Page, type PageRequest } from './paginate.js';
import type { ChatMessageTable } from './schema.js';
import { likePattern } from './users.js';

export interface ChatMessage {
  id: number;
  channelId: number;
  authorId: number | null;
  authorName: string;
  text: string;
  createdAt: string;
}

export interface ChatFilter {
  q?: string;
  authorId?: number;
}

export const CHAT_SORTS = { createdAt: 'created_at', id: 'id' } as const;

function toMessage(r: Selectable<ChatMessageTable>): ChatMessage {
  return {
    id: r.id,
    channelId: r.channel_id,
    authorId: r.author_id,
    authorName: r.author_name,
    text: r.text,
    createdAt: r.created_at,
  };
}

/** Text chat per channel, persisted. */
export class ChatStore {
  constructor(private readonly db: Db) {}

  async post(
    m: { channelId: number; authorId: number | null; authorName: string; text: string },
    now = new Date(),
  ): Promise<ChatMessage> {
    const r = await this.db
      .insertInto('chat_messages')
      .values({
        channel_id: m.channelId,
        author_id: m.authorId,
        author_name: m.authorName,
        text: m.text,
        created_at: now.toISOString(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toMessage(r);
  }

  /** History of a channel; the caller chooses the order (newest first by default in the API). */
  async list(channelId: number, filter: ChatFilter, page: PageRequest): Promise<Page<ChatMessage>> {
    let q = this.db.selectFrom('chat_messages').selectAll().where('channel_id', '=', channelId);
    if (filter.q) q = q.where(sql<boolean>`lower(text) like ${likePattern(filter.q)} escape '\\'`);
    if (filter.authorId !== undefined) q = q.where('author_id', '=', filter.authorId);
    const res = await paginate(q, page);
    return { items: res.items.map(toMessage), nextCursor: res.nextCursor };
  }
}
