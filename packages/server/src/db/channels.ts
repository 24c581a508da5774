import { sql, type Selectable } from 'kysely';
import type { Db } from './database.js';
import { paginate, type Page, type PageRequest } from './paginate.js';
import type { ChannelTable } from './schema.js';
import { likePattern } from './users.js';
import type { Override } from '../auth/permissions.js';

export interface Channel {
  id: number;
  name: string;
  createdAt: string;
  parentId: number | null;
  position: number;
  description: string;
  /** 0 = no limit */
  userLimit: number;
  hasPassword: boolean;
  temporary: boolean;
}

export interface ChannelRow extends Channel {
  passwordHash: string | null;
}

export interface ChannelFilter {
  q?: string;
  /** 0 = top level */
  parentId?: number;
}

export const CHANNEL_SORTS = {
  name: 'name',
  position: 'position',
  createdAt: 'created_at',
  id: 'id',
} as const;

export interface ChannelInput {
  name: string;
  parentId?: number | null;
  position?: number;
  description?: string;
  userLimit?: number;
  passwordHash?: string | null;
  temporary?: boolean;
}

function toChannel(r: Selectable<ChannelTable>): ChannelRow {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    parentId: r.parent_id,
    position: r.position,
    description: r.description,
    userLimit: r.user_limit,
    hasPassword: r.password_hash !== null,
    temporary: r.temporary === 1,
    passwordHash: r.password_hash,
  };
}

/** Channel persistence: a tree (parent_id), unique names, per-role overrides. */
export class ChannelStore {
  constructor(private readonly db: Db) {}

  /** Every channel, ordered by id (the hub's cache). */
  async all(): Promise<ChannelRow[]> {
    const rows = await this.db.selectFrom('channels').selectAll().orderBy('id').execute();
    return rows.map(toChannel);
  }

  async list(filter: ChannelFilter, page: PageRequest): Promise<Page<ChannelRow>> {
    let q = this.db.selectFrom('channels').selectAll();
    if (filter.q) q = q.where(sql<boolean>`lower(name) like ${likePattern(filter.q)} escape '\\'`);
    if (filter.parentId !== undefined)
      q = q.where(
        'parent_id',
        filter.parentId === 0 ? 'is' : '=',
        filter.parentId === 0 ? null : filter.parentId,
      );
    const res = await paginate(q, page);
    return { items: res.items.map(toChannel), nextCursor: res.nextCursor };
  }

  /** The children of `parentId` (null: the top-level channels), by position, then name. */
  async children(parentId: number | null): Promise<ChannelRow[]> {
    const rows = await this.db
      .selectFrom('channels')
      .selectAll()
      .where('parent_id', parentId === null ? 'is' : '=', parentId)
      .orderBy('position')
      .orderBy('name')
      .execute();
    return rows.map(toChannel);
  }

  async byId(id: number): Promise<ChannelRow | undefined> {
    const r = await this.db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toChannel(r);
  }

  async byName(name: string): Promise<ChannelRow | undefined> {
    const r = await this.db.selectFrom('channels').selectAll().where('name', '=', name).executeTakeFirst();
    return r && toChannel(r);
  }

  async create(input: ChannelInput, now = new Date()): Promise<ChannelRow> {
    const r = await this.db
      .insertInto('channels')
      .values({
        name: input.name,
        created_at: now.toISOString(),
        parent_id: input.parentId ?? null,
        position: input.position ?? 0,
        description: input.description ?? '',
        user_limit: input.userLimit ?? 0,
        password_hash: input.passwordHash ?? null,
        temporary: input.temporary ? 1 : 0,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toChannel(r);
  }

  async update(id: number, patch: Partial<ChannelInput>): Promise<ChannelRow | undefined> {
    const v: Partial<Omit<Selectable<ChannelTable>, 'id'>> = {};
    if (patch.name !== undefined) v.name = patch.name;
    if (patch.parentId !== undefined) v.parent_id = patch.parentId;
    if (patch.position !== undefined) v.position = patch.position;
    if (patch.description !== undefined) v.description = patch.description;
    if (patch.userLimit !== undefined) v.user_limit = patch.userLimit;
    if (patch.passwordHash !== undefined) v.password_hash = patch.passwordHash;
    if (patch.temporary !== undefined) v.temporary = patch.temporary ? 1 : 0;
    if (Object.keys(v).length > 0)
      await this.db.updateTable('channels').set(v).where('id', '=', id).execute();
    return this.byId(id);
  }

  /**
   * Deletes a channel and its whole subtree (children first); returns the
   * deleted ids. Run it inside the caller's transaction (`new ChannelStore(tx)`).
   */
  async removeTree(id: number): Promise<number[]> {
    const all = await this.db.selectFrom('channels').select(['id', 'parent_id']).execute();
    if (!all.some((c) => c.id === id)) return [];
    const order: number[] = [];
    const visit = (cid: number): void => {
      for (const c of all) if (c.parent_id === cid) visit(c.id);
      order.push(cid);
    };
    visit(id);
    for (const cid of order) {
      await this.db.deleteFrom('chat_messages').where('channel_id', '=', cid).execute();
      await this.db.deleteFrom('channel_permissions').where('channel_id', '=', cid).execute();
      await this.db.deleteFrom('channels').where('id', '=', cid).execute();
    }
    return order;
  }

  async deleteOverride(channelId: number, role: string): Promise<void> {
    await this.db
      .deleteFrom('channel_permissions')
      .where('channel_id', '=', channelId)
      .where('role', '=', role)
      .execute();
  }

  /** Creates each named top-level channel that does not exist yet. */
  async ensure(names: readonly string[]): Promise<void> {
    for (const name of names) {
      await this.db
        .insertInto('channels')
        .values({ name, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
    }
  }

  async overrides(): Promise<Map<number, Override[]>> {
    const rows = await this.db.selectFrom('channel_permissions').selectAll().execute();
    const map = new Map<number, Override[]>();
    for (const r of rows) {
      const list = map.get(r.channel_id) ?? [];
      list.push({ role: r.role, allow: r.allow, deny: r.deny });
      map.set(r.channel_id, list);
    }
    return map;
  }

  async setOverride(channelId: number, o: Override): Promise<void> {
    await this.db
      .insertInto('channel_permissions')
      .values({ channel_id: channelId, role: o.role, allow: o.allow, deny: o.deny })
      .onConflict((oc) => oc.columns(['channel_id', 'role']).doUpdateSet({ allow: o.allow, deny: o.deny }))
      .execute();
  }
}
