import { sql, type Selectable } from 'kysely';
import type { Db } from './database.js';
import { confusableKeys } from '../auth/names.js';
import { paginate, type Page, type PageRequest } from './paginate.js';
import type { Role, UserTable } from './schema.js';

export interface User {
  id: number;
  name: string;
  role: Role;
  createdAt: string;
}

export interface UserFilter {
  role?: Role[];
  /** Case-insensitive substring of the name. */
  q?: string;
  createdBefore?: string;
  createdAfter?: string;
  /** Only these ids (online: true) or all but these (online: false). */
  online?: { online: boolean; ids: readonly number[] };
}

export const USER_SORTS = { name: 'name_key', createdAt: 'created_at', id: 'id' } as const;

function toUser(r: Pick<Selectable<UserTable>, 'id' | 'name' | 'role' | 'created_at'>): User {
  return { id: r.id, name: r.name, role: r.role, createdAt: r.created_at };
}

export class NameTakenError extends Error {
  readonly code = 'PARLEY_ERR_NAME_TAKEN';
}

/** Accounts and their bearer-token sessions. */
export class UserStore {
  constructor(private readonly db: Db) {}

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async create(name: string, passwordHash: string, role: Role, now = new Date()): Promise<User> {
    const exists = await this.db
      .selectFrom('users')
      .select('id')
      .where('name_key', '=', name.toLowerCase())
      .executeTakeFirst();
    if (exists) throw new NameTakenError(`the name ${name} is taken`);
    const alike = await this.lookingLike(name);
    if (alike !== undefined)
      throw new NameTakenError(`the name ${name} looks like the existing account ${alike.name}`);
    const [folded, cased] = confusableKeys(name);
    try {
      const row = await this.db
        .insertInto('users')
        .values({
          name,
          name_key: name.toLowerCase(),
          confusable_key: folded,
          confusable_key_cased: cased,
          password_hash: passwordHash,
          role,
          created_at: now.toISOString(),
        })
        .returning(['id', 'name', 'role', 'created_at'])
        .executeTakeFirstOrThrow();
      return toUser(row);
    } catch (err) {
      // A concurrent create of the same name won the race: the UNIQUE index decides.
      const code = (err as { code?: unknown }).code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505')
        throw new NameTakenError(`the name ${name} is taken`);
      throw err;
    }
  }

  /** An account whose name looks like `name` (the same name, case aside, included), if any. */
  async lookingLike(name: string): Promise<User | undefined> {
    const [folded, cased] = confusableKeys(name);
    const r = await this.db
      .selectFrom('users')
      .select(['id', 'name', 'role', 'created_at'])
      .where((eb) =>
        eb.or([
          eb('name_key', '=', name.toLowerCase()),
          eb('confusable_key', '=', folded),
          eb('confusable_key_cased', '=', cased),
        ]),
      )
      .orderBy('id')
      .executeTakeFirst();
    return r && toUser(r);
  }

  async byId(id: number): Promise<User | undefined> {
    const r = await this.db
      .selectFrom('users')
      .select(['id', 'name', 'role', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return r && toUser(r);
  }

  /** The user and password hash for a login name (case-insensitive). */
  async credentials(name: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where('name_key', '=', name.toLowerCase())
      .executeTakeFirst();
    return r && { user: toUser(r), passwordHash: r.password_hash };
  }

  async update(id: number, patch: { role?: Role; passwordHash?: string }): Promise<User | undefined> {
    const values: Partial<{ role: Role; password_hash: string }> = {};
    if (patch.role !== undefined) values.role = patch.role;
    if (patch.passwordHash !== undefined) values.password_hash = patch.passwordHash;
    if (Object.keys(values).length > 0)
      await this.db.updateTable('users').set(values).where('id', '=', id).execute();
    return this.byId(id);
  }

  async remove(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async list(filter: UserFilter, page: PageRequest): Promise<Page<User>> {
    let q = this.db.selectFrom('users').select(['id', 'name', 'name_key', 'role', 'created_at']);
    if (filter.role && filter.role.length > 0) q = q.where('role', 'in', filter.role);
    if (filter.q) q = q.where(sql<boolean>`name_key like ${likePattern(filter.q)} escape '\\'`);
    if (filter.createdBefore) q = q.where('created_at', '<', filter.createdBefore);
    if (filter.createdAfter) q = q.where('created_at', '>', filter.createdAfter);
    if (filter.online !== undefined) {
      const { online, ids } = filter.online;
      if (online) q = ids.length > 0 ? q.where('id', 'in', [...ids]) : q.where(sql<boolean>`1 = 0`);
      else if (ids.length > 0) q = q.where('id', 'not in', [...ids]);
    }
    const res = await paginate(q, page);
    return { items: res.items.map(toUser), nextCursor: res.nextCursor };
  }

  // ── bearer-token sessions ──
  async createSession(userId: number, tokenHash: string, ttlMs: number, now = new Date()): Promise<void> {
    await this.db
      .insertInto('auth_sessions')
      .values({
        token_hash: tokenHash,
        user_id: userId,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + ttlMs).toISOString(),
      })
      .execute();
  }

  /** The user a token belongs to, if the session exists and has not expired. */
  async userForToken(tokenHash: string, now = new Date()): Promise<User | undefined> {
    const r = await this.db
      .selectFrom('auth_sessions')
      .innerJoin('users', 'users.id', 'auth_sessions.user_id')
      .select(['users.id', 'users.name', 'users.role', 'users.created_at'])
      .where('auth_sessions.token_hash', '=', tokenHash)
      .where('auth_sessions.expires_at', '>', now.toISOString())
      .executeTakeFirst();
    return r && toUser(r);
  }

  async revokeSession(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('auth_sessions').where('token_hash', '=', tokenHash).execute();
  }

  /** Ends every session of a user (password change, role change, deletion). */
  async revokeAll(userId: number): Promise<void> {
    await this.db.deleteFrom('auth_sessions').where('user_id', '=', userId).execute();
  }
}

/** A LIKE pattern matching `text` anywhere, case-insensitively, with wildcards escaped. */
export function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}
