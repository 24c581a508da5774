import type { Selectable } from 'kysely';
import type { Db } from './database.js';
import { paginate, type Page, type PageRequest } from './paginate.js';
import type { AuditTable } from './schema.js';

export interface AuditEntry {
  id: number;
  actorId: number | null;
  actorName: string;
  action: string;
  targetType: string;
  targetId: string | null;
  detail: Record<string, unknown>;
  ip: string | null;
  createdAt: string;
}

/** What a service records; `createdAt` is set by the store. */
export interface AuditInput {
  actorId: number | null;
  actorName: string;
  action: string;
  targetType: string;
  targetId?: string | number | null;
  detail?: Record<string, unknown>;
  ip?: string | null;
}

export interface AuditFilter {
  action?: string[];
  actorId?: number;
  targetType?: string;
  targetId?: string;
  createdBefore?: string;
  createdAfter?: string;
}

export const AUDIT_SORTS = { createdAt: 'created_at', id: 'id' } as const;

function toEntry(r: Selectable<AuditTable>): AuditEntry {
  let detail: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(r.detail);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) detail = v as Record<string, unknown>;
  } catch {
    // a row written by hand; show it without detail
  }
  return {
    id: r.id,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    detail,
    ip: r.ip,
    createdAt: r.created_at,
  };
}

/** The audit log: every moderation and administration action, append-only. */
export class AuditStore {
  constructor(private readonly db: Db) {}

  /** Appends an entry; bind the store to the change's transaction so both commit together. */
  async record(e: AuditInput, now = new Date()): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        actor_id: e.actorId,
        actor_name: e.actorName,
        action: e.action,
        target_type: e.targetType,
        target_id: e.targetId === undefined || e.targetId === null ? null : String(e.targetId),
        detail: JSON.stringify(e.detail ?? {}),
        ip: e.ip ?? null,
        created_at: now.toISOString(),
      })
      .execute();
  }

  async list(filter: AuditFilter, page: PageRequest): Promise<Page<AuditEntry>> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (filter.action && filter.action.length > 0) q = q.where('action', 'in', filter.action);
    if (filter.actorId !== undefined) q = q.where('actor_id', '=', filter.actorId);
    if (filter.targetType !== undefined) q = q.where('target_type', '=', filter.targetType);
    if (filter.targetId !== undefined) q = q.where('target_id', '=', filter.targetId);
    if (filter.createdBefore) q = q.where('created_at', '<', filter.createdBefore);
    if (filter.createdAfter) q = q.where('created_at', '>', filter.createdAfter);
    const res = await paginate(q, page);
    return { items: res.items.map(toEntry), nextCursor: res.nextCursor };
  }
}
