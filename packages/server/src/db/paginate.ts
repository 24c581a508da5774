import { sql, type SelectQueryBuilder } from 'kysely';
import type { Database } from './schema.js';

/**
 * Keyset (cursor) pagination shared by every list endpoint: rows are
 * ordered by (sort column, id), and the cursor is the last row's pair plus
 * the sort it belongs to, so pages never skip or repeat a row even while
 * rows are added, and a cursor cannot be replayed under another sort.
 * Sort columns must be NOT NULL (a NULL never compares in a row value).
 */

export interface Page<T> {
  items: T[];
  /** Opaque; pass as `cursor` for the next page. null on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor: string | undefined;
  /** Column to sort by (a real NOT NULL column, chosen from a whitelist by the caller). */
  column: string;
  desc: boolean;
}

interface CursorValue {
  v: string | number;
  id: number;
  /** `column` or `-column` the cursor was issued for. */
  s: string;
}

export class BadCursorError extends Error {
  readonly code = 'PARLEY_ERR_BAD_CURSOR';
}

const sortKey = (req: PageRequest): string => (req.desc ? '-' : '') + req.column;

/** The sortable integer columns (PostgreSQL `integer`); every other sort column is text. */
const INTEGER_COLUMNS: ReadonlySet<string> = new Set(['id', 'position']);
const isInt32 = (n: unknown): boolean =>
  typeof n === 'number' && Number.isSafeInteger(n) && n >= -(2 ** 31) && n < 2 ** 31;
/**
 * Whether a cursor's values fit the column: PostgreSQL fails on a text
 * value for an integer column, an integer out of range or a NUL byte, and
 * SQLite silently compares across types, so a forged cursor is refused here.
 */
const fitsColumn = (column: string, c: CursorValue): boolean =>
  isInt32(c.id) &&
  (INTEGER_COLUMNS.has(column) ? isInt32(c.v) : typeof c.v === 'string' && !c.v.includes('\u0000'));

export function encodeCursor(c: CursorValue): string {
  return Buffer.from(JSON.stringify([c.v, c.id, c.s])).toString('base64url');
}

export function decodeCursor(s: string): CursorValue {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3) {
      const [v, id, sort] = parsed as unknown[];
      if (
        (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) &&
        typeof id === 'number' &&
        Number.isSafeInteger(id) &&
        typeof sort === 'string'
      ) {
        return { v, id, s: sort };
      }
    }
  } catch {
    // fall through
  }
  throw new BadCursorError('cursor is not one this server issued');
}

/** Runs `qb` one page at a time, ordered by (`req.column`, id). */
export async function paginate<TB extends keyof Database, O extends { id: number }>(
  qb: SelectQueryBuilder<Database, TB, O>,
  req: PageRequest,
): Promise<Page<O>> {
  const col = sql.ref(req.column);
  const id = sql.ref('id');
  const sort = sortKey(req);
  let q = qb;
  if (req.cursor !== undefined) {
    const c = decodeCursor(req.cursor);
    if (c.s !== sort) throw new BadCursorError(`cursor was issued for sort ${c.s}, not ${sort}`);
    if (!fitsColumn(req.column, c)) throw new BadCursorError('cursor is not one this server issued');
    q = req.desc
      ? q.where(sql<boolean>`(${col}, ${id}) < (${c.v}, ${c.id})`)
      : q.where(sql<boolean>`(${col}, ${id}) > (${c.v}, ${c.id})`);
  }
  const dir = req.desc ? sql`desc` : sql`asc`;
  const rows = await q
    .orderBy(sql`${col} ${dir}`)
    .orderBy(sql`${id} ${dir}`)
    .limit(req.limit + 1)
    .execute();
  const more = rows.length > req.limit;
  const items = more ? rows.slice(0, req.limit) : rows;
  const last = items[items.length - 1];
  if (!more || last === undefined) return { items, nextCursor: null };
  const v = (last as Record<string, unknown>)[req.column];
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new Error(`sort column ${req.column} is not selected or is null`);
  }
  return { items, nextCursor: encodeCursor({ v, id: last.id, s: sort }) };
}
