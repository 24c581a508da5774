import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../../../test/helpers/postgres.js';
import { openDatabase, type Db } from './database.js';
import { BadCursorError, encodeCursor, type Page, type PageRequest } from './paginate.js';
import { USER_SORTS, UserStore, type User, type UserFilter } from './users.js';
import { CHANNEL_SORTS, ChannelStore, type ChannelRow } from './channels.js';
import type { Role } from './schema.js';

const N = 1050;
const LIMIT = 37;
const T0 = Date.parse('2025-03-01T00:00:00.000Z');
const ROLES: Role[] = ['admin', 'moderator', 'member'];
const WORDS = [
  'alpha',
  'Bravo',
  'charlie_',
  'delta.x',
  'Echo-',
  'foxtrot',
  'GOLF',
  'hotel',
  'india_9',
  'Zulu',
];

/** A small deterministic PRNG (mulberry32), so every run seeds the same rows. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

/** In-memory order by (key, id), the keyset the store pages over. */
function sortBy<T extends { id: number }>(rows: T[], key: (r: T) => string | number, desc: boolean): T[] {
  const dir = desc ? -1 : 1;
  return [...rows].sort((x, y) => dir * (cmp(key(x), key(y)) || x.id - y.id));
}

/** Every page in turn; checks each page but the last is full. */
async function walk<T extends { id: number }>(
  fetch: (cursor: string | undefined) => Promise<Page<T>>,
  limit: number,
  between?: (pageNo: number) => Promise<void>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let pageNo = 0; pageNo < 10_000; pageNo++) {
    const p = await fetch(cursor);
    expect(p.items.length).toBeLessThanOrEqual(limit);
    out.push(...p.items);
    if (p.nextCursor === null) return out;
    expect(p.items).toHaveLength(limit);
    cursor = p.nextCursor;
    await between?.(pageNo);
  }
  throw new Error('pagination did not end');
}

const req = (column: string, desc: boolean, cursor: string | undefined, limit = LIMIT): PageRequest => ({
  column,
  desc,
  cursor,
  limit,
});

const USER_KEYS: Record<keyof typeof USER_SORTS, (u: User) => string | number> = {
  name: (u) => u.name.toLowerCase(),
  createdAt: (u) => u.createdAt,
  id: (u) => u.id,
};

describeEachDatabase('keyset pagination over 1,000+ rows', (target) => {
  let db: Db;
  let users: UserStore;
  let seeded: User[];

  beforeAll(async () => {
    ({ db } = await openDatabase(await target.makeOptions()));
    users = new UserStore(db);
    const rand = prng(42);
    const rows = Array.from({ length: N }, (_, i) => {
      const name = `${WORDS[Math.floor(rand() * WORDS.length)]!}${i}`;
      return {
        name,
        name_key: name.toLowerCase(),
        password_hash: 'x',
        role: ROLES[Math.floor(rand() * ROLES.length)]!,
        // ~300 distinct instants for 1,050 rows: plenty of ties.
        created_at: new Date(T0 + Math.floor(rand() * 300) * 1000).toISOString(),
      };
    });
    // Bulk insert, chunked well under PostgreSQL's 65,535 bind parameters.
    for (let i = 0; i < rows.length; i += 500) {
      await db
        .insertInto('users')
        .values(rows.slice(i, i + 500))
        .execute();
    }
    const all = await db.selectFrom('users').select(['id', 'name', 'role', 'created_at']).execute();
    seeded = all.map((r) => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at }));
    expect(seeded).toHaveLength(N);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  for (const [sort, column] of Object.entries(USER_SORTS) as [keyof typeof USER_SORTS, string][]) {
    for (const desc of [false, true]) {
      it(`walks every user by ${desc ? '-' : ''}${sort} without duplicates or gaps`, async () => {
        const got = await walk((cursor) => users.list({}, req(column, desc, cursor)), LIMIT);
        expect(new Set(got.map((u) => u.id)).size).toBe(got.length);
        expect(got.map((u) => u.id)).toEqual(sortBy(seeded, USER_KEYS[sort], desc).map((u) => u.id));
        expect(got).toEqual(sortBy(seeded, USER_KEYS[sort], desc));
      });
    }
  }

  it('combined filters (role + q + createdAfter) equal an in-memory filter, in every sort', async () => {
    const after = new Date(T0 + 120_000).toISOString();
    // '_' is a LIKE wildcard: it must match only a literal underscore.
    const filter: UserFilter = { role: ['member', 'moderator'], q: '_', createdAfter: after };
    const expected = seeded.filter((u) => u.role !== 'admin' && u.name.includes('_') && u.createdAt > after);
    expect(expected.length).toBeGreaterThan(LIMIT);
    for (const [sort, column] of Object.entries(USER_SORTS) as [keyof typeof USER_SORTS, string][]) {
      for (const desc of [false, true]) {
        const got = await walk((cursor) => users.list(filter, req(column, desc, cursor)), LIMIT);
        expect(got.map((u) => u.id)).toEqual(sortBy(expected, USER_KEYS[sort], desc).map((u) => u.id));
      }
    }
    const before = new Date(T0 + 60_000).toISOString();
    const got = await walk(
      (cursor) => users.list({ role: ['admin'], createdBefore: before }, req('created_at', true, cursor)),
      LIMIT,
    );
    const want = seeded.filter((u) => u.role === 'admin' && u.createdAt < before);
    expect(got.map((u) => u.id)).toEqual(sortBy(want, USER_KEYS.createdAt, true).map((u) => u.id));
  });

  it('never repeats or skips a row while rows are added between pages', async () => {
    const scratch = await db.transaction().execute(async (tx) => {
      const store = new UserStore(tx);
      const added: number[] = [];
      const got = await walk(
        (cursor) => store.list({}, req('name_key', false, cursor)),
        LIMIT,
        async (pageNo) => {
          // Names that sort both before and after the cursor, and ties on created_at.
          for (const prefix of ['aaa', 'zzz']) {
            added.push((await store.create(`${prefix}_added_${pageNo}`, 'x', 'member', new Date(T0))).id);
          }
        },
      );
      // Leave the seeded set as it was for the other tests.
      await tx.deleteFrom('users').where('id', 'in', added).execute();
      return got;
    });
    const ids = scratch.map((u) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
    const seen = new Set(ids);
    expect(seeded.filter((u) => !seen.has(u.id))).toEqual([]);
    // Every row added after the cursor had passed its place is listed.
    expect(scratch.filter((u) => u.name.startsWith('zzz_added_')).length).toBeGreaterThan(0);
    expect(await users.count()).toBe(N);
  });

  it('rejects a cursor issued for another sort, or forged', async () => {
    const first = await users.list({}, req('name_key', false, undefined));
    const cursor = first.nextCursor!;
    expect(cursor).toEqual(expect.any(String));
    await expect(users.list({}, req('name_key', false, cursor))).resolves.toBeDefined();
    for (const [column, desc] of [
      ['name_key', true],
      ['created_at', false],
      ['id', false],
    ] as const) {
      await expect(users.list({}, req(column, desc, cursor))).rejects.toBeInstanceOf(BadCursorError);
    }
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const forged: [string, string][] = [
      ['not a cursor', 'name_key'],
      ['', 'name_key'],
      [b64({ v: 'a', id: 1, s: 'name_key' }), 'name_key'],
      [b64(['a', 1]), 'name_key'],
      [b64(['a', 1.5, 'name_key']), 'name_key'],
      [b64([null, 1, 'name_key']), 'name_key'],
      // The right sort, but a value of the wrong type or out of range for the column.
      [encodeCursor({ v: 'abc', id: 5, s: 'id' }), 'id'],
      [encodeCursor({ v: 1.5, id: 5, s: 'id' }), 'id'],
      [encodeCursor({ v: 2 ** 40, id: 2 ** 40, s: 'id' }), 'id'],
      [encodeCursor({ v: 5, id: 5, s: 'name_key' }), 'name_key'],
      [encodeCursor({ v: 'a\u0000b', id: 5, s: 'name_key' }), 'name_key'],
      [encodeCursor({ v: 'a', id: 2 ** 31, s: 'name_key' }), 'name_key'],
    ];
    for (const [c, column] of forged) {
      await expect(users.list({}, req(column, false, c)), c).rejects.toBeInstanceOf(BadCursorError);
    }
  });

  it('pages channels by position (integer ties) and name', async () => {
    const channels = new ChannelStore(db);
    const rand = prng(7);
    const made: ChannelRow[] = [];
    for (let i = 0; i < 60; i++) {
      made.push(
        await channels.create({ name: `Pg ${String(i).padStart(2, '0')}`, position: Math.floor(rand() * 5) }),
      );
    }
    const keys: Record<keyof typeof CHANNEL_SORTS, (c: ChannelRow) => string | number> = {
      name: (c) => c.name,
      position: (c) => c.position,
      createdAt: (c) => c.createdAt,
      id: (c) => c.id,
    };
    for (const [sort, column] of Object.entries(CHANNEL_SORTS) as [keyof typeof CHANNEL_SORTS, string][]) {
      for (const desc of [false, true]) {
        const got = await walk((cursor) => channels.list({ q: 'pg ' }, req(column, desc, cursor, 7)), 7);
        expect(got.map((c) => c.id)).toEqual(sortBy(made, keys[sort], desc).map((c) => c.id));
      }
    }
  });
});
