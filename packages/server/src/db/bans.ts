import { sql, type Selectable } from 'kysely';
import type { Db } from './database.js';
import { paginate, type Page, type PageRequest } from './paginate.js';
import type { BanTable, Role } from './schema.js';
import { likePattern } from './users.js';
import { ipMatches } from '../net/ip.js';

export interface Ban {
  id: number;
  userId: number | null;
  userName: string | null;
  ip: string | null;
  reason: string;
  createdBy: number | null;
  createdAt: string;
  /** null = permanent */
  expiresAt: string | null;
}

export interface BanInput {
  userId?: number | null;
  userName?: string | null;
  ip?: string | null;
  reason: string;
  createdBy: number | null;
  expiresAt?: string | null;
}

export interface BanFilter {
  /** true: not expired at `now`; false: expired. */
  active?: boolean;
  /** Substring of the user name or IP. */
  q?: string;
  createdBefore?: string;
  createdAfter?: string;
}

export const BAN_SORTS = { createdAt: 'created_at', id: 'id' } as const;

function toBan(r: Selectable<BanTable>): Ban {
  return {
    id: r.id,
    userId: r.user_id,
    userName: r.user_name,
    ip: r.ip,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  };
}

/** Bans of accounts and/or client addresses, with optional expiry. */
export class BanStore {
  constructor(private readonly db: Db) {}

  async create(input: BanInput, now = new Date()): Promise<Ban> {
    const r = await this.db
      .insertInto('bans')
      .values({
        user_id: input.userId ?? null,
        user_name: input.userName ?? null,
        ip: input.ip ?? null,
        reason: input.reason,
        created_by: input.createdBy,
        created_at: now.toISOString(),
        expires_at: input.expiresAt ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toBan(r);
  }

  async byId(id: number): Promise<Ban | undefined> {
    const r = await this.db.selectFrom('bans').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toBan(r);
  }

  async remove(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('bans').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * The active ban that matches an account or an address, if any. With
   * `role` (the account's), an address ban matches only when whoever placed
   * it outranks that role (auth/permissions.ts `outranks`): a moderator's
   * address ban never locks out a moderator or an admin, an admin's reaches
   * everyone; a ban whose author's account is gone reaches members and
   * guests only. An address ban is an address or a CIDR range, matched
   * with IPv4-mapped IPv6 addresses as their IPv4 form (http/ip.ts).
   */
  async activeFor(
    who: { userId?: number | null; ip?: string | null; role?: Role },
    now = new Date(),
  ): Promise<Ban | undefined> {
    const userId = who.userId ?? null;
    const ip = who.ip ?? null;
    if (userId === null && ip === null) return undefined;
    const shielded = who.role === 'moderator' || who.role === 'admin';
    const rows = await this.db
      .selectFrom('bans')
      .selectAll()
      .where((eb) => {
        const ors = [];
        if (userId !== null) ors.push(eb('user_id', '=', userId));
        if (ip !== null) {
          // Every active address ban that could reach this role; ranges are matched below.
          const byIp = eb('ip', 'is not', null);
          ors.push(
            shielded
              ? eb.and([
                  byIp,
                  eb(
                    'created_by',
                    'in',
                    eb.selectFrom('users').select('users.id').where('users.role', '=', 'admin'),
                  ),
                ])
              : byIp,
          );
        }
        return eb.or(ors);
      })
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now.toISOString())]))
      .orderBy('id', 'desc')
      .execute();
    const r = rows.find(
      (b) =>
        (userId !== null && b.user_id === userId) || (ip !== null && b.ip !== null && ipMatches(b.ip, ip)),
    );
    return r && toBan(r);
  }

  async list(filter: BanFilter, page: PageRequest, now = new Date()): Promise<Page<Ban>> {
    let q = this.db.selectFrom('bans').selectAll();
    const iso = now.toISOString();
    if (filter.active === true) {
      q = q.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', iso)]));
    } else if (filter.active === false) {
      q = q.where('expires_at', '<=', iso);
    }
    if (filter.q) {
      const p = likePattern(filter.q);
      q = q.where(
        sql<boolean>`(lower(coalesce(user_name, '')) like ${p} escape '\\' or lower(coalesce(ip, '')) like ${p} escape '\\')`,
      );
    }
    if (filter.createdBefore) q = q.where('created_at', '<', filter.createdBefore);
    if (filter.createdAfter) q = q.where('created_at', '>', filter.createdAfter);
    const res = await paginate(q, page);
    return { items: res.items.map(toBan), nextCursor: res.nextCursor };
  }
}
