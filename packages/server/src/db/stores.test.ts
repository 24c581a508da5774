import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrationsFor } from './migrations.js';
import { describeEachDatabase } from '../../../../test/helpers/postgres.js';
import { waitFor } from '../../../../test/helpers/wait.js';
import { openDatabase, type Db, type DatabaseOptions } from './database.js';
import { NameTakenError, UserStore } from './users.js';
import { ChannelStore } from './channels.js';
import { BanStore } from './bans.js';
import { AuditStore } from './audit.js';
import { ChatStore } from './chat.js';
import { SettingsStore, type RuntimeSettings } from './settings.js';
import type { PageRequest } from './paginate.js';

const T0 = new Date('2025-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const page = (column: string, desc = false, limit = 50, cursor?: string): PageRequest => ({
  limit,
  cursor,
  column,
  desc,
});

const SETTINGS: RuntimeSettings = {
  allowGuests: true,
  allowRegistration: false,
  defaultBitrate: 32000,
  frameMs: 20,
  maxUsersPerChannel: 0,
};

describeEachDatabase('stores', (target) => {
  let opts: DatabaseOptions;
  let db: Db;

  beforeAll(async () => {
    opts = await target.makeOptions();
    ({ db } = await openDatabase(opts));
  });
  afterAll(async () => {
    await db?.destroy();
  });

  describe('migrations', () => {
    it('apply on an empty database and are idempotent on re-open', async () => {
      const fresh = await target.makeOptions();
      const first = await openDatabase(fresh);
      expect(first.dialect).toBe(target.name);
      const applied = await sql<{
        name: string;
      }>`select name from kysely_migration order by name`.execute(first.db);
      expect(applied.rows.map((r) => r.name)).toEqual(['0001_initial', '0002_name_confusable_keys']);
      const users = new UserStore(first.db);
      await users.create('Keeper', 'h', 'admin', T0);
      await first.db.destroy();

      // Re-open the same database: nothing to migrate, the data is still there.
      const again = await openDatabase(fresh);
      const reapplied = await sql<{ name: string }>`select name from kysely_migration`.execute(again.db);
      expect(reapplied.rows).toHaveLength(2);
      expect(await new UserStore(again.db).count()).toBe(1);
      expect((await new UserStore(again.db).credentials('keeper'))?.user.name).toBe('Keeper');
      await again.db.destroy();
    });
  });

  describe('migration 0002 (confusable name keys)', () => {
    it('fills in the keys of the accounts that exist, so look-alikes of old names are refused too', async () => {
      const fresh = await target.makeOptions();
      const { db: d, dialect } = await openDatabase(fresh);
      try {
        const m = migrationsFor(dialect)['0002_name_confusable_keys']!;
        await m.down?.(d);
        await sql`insert into users (name, name_key, password_hash, role, created_at)
                  values ('Olga', 'olga', 'h', 'member', ${T0.toISOString()})`.execute(d);
        await m.up(d);
        const users = new UserStore(d);
        expect((await users.lookingLike('Оlga'))?.name).toBe('Olga'); // Cyrillic О
        await expect(users.create('0lga', 'h', 'member')).rejects.toThrow(NameTakenError);
      } finally {
        await d.destroy();
      }
    });
  });

  describe('migrations, concurrently', () => {
    it('two servers starting at once on an empty database both come up', async () => {
      const fresh = await target.makeOptions();
      if (target.name === 'sqlite') {
        // better-sqlite3 is synchronous: in one process, openers run one after the other
        // (a second server would be another process, waiting on busy_timeout).
        const a = await openDatabase(fresh);
        const b = await openDatabase(fresh);
        await a.db.destroy();
        await b.db.destroy();
        return;
      }
      const opened = await Promise.allSettled([
        openDatabase(fresh),
        openDatabase(fresh),
        openDatabase(fresh),
      ]);
      for (const o of opened) if (o.status === 'fulfilled') await o.value.db.destroy();
      expect(opened.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))).toEqual([
        'ok',
        'ok',
        'ok',
      ]);
    });
  });

  describe('users', () => {
    it('creates accounts with case-insensitively unique names', async () => {
      const users = new UserStore(db);
      const alice = await users.create('Alice', 'hash-a', 'member', T0);
      expect(alice).toEqual({
        id: expect.any(Number) as number,
        name: 'Alice',
        role: 'member',
        createdAt: T0.toISOString(),
      });
      await expect(users.create('alice', 'x', 'member')).rejects.toBeInstanceOf(NameTakenError);
      await expect(users.create('ALICE', 'x', 'admin')).rejects.toMatchObject({
        code: 'PARLEY_ERR_NAME_TAKEN',
      });
      expect(await users.byId(alice.id)).toEqual(alice);
      expect(await users.byId(987654)).toBeUndefined();
    });

    it('lets exactly one of concurrent creates of a name win', async () => {
      const users = new UserStore(db);
      // Warm the pool up (PostgreSQL) so that the creates really run side by side.
      await Promise.all([1, 2, 3, 4].map(() => users.count()));
      const results = await Promise.allSettled(
        ['Racer', 'racer', 'RACER', 'rAcer'].map((n) => users.create(n, 'h', 'member')),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(NameTakenError);
      }
    });

    it('finds credentials by any case of the name and updates role and password', async () => {
      const users = new UserStore(db);
      const bob = await users.create('Bob', 'hash-1', 'member');
      expect(await users.credentials('bOB')).toEqual({ user: bob, passwordHash: 'hash-1' });
      expect(await users.credentials('nobody')).toBeUndefined();
      expect(await users.update(bob.id, { role: 'moderator' })).toEqual({ ...bob, role: 'moderator' });
      await users.update(bob.id, { passwordHash: 'hash-2' });
      expect((await users.credentials('bob'))?.passwordHash).toBe('hash-2');
      expect(await users.update(bob.id, {})).toEqual({ ...bob, role: 'moderator' });
      expect(await users.update(987654, { role: 'admin' })).toBeUndefined();
    });

    it('counts and removes accounts', async () => {
      const users = new UserStore(db);
      const before = await users.count();
      const tmp = await users.create('Temp', 'h', 'member');
      expect(await users.count()).toBe(before + 1);
      expect(await users.remove(tmp.id)).toBe(true);
      expect(await users.remove(tmp.id)).toBe(false);
      expect(await users.count()).toBe(before);
    });

    it('creates, looks up, expires and revokes tokens', async () => {
      const users = new UserStore(db);
      const carol = await users.create('Carol', 'h', 'member');
      const dave = await users.create('Dave', 'h', 'member');
      await users.createSession(carol.id, 'tok-1', 60_000, T0);
      expect(await users.userForToken('tok-1', at(0))).toEqual(carol);
      expect(await users.userForToken('tok-1', at(59_999))).toEqual(carol);
      expect(await users.userForToken('tok-1', at(60_000))).toBeUndefined();
      expect(await users.userForToken('nope', at(0))).toBeUndefined();

      await users.revokeSession('tok-1');
      expect(await users.userForToken('tok-1', at(0))).toBeUndefined();

      await users.createSession(carol.id, 'tok-2', 60_000, T0);
      await users.createSession(carol.id, 'tok-3', 60_000, T0);
      await users.createSession(dave.id, 'tok-4', 60_000, T0);
      await users.revokeAll(carol.id);
      expect(await users.userForToken('tok-2', at(0))).toBeUndefined();
      expect(await users.userForToken('tok-3', at(0))).toBeUndefined();
      expect(await users.userForToken('tok-4', at(0))).toEqual(dave);

      // Deleting the account ends its sessions (foreign key cascade).
      await users.remove(dave.id);
      expect(await users.userForToken('tok-4', at(0))).toBeUndefined();
      const left = await db.selectFrom('auth_sessions').select('token_hash').execute();
      expect(left.map((r) => r.token_hash)).not.toContain('tok-4');
    });

    it('filters by role, name substring (wildcards are literal), dates and online ids', async () => {
      const users = new UserStore(db);
      const a = await users.create('under_score', 'h', 'member', at(1000));
      const b = await users.create('underXscore', 'h', 'moderator', at(2000));
      const c = await users.create('100%sure', 'h', 'member', at(3000));
      const names = async (f: Parameters<UserStore['list']>[0]): Promise<string[]> =>
        (await users.list(f, page('id'))).items.map((u) => u.name);
      expect(await names({ q: 'R_S' })).toEqual(['under_score']);
      expect(await names({ q: '0%s' })).toEqual(['100%sure']);
      expect(await names({ q: 'UNDER' })).toEqual(['under_score', 'underXscore']);
      expect(await names({ q: 'under', role: ['moderator'] })).toEqual(['underXscore']);
      expect(await names({ q: 'u', createdAfter: at(1000).toISOString() })).toEqual(
        expect.arrayContaining(['underXscore', '100%sure']),
      );
      expect(await names({ q: 'u', createdBefore: at(2000).toISOString() })).toContain('under_score');
      expect(await names({ q: 'u', createdBefore: at(2000).toISOString() })).not.toContain('underXscore');
      expect(await names({ q: 'score', online: { online: true, ids: [a.id] } })).toEqual(['under_score']);
      expect(await names({ q: 'score', online: { online: false, ids: [a.id] } })).toEqual(['underXscore']);
      expect(await names({ q: 'score', online: { online: true, ids: [] } })).toEqual([]);
      expect(await names({ q: 'score', online: { online: false, ids: [] } })).toHaveLength(2);
      expect([a, b, c].every((u) => u.id > 0)).toBe(true);
    });
  });

  describe('channels', () => {
    it('creates a tree and updates channels', async () => {
      const channels = new ChannelStore(db);
      const root = await channels.create({ name: 'Root', description: 'top' }, T0);
      expect(root).toMatchObject({
        name: 'Root',
        parentId: null,
        position: 0,
        description: 'top',
        userLimit: 0,
        hasPassword: false,
        temporary: false,
        passwordHash: null,
        createdAt: T0.toISOString(),
      });
      const kid = await channels.create({ name: 'Kid', parentId: root.id, position: 2, temporary: true });
      expect(kid).toMatchObject({ parentId: root.id, position: 2, temporary: true });
      await expect(channels.create({ name: 'Root' })).rejects.toThrow();

      const updated = await channels.update(kid.id, {
        name: 'Kid2',
        description: 'renamed',
        userLimit: 5,
        passwordHash: 'ph',
        temporary: false,
        position: 1,
      });
      expect(updated).toMatchObject({
        name: 'Kid2',
        description: 'renamed',
        userLimit: 5,
        hasPassword: true,
        passwordHash: 'ph',
        temporary: false,
        position: 1,
      });
      expect((await channels.update(kid.id, { passwordHash: null }))?.hasPassword).toBe(false);
      expect((await channels.update(kid.id, { parentId: null }))?.parentId).toBeNull();
      expect(await channels.update(987654, { name: 'x' })).toBeUndefined();
      expect(await channels.byName('Kid2')).toMatchObject({ id: kid.id });
      expect(await channels.byName('kid2')).toBeUndefined();
      expect((await channels.all()).map((c) => c.id)).toEqual(
        [...(await channels.all()).map((c) => c.id)].sort((x, y) => x - y),
      );
    });

    it('ensure() creates missing top-level channels once', async () => {
      const channels = new ChannelStore(db);
      await channels.ensure(['Lobby', 'Games']);
      await channels.ensure(['Lobby', 'Games', 'Music']);
      const all = await channels.all();
      for (const n of ['Lobby', 'Games', 'Music']) expect(all.filter((c) => c.name === n)).toHaveLength(1);
    });

    it('lists by parent and name substring', async () => {
      const channels = new ChannelStore(db);
      const p = await channels.create({ name: 'Parent_List' });
      await channels.create({ name: 'Child A', parentId: p.id });
      await channels.create({ name: 'child b', parentId: p.id });
      const kids = await channels.list({ parentId: p.id }, page('name'));
      expect(kids.items.map((c) => c.name)).toEqual(['Child A', 'child b']);
      const top = await channels.list({ parentId: 0 }, page('id', false, 200));
      expect(top.items.every((c) => c.parentId === null)).toBe(true);
      expect(top.items.map((c) => c.name)).toContain('Parent_List');
      expect((await channels.list({ q: 'CHILD' }, page('id'))).items).toHaveLength(2);
      expect((await channels.list({ q: 't_l' }, page('id'))).items.map((c) => c.name)).toEqual([
        'Parent_List',
      ]);
    });

    it('sets, replaces and deletes overrides', async () => {
      const channels = new ChannelStore(db);
      const c = await channels.create({ name: 'Perms' });
      await channels.setOverride(c.id, { role: 'member', allow: 1, deny: 2 });
      await channels.setOverride(c.id, { role: 'guest', allow: 0, deny: 8 });
      await channels.setOverride(c.id, { role: 'member', allow: 4, deny: 0 });
      const list = (await channels.overrides()).get(c.id) ?? [];
      expect(list.sort((x, y) => x.role.localeCompare(y.role))).toEqual([
        { role: 'guest', allow: 0, deny: 8 },
        { role: 'member', allow: 4, deny: 0 },
      ]);
      await channels.deleteOverride(c.id, 'guest');
      await channels.deleteOverride(c.id, 'nobody');
      expect((await channels.overrides()).get(c.id)).toEqual([{ role: 'member', allow: 4, deny: 0 }]);
    });

    it('removeTree deletes the subtree with its chat and overrides, and nothing else', async () => {
      const channels = new ChannelStore(db);
      const chat = new ChatStore(db);
      const top = await channels.create({ name: 'Tree' });
      const a = await channels.create({ name: 'Tree/a', parentId: top.id });
      const b = await channels.create({ name: 'Tree/b', parentId: top.id });
      const a1 = await channels.create({ name: 'Tree/a/1', parentId: a.id });
      const other = await channels.create({ name: 'Elsewhere' });
      for (const c of [top, a, b, a1, other]) {
        await chat.post({ channelId: c.id, authorId: null, authorName: 'g', text: `hi ${c.name}` });
        await channels.setOverride(c.id, { role: 'member', allow: 0, deny: 1 });
      }

      const removed = await db.transaction().execute((tx) => new ChannelStore(tx).removeTree(a.id));
      expect(removed).toEqual([a1.id, a.id]);
      expect(await channels.byId(a.id)).toBeUndefined();
      expect(await channels.byId(a1.id)).toBeUndefined();

      const gone = await channels.removeTree(top.id);
      expect(gone).toEqual([b.id, top.id]);
      expect(await channels.removeTree(top.id)).toEqual([]);

      const ids = [top.id, a.id, b.id, a1.id];
      const msgs = await db.selectFrom('chat_messages').select('channel_id').execute();
      expect(msgs.filter((m) => ids.includes(m.channel_id))).toEqual([]);
      expect(msgs.some((m) => m.channel_id === other.id)).toBe(true);
      const overrides = await channels.overrides();
      for (const id of ids) expect(overrides.has(id)).toBe(false);
      expect(overrides.get(other.id)).toHaveLength(1);
      expect(await channels.byId(other.id)).toBeDefined();
    });
  });

  describe('bans', () => {
    it('finds the active ban by user or IP and ignores expired ones', async () => {
      const users = new UserStore(db);
      const bans = new BanStore(db);
      const eve = await users.create('Eve', 'h', 'member');
      const mod = await users.create('Mod', 'h', 'moderator');
      expect(await bans.activeFor({ userId: eve.id, ip: '10.0.0.1' }, T0)).toBeUndefined();
      expect(await bans.activeFor({}, T0)).toBeUndefined();

      const old = await bans.create(
        {
          userId: eve.id,
          userName: 'Eve',
          reason: 'old',
          createdBy: mod.id,
          expiresAt: at(1000).toISOString(),
        },
        T0,
      );
      expect(await bans.activeFor({ userId: eve.id }, at(999))).toEqual(old);
      expect(await bans.activeFor({ userId: eve.id }, at(1000))).toBeUndefined();

      const ipBan = await bans.create({ ip: '10.0.0.9', reason: 'flood', createdBy: mod.id }, at(10));
      expect(ipBan).toMatchObject({ userId: null, ip: '10.0.0.9', expiresAt: null, createdBy: mod.id });
      expect(await bans.activeFor({ ip: '10.0.0.9' }, at(5_000))).toEqual(ipBan);
      expect(await bans.activeFor({ userId: eve.id, ip: '10.0.0.9' }, at(5_000))).toEqual(ipBan);
      expect(await bans.activeFor({ userId: eve.id, ip: '10.0.0.8' }, at(5_000))).toBeUndefined();

      const perm = await bans.create(
        { userId: eve.id, userName: 'Eve', reason: 'again', createdBy: null },
        at(20),
      );
      expect(await bans.activeFor({ userId: eve.id }, at(99_999_999))).toEqual(perm);
      expect(await bans.remove(perm.id)).toBe(true);
      expect(await bans.remove(perm.id)).toBe(false);
      expect(await bans.activeFor({ userId: eve.id }, at(5_000))).toBeUndefined();
      expect(await bans.byId(ipBan.id)).toEqual(ipBan);

      // The ban outlives the account (user_id set null, the name kept).
      const ban = await bans.create(
        { userId: eve.id, userName: 'Eve', reason: 'x', createdBy: mod.id },
        at(30),
      );
      await users.remove(eve.id);
      expect(await bans.byId(ban.id)).toMatchObject({ userId: null, userName: 'Eve' });
      await users.remove(mod.id);
      expect(await bans.byId(ban.id)).toMatchObject({ createdBy: null });
    });

    it('lists with active and q filters', async () => {
      const bans = new BanStore(db);
      const now = at(100_000);
      const mk = (over: Partial<Parameters<BanStore['create']>[0]>, expires: number | null) =>
        bans.create(
          {
            reason: 'r',
            createdBy: null,
            ...over,
            expiresAt: expires === null ? null : at(expires).toISOString(),
          },
          at(50_000),
        );
      const active1 = await mk({ userName: 'Spammer_One' }, null);
      const active2 = await mk({ ip: 'FE80::BEEF' }, 200_000);
      const expired = await mk({ userName: 'spammer_two', ip: '192.168.7.7' }, 100_000);
      const mine = new Set([active1.id, active2.id, expired.id]);
      const ids = async (f: Parameters<BanStore['list']>[0]): Promise<number[]> =>
        (await bans.list(f, page('id', false, 200), now)).items.map((b) => b.id).filter((id) => mine.has(id));

      expect(await ids({})).toEqual([active1.id, active2.id, expired.id]);
      expect(await ids({ active: true })).toEqual([active1.id, active2.id]);
      expect(await ids({ active: false })).toEqual([expired.id]);
      expect(await ids({ q: 'SPAMMER' })).toEqual([active1.id, expired.id]);
      expect(await ids({ q: 'spammer', active: true })).toEqual([active1.id]);
      expect(await ids({ q: '168.7' })).toEqual([expired.id]);
      expect(await ids({ q: 'fe80::' })).toEqual([active2.id]);
      expect(await ids({ q: 'R_O' })).toEqual([active1.id]);
      expect(
        await ids({ createdAfter: at(49_999).toISOString(), createdBefore: at(50_001).toISOString() }),
      ).toEqual([active1.id, active2.id, expired.id]);
    });
  });

  describe('audit', () => {
    it('records entries and filters them', async () => {
      const audit = new AuditStore(db);
      const base = { actorName: 'root', ip: '127.0.0.1' };
      await audit.record(
        { ...base, actorId: 1, action: 'user.create', targetType: 'user', targetId: 7 },
        at(1),
      );
      await audit.record(
        {
          ...base,
          actorId: 2,
          action: 'channel.delete',
          targetType: 'channel',
          targetId: '9',
          detail: { name: 'X' },
        },
        at(2),
      );
      await audit.record(
        { actorId: null, actorName: 'server', action: 'config.update', targetType: 'config' },
        at(3),
      );
      const all = await audit.list({}, page('id'));
      expect(all.items).toHaveLength(3);
      expect(all.items[1]).toEqual({
        id: expect.any(Number) as number,
        actorId: 2,
        actorName: 'root',
        action: 'channel.delete',
        targetType: 'channel',
        targetId: '9',
        detail: { name: 'X' },
        ip: '127.0.0.1',
        createdAt: at(2).toISOString(),
      });
      expect(all.items[2]).toMatchObject({ actorId: null, targetId: null, detail: {}, ip: null });

      const actions = async (f: Parameters<AuditStore['list']>[0]): Promise<string[]> =>
        (await audit.list(f, page('created_at', true))).items.map((e) => e.action);
      expect(await actions({})).toEqual(['config.update', 'channel.delete', 'user.create']);
      expect(await actions({ action: ['user.create', 'config.update'] })).toEqual([
        'config.update',
        'user.create',
      ]);
      expect(await actions({ actorId: 2 })).toEqual(['channel.delete']);
      expect(await actions({ targetType: 'user', targetId: '7' })).toEqual(['user.create']);
      expect(await actions({ createdAfter: at(1).toISOString() })).toEqual([
        'config.update',
        'channel.delete',
      ]);
      expect(await actions({ createdBefore: at(3).toISOString() })).toEqual([
        'channel.delete',
        'user.create',
      ]);
    });

    it('commits with the transaction it is given, or not at all', async () => {
      const audit = new AuditStore(db);
      const entry = { actorId: null, actorName: 'tx', action: 'tx.test', targetType: 'config' };
      await expect(
        db.transaction().execute(async (tx) => {
          await new AuditStore(tx).record(entry);
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect((await audit.list({ action: ['tx.test'] }, page('id'))).items).toHaveLength(0);
      await db.transaction().execute((tx) => new AuditStore(tx).record(entry));
      expect((await audit.list({ action: ['tx.test'] }, page('id'))).items).toHaveLength(1);
    });
  });

  describe('chat', () => {
    it('posts and lists newest first, with q and author filters', async () => {
      const channels = new ChannelStore(db);
      const users = new UserStore(db);
      const chat = new ChatStore(db);
      const room = await channels.create({ name: 'ChatRoom' });
      const other = await channels.create({ name: 'ChatOther' });
      const frank = await users.create('Frank', 'h', 'member');
      const texts = ['Hello World', 'second', '100% sure', 'hello again', 'Ünïcode ÄÖ'];
      const posted = [];
      for (const [i, text] of texts.entries()) {
        posted.push(
          await chat.post(
            { channelId: room.id, authorId: i % 2 === 0 ? frank.id : null, authorName: 'F', text },
            at(i),
          ),
        );
      }
      await chat.post({ channelId: other.id, authorId: null, authorName: 'g', text: 'hello elsewhere' });
      expect(posted[0]).toEqual({
        id: expect.any(Number) as number,
        channelId: room.id,
        authorId: frank.id,
        authorName: 'F',
        text: 'Hello World',
        createdAt: at(0).toISOString(),
      });

      const newest = await chat.list(room.id, {}, page('id', true, 3));
      expect(newest.items.map((m) => m.text)).toEqual(['Ünïcode ÄÖ', 'hello again', '100% sure']);
      const rest = await chat.list(room.id, {}, page('id', true, 3, newest.nextCursor ?? undefined));
      expect(rest.items.map((m) => m.text)).toEqual(['second', 'Hello World']);
      expect(rest.nextCursor).toBeNull();

      const q = async (f: Parameters<ChatStore['list']>[1]): Promise<string[]> =>
        (await chat.list(room.id, f, page('created_at', true))).items.map((m) => m.text);
      expect(await q({ q: 'HELLO' })).toEqual(['hello again', 'Hello World']);
      expect(await q({ q: '0%' })).toEqual(['100% sure']);
      expect(await q({ q: 'äö' })).toEqual(['Ünïcode ÄÖ']);
      expect(await q({ q: 'ÜNÏ' })).toEqual(['Ünïcode ÄÖ']);
      expect(await q({ authorId: frank.id })).toEqual(['Ünïcode ÄÖ', '100% sure', 'Hello World']);

      // Messages outlive their author's account, under the name they were posted with.
      await users.remove(frank.id);
      const kept = await chat.list(room.id, {}, page('id'));
      expect(kept.items).toHaveLength(texts.length);
      expect(kept.items.every((m) => m.authorId === null && m.authorName === 'F')).toBe(true);
    });
  });

  describe('connections', () => {
    it('survive the server dropping idle connections', async () => {
      const users = new UserStore(db);
      await Promise.all([users.count(), users.count(), users.count()]);
      if (target.name === 'postgres') {
        const other = await openDatabase(opts);
        const others = sql<{ pid: number }>`select pid from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`;
        expect((await others.execute(other.db)).rows.length).toBeGreaterThan(0);
        await sql`select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`.execute(other.db);
        // Wait for those backends to be gone, then for their goodbye to reach the pool.
        await waitFor(
          async () => (await others.execute(other.db)).rows.length === 0,
          'the terminated backends to be gone',
        );
        await other.db.destroy();
        await new Promise((r) => setTimeout(r, 100));
      }
      // The pool replaced the dropped connections (and nothing crashed).
      expect(await users.count()).toEqual(expect.any(Number));
    });
  });

  describe('settings', () => {
    it('starts from the defaults and keeps a patch across re-open', async () => {
      const fresh = await target.makeOptions();
      const first = await openDatabase(fresh);
      const s1 = new SettingsStore(first.db, SETTINGS);
      await s1.load();
      expect(s1.get()).toEqual(SETTINGS);
      const p1 = { allowGuests: false, maxUsersPerChannel: 12 };
      await first.db.transaction().execute((tx) => s1.write(tx, p1));
      expect(s1.apply(p1)).toEqual({ ...SETTINGS, allowGuests: false, maxUsersPerChannel: 12 });
      await s1.write(first.db, { maxUsersPerChannel: 13 });
      // A rolled-back write leaves nothing behind.
      await expect(
        first.db.transaction().execute(async (tx) => {
          await s1.write(tx, { allowRegistration: true });
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      // A key no longer known is ignored.
      await first.db.insertInto('settings').values({ key: 'retired', value: '1' }).execute();
      await first.db.destroy();

      const again = await openDatabase(fresh);
      const s2 = new SettingsStore(again.db, { ...SETTINGS, frameMs: 40 });
      await s2.load();
      expect(s2.get()).toEqual({ ...SETTINGS, frameMs: 40, allowGuests: false, maxUsersPerChannel: 13 });
      await again.db.destroy();
    });
  });
});
