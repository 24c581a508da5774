/**
 * What every list endpoint shares (docs/control-plane.md "Lists"): the
 * `limit` / `cursor` / `sort` query parameters, the `{ items, nextCursor }`
 * envelope, filter value parsing, and keyset pagination of in-memory lists
 * (live sessions) with the same cursors as the database lists.
 */
import { Type, type TProperties, type TSchema } from '@sinclair/typebox';
import { ErrorCode, FreeText, NameString } from '@parley/protocol';
import { BadCursorError, decodeCursor, encodeCursor, type Page, type PageRequest } from '../db/paginate.js';
import { fail } from '../services/errors.js';
import { PATTERN_ERROR } from './validation.js';

export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;
/** Largest value of an `integer` column (PostgreSQL int4): ids beyond it are a 400, not a database error. */
export const MAX_DB_INT = 2_147_483_647;

/** A database row id in a path or a filter. */
export const Id = Type.Integer({ minimum: 1, maximum: MAX_DB_INT });
/**
 * Free text that may be stored or compared in the database: @parley/protocol's
 * rule (no NUL, which PostgreSQL rejects; no lone surrogate), as on the WebSocket.
 */
export const Text = (opts: { minLength?: number; maxLength: number; description?: string }) => FreeText(opts);

/** A name: no control characters (@parley/protocol's rule, as on the WebSocket); services normalize it. */
export const NameText = (maxLength: number, description?: string) =>
  NameString(maxLength, description === undefined ? {} : { description });

const ISO_DATE = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$';

/** An ISO 8601 date (`2024-05-01`) or date-time with a zone (`2024-05-01T12:00:00Z`). */
export const DateParam = (description: string) =>
  Type.String({
    pattern: ISO_DATE,
    maxLength: 40,
    description,
    [PATTERN_ERROR]: 'must be an ISO 8601 date (2024-05-01) or date-time with a zone (2024-05-01T12:00:00Z)',
  });

/** A filter given as `?x=a&x=b` or `?x=a,b`. */
export const ListParam = (description: string, maxLength = 64) =>
  Type.Union(
    [
      Text({ minLength: 1, maxLength: maxLength * 10 }),
      Type.Array(Text({ minLength: 1, maxLength: maxLength * 10 }), {
        maxItems: 50,
      }),
    ],
    { description },
  );

/** `field` / `-field` for each sortable field. */
export function SortParam(fields: readonly string[]) {
  return Type.Union(
    fields.flatMap((f) => [Type.Literal(f), Type.Literal(`-${f}`)]),
    { description: `sort by a field, \`-field\` for descending: ${fields.join(', ')}` },
  );
}

/** The query schema of a list: paging + sort (from the whitelist) + the list's filters; nothing else. */
export function listQuery<P extends TProperties>(sortFields: readonly string[], filters: P) {
  return Type.Object(
    {
      limit: Type.Optional(
        Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: 'page size' }),
      ),
      cursor: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 512,
          description: 'opaque: `nextCursor` of the previous page (valid only with the same sort)',
        }),
      ),
      sort: Type.Optional(SortParam(sortFields)),
      ...filters,
    },
    { additionalProperties: false },
  );
}

/** `{ items, nextCursor }`. */
export function PageOf<T extends TSchema>(item: T, title: string) {
  return Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], {
        description: 'pass as `cursor` for the next page; null on the last page',
      }),
    },
    { title },
  );
}

export interface ListQuery {
  limit?: number;
  cursor?: string;
  sort?: string;
}

/** How a list is sorted: public field name → column, and which fields hold integers. */
export interface SortSpec {
  columns: Readonly<Record<string, string>>;
  /** Fields whose values are integers (the rest are text). */
  integer: readonly string[];
  /** `field` or `-field` when the query names none. */
  default: string;
  /** Largest integer a cursor may carry (default: a database integer's). */
  maxInt?: number;
}

/**
 * The store's page request for a list query. A cursor is checked here
 * (well-formed, issued for this sort, values of the column's type) so that a
 * forged one is a 400 `PARLEY_ERR_BAD_CURSOR`, never a database error.
 */
export function pageRequest(q: ListQuery, spec: SortSpec): PageRequest {
  const sort = q.sort ?? spec.default;
  const desc = sort.startsWith('-');
  const field = desc ? sort.slice(1) : sort;
  const column = spec.columns[field];
  if (column === undefined) fail(ErrorCode.Validation, `cannot sort by ${field}`);
  const req: PageRequest = { limit: q.limit ?? DEFAULT_LIMIT, cursor: q.cursor, column, desc };
  if (q.cursor !== undefined) {
    checkCursor(
      q.cursor,
      `${desc ? '-' : ''}${column}`,
      spec.integer.includes(field),
      spec.maxInt ?? MAX_DB_INT,
    );
  }
  return req;
}

function checkCursor(cursor: string, sortKey: string, integer: boolean, maxInt: number): void {
  const isInt = (v: unknown): boolean => Number.isSafeInteger(v) && Math.abs(v as number) <= maxInt;
  try {
    const c = decodeCursor(cursor);
    if (c.s !== sortKey) fail(ErrorCode.BadCursor, 'this cursor belongs to another sort');
    if (!isInt(c.id) || (integer ? !isInt(c.v) : typeof c.v !== 'string')) throw new BadCursorError('');
  } catch (err) {
    if (err instanceof BadCursorError) fail(ErrorCode.BadCursor, 'cursor is not one this server issued');
    throw err;
  }
}

/**
 * Keyset pagination of an in-memory list with the same cursors as the
 * database lists: ordered by (key, id), the page after the cursor's pair.
 */
export function paginateArray<T>(
  rows: readonly T[],
  req: PageRequest,
  key: (row: T) => string | number,
  id: (row: T) => number,
): Page<T> {
  const sortKey = `${req.desc ? '-' : ''}${req.column}`;
  const cmp = (a: [string | number, number], b: [string | number, number]): number =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1];
  const dir = req.desc ? -1 : 1;
  let sorted = [...rows].sort((a, b) => dir * cmp([key(a), id(a)], [key(b), id(b)]));
  if (req.cursor !== undefined) {
    const c = decodeCursor(req.cursor);
    if (c.s !== sortKey) fail(ErrorCode.BadCursor, 'this cursor belongs to another sort');
    sorted = sorted.filter((r) => dir * cmp([key(r), id(r)], [c.v, c.id]) > 0);
  }
  const items = sorted.slice(0, req.limit);
  const last = items[items.length - 1];
  const more = sorted.length > req.limit;
  return {
    items,
    nextCursor: more && last !== undefined ? encodeCursor({ v: key(last), id: id(last), s: sortKey }) : null,
  };
}

/** The values of a list filter (`?x=a&x=b` or `?x=a,b`), each one of `allowed` when given. */
export function listValues<T extends string>(
  raw: string | string[] | undefined,
  name: string,
  allowed?: readonly T[],
): T[] | undefined {
  if (raw === undefined) return undefined;
  const values = (Array.isArray(raw) ? raw : [raw])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
  if (values.length === 0) fail(ErrorCode.Validation, `querystring/${name}: empty`);
  if (allowed !== undefined) {
    for (const v of values) {
      if (!(allowed as readonly string[]).includes(v)) {
        fail(
          ErrorCode.Validation,
          `querystring/${name}: ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`,
        );
      }
    }
  }
  return [...new Set(values)] as T[];
}

/** An ISO date (`where`: e.g. `querystring/createdAfter`) as the canonical UTC form the database stores (`toISOString`). */
export function dateValue(raw: string | undefined, where: string): string | undefined {
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  const [y = 0, m = 0, d = 0] = raw.slice(0, 10).split('-').map(Number);
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (Number.isNaN(t) || m < 1 || m > 12 || d < 1 || d > daysInMonth)
    fail(ErrorCode.Validation, `${where}: ${JSON.stringify(raw)} is not a date`);
  return new Date(t).toISOString();
}
