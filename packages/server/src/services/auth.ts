import { ErrorCode } from '@parley/protocol';
import { generatePassword, newToken, tokenHash } from '../auth/secrets.js';
import { NameTakenError, type User } from '../db/users.js';
import type { Role } from '../db/schema.js';
import type { Actor } from './actor.js';
import { audit, inTransaction, SYSTEM, type ServiceContext } from './context.js';
import { fail, ServiceError } from './errors.js';
import { lookupName } from '../auth/names.js';
import { acceptName, MAX_USER_NAME } from './names.js';

export interface LoginResult {
  user: User;
  token: string;
  expiresAt: string;
}

/** A WebSocket close code: the session was ended by the server for a reason the client should show. */
export const SessionCloseCode = {
  Kicked: 4003,
  Banned: 4004,
  Revoked: 4005,
} as const;

export function actorOf(user: User, ip: string | null, hashOfToken?: string): Actor {
  const actor: Actor = { userId: user.id, name: user.name, role: user.role, ip };
  if (hashOfToken !== undefined) actor.tokenHash = hashOfToken;
  return actor;
}

/** Accounts, logins and tokens (docs/control-plane.md "Identity"). */
export class AuthService {
  constructor(private readonly ctx: ServiceContext) {}

  /** First start: creates `admin`. Returns the generated password to log once, or null. */
  async bootstrap(): Promise<{ generatedPassword: string | null } | null> {
    const { users } = this.ctx.stores;
    if ((await users.count()) > 0) return null;
    const given = this.ctx.config.auth.adminPassword;
    const password = given ?? generatePassword();
    await inTransaction(this.ctx, async (s) => {
      const u = await s.users.create('admin', await this.ctx.passwords.hash(password), 'admin');
      await s.audit.record(
        audit(SYSTEM, 'user.create', 'user', u.id, { name: u.name, role: u.role, bootstrap: true }),
      );
    });
    return { generatedPassword: given === undefined ? password : null };
  }

  private ttlMs(): number {
    return this.ctx.config.auth.tokenTtlHours * 3_600_000;
  }

  private async issueToken(user: User, s = this.ctx.stores): Promise<LoginResult> {
    const token = newToken();
    const ttl = this.ttlMs();
    await s.users.createSession(user.id, tokenHash(token), ttl);
    return { user, token, expiresAt: new Date(Date.now() + ttl).toISOString() };
  }

  /**
   * Refuses a banned account or address. An address ban reaches an account
   * only when its author outranks the account (BanStore.activeFor): a
   * moderator cannot lock an admin or another moderator out by address.
   */
  async assertNotBanned(userId: number | null, ip: string | null, role?: Role): Promise<void> {
    const known = role ?? (userId === null ? undefined : (await this.ctx.stores.users.byId(userId))?.role);
    const ban = await this.ctx.stores.bans.activeFor({
      userId,
      ip,
      ...(known === undefined ? {} : { role: known }),
    });
    if (ban !== undefined) {
      const until = ban.expiresAt === null ? 'permanently' : `until ${ban.expiresAt}`;
      fail(ErrorCode.Banned, `banned ${until}${ban.reason ? `: ${ban.reason}` : ''}`);
    }
  }

  async register(rawName: string, password: string, ip: string | null): Promise<LoginResult> {
    const name = acceptName(rawName, MAX_USER_NAME, 'name');
    if (!this.ctx.settings.get().allowRegistration) {
      fail(ErrorCode.RegistrationClosed, 'registration is closed on this server');
    }
    await this.assertNotBanned(null, ip);
    const hash = await this.ctx.passwords.hash(password);
    try {
      return await inTransaction(this.ctx, async (s) => {
        const user = await s.users.create(name, hash, 'member');
        await s.audit.record({
          ...audit(actorOf(user, ip), 'user.register', 'user', user.id),
          detail: { name },
        });
        return this.issueToken(user, s);
      });
    } catch (err) {
      if (err instanceof NameTakenError) fail(ErrorCode.NameTaken, err.message);
      throw err;
    }
  }

  async login(name: string, password: string, ip: string | null): Promise<LoginResult> {
    const cred = await this.ctx.stores.users.credentials(lookupName(name));
    // Verify even when the account does not exist, so timing does not tell which names exist.
    const ok = await this.ctx.passwords.verify(cred?.passwordHash ?? DUMMY_HASH, password);
    if (cred === undefined || !ok) fail(ErrorCode.BadCredentials, 'wrong name or password');
    try {
      await this.assertNotBanned(cred.user.id, ip, cred.user.role);
    } catch (err) {
      if (err instanceof ServiceError) {
        await this.ctx.stores.audit.record(
          audit(actorOf(cred.user, ip), 'auth.login_refused', 'user', cred.user.id, { why: err.message }),
        );
      }
      throw err;
    }
    return this.issueToken(cred.user);
  }

  /** Revokes one token; the live WebSocket sessions opened with it close at once (4005). */
  async logout(hash: string): Promise<void> {
    await this.ctx.stores.users.revokeSession(hash);
    this.disconnectToken(hash, 'you logged out');
  }

  /** The account behind a bearer token, if valid. */
  async userForToken(token: string): Promise<User | undefined> {
    return this.ctx.stores.users.userForToken(tokenHash(token));
  }

  /** Changes one's own password: every other token ends, a new one is returned. */
  async changePassword(actor: Actor, current: string, next: string): Promise<LoginResult> {
    if (actor.userId === null) fail(ErrorCode.AuthRequired, 'log in first');
    const user = await this.ctx.stores.users.byId(actor.userId);
    if (user === undefined) fail(ErrorCode.AuthRequired, 'log in first');
    const cred = await this.ctx.stores.users.credentials(user.name);
    if (cred === undefined || !(await this.ctx.passwords.verify(cred.passwordHash, current))) {
      fail(ErrorCode.BadCredentials, 'the current password is wrong');
    }
    const hash = await this.ctx.passwords.hash(next);
    const result = await inTransaction(this.ctx, async (s) => {
      await s.users.update(user.id, { passwordHash: hash });
      await s.users.revokeAll(user.id);
      await s.audit.record(audit(actor, 'user.password', 'user', user.id));
      return this.issueToken(user, s);
    });
    this.disconnectUser(user.id, 'your password was changed', SessionCloseCode.Revoked);
    return result;
  }

  /** Admin: creates an account. */
  async createUser(actor: Actor, rawName: string, password: string, role: Role): Promise<User> {
    const name = acceptName(rawName, MAX_USER_NAME, 'name');
    const hash = await this.ctx.passwords.hash(password);
    try {
      return await inTransaction(this.ctx, async (s) => {
        const u = await s.users.create(name, hash, role);
        await s.audit.record(audit(actor, 'user.create', 'user', u.id, { name, role }));
        return u;
      });
    } catch (err) {
      if (err instanceof NameTakenError) fail(ErrorCode.NameTaken, err.message);
      throw err;
    }
  }

  /** Admin: changes role and/or password; the account's tokens and live sessions end. */
  async updateUser(actor: Actor, id: number, patch: { role?: Role; password?: string }): Promise<User> {
    const user = await this.ctx.stores.users.byId(id);
    if (user === undefined) fail(ErrorCode.UnknownUser, `no user ${id}`);
    if (patch.role !== undefined && patch.role !== 'admin' && user.role === 'admin')
      await this.assertNotLastAdmin(id);
    const hash = patch.password === undefined ? undefined : await this.ctx.passwords.hash(patch.password);
    const updated = await inTransaction(this.ctx, async (s) => {
      const u = await s.users.update(id, {
        ...(patch.role === undefined ? {} : { role: patch.role }),
        ...(hash === undefined ? {} : { passwordHash: hash }),
      });
      await s.users.revokeAll(id);
      const detail: Record<string, unknown> = {};
      if (patch.role !== undefined) detail.role = { from: user.role, to: patch.role };
      if (patch.password !== undefined) detail.password = true;
      await s.audit.record(audit(actor, 'user.update', 'user', id, detail));
      return u;
    });
    if (updated === undefined) fail(ErrorCode.UnknownUser, `no user ${id}`);
    this.disconnectUser(
      id,
      'your account was changed by an administrator',
      SessionCloseCode.Revoked,
      actor.name,
    );
    return updated;
  }

  async deleteUser(actor: Actor, id: number): Promise<void> {
    const user = await this.ctx.stores.users.byId(id);
    if (user === undefined) fail(ErrorCode.UnknownUser, `no user ${id}`);
    if (user.role === 'admin') await this.assertNotLastAdmin(id);
    await inTransaction(this.ctx, async (s) => {
      await s.users.revokeAll(id);
      await s.users.remove(id);
      await s.audit.record(audit(actor, 'user.delete', 'user', id, { name: user.name }));
    });
    this.disconnectUser(id, 'your account was deleted', SessionCloseCode.Revoked, actor.name);
  }

  private async assertNotLastAdmin(id: number): Promise<void> {
    const admins = await this.ctx.stores.users.list(
      { role: ['admin'] },
      { limit: 2, cursor: undefined, column: 'id', desc: false },
    );
    if (admins.items.length === 1 && admins.items[0]?.id === id) {
      fail(ErrorCode.Forbidden, 'the last admin cannot be removed or demoted');
    }
  }

  /** Ends the live WebSocket sessions (attached or awaiting resume) opened with one token. */
  disconnectToken(hash: string, reason: string): void {
    for (const p of this.ctx.hub.allPeers()) {
      if (p.actor.tokenHash === hash) p.disconnect(ErrorCode.AuthRequired, reason, SessionCloseCode.Revoked);
    }
  }

  /** Ends every live WebSocket session of an account. */
  disconnectUser(userId: number, reason: string, closeCode: number, by?: string): void {
    for (const p of this.ctx.hub.peersOfUser(userId)) {
      p.disconnect(
        closeCode === SessionCloseCode.Banned ? ErrorCode.Banned : ErrorCode.AuthRequired,
        reason,
        closeCode,
        by,
      );
    }
  }
}

/** An argon2id hash of a random password: verified against when the account does not exist. */
const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3y2sWQnT0bB7gx1l0cvG1cO2P6m0xw6E2fQ5XqYQ9Xw';
