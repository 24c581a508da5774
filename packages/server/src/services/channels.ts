import { ErrorCode } from '@parley/protocol';
import { passesChannelLock, Perm, type ActorRole } from '../auth/permissions.js';
import type { ChannelRow } from '../db/channels.js';
import { toChannelInfo, type HubPeer } from '../control/hub.js';
import type { Actor } from './actor.js';
import { audit, inTransaction, SYSTEM, type ServiceContext } from './context.js';
import { ChannelPasswordGuard } from './channel-guard.js';
import { fail } from './errors.js';
import { acceptName, MAX_CHANNEL_NAME } from './names.js';

export interface ChannelCreate {
  name: string;
  parentId?: number | null;
  position?: number;
  description?: string;
  userLimit?: number;
  /** Plain text; stored as an argon2id hash. Empty or null = open. */
  password?: string | null;
  temporary?: boolean;
}

export type ChannelPatch = Partial<ChannelCreate>;

/** Moves a peer into a channel and tells it (a `joined` message with its media parameters). */
export type PlacePeer = (peer: HubPeer, channel: ChannelRow) => void;

/** The channel tree: create, change, delete, permissions, entry checks (docs/control-plane.md "Channels"). */
export class ChannelService {
  /** Set by the WebSocket layer: how to move a connected peer into a channel. */
  placePeer: PlacePeer = () => undefined;
  /** Channel password checks: rate-limited per address and per channel, hashing bounded. */
  readonly guard: ChannelPasswordGuard;

  constructor(private readonly ctx: ServiceContext) {
    this.guard = new ChannelPasswordGuard(ctx.config.auth, ctx.passwords);
    ctx.hub.on('empty', (id) => {
      const ch = ctx.hub.findChannel(id);
      if (ch?.temporary === true) {
        this.remove(SYSTEM, id).catch((err: unknown) =>
          ctx.log.error({ err, channelId: id }, 'temporary channel cleanup'),
        );
      }
    });
  }

  get(id: number): ChannelRow {
    const ch = this.ctx.hub.findChannel(id);
    if (ch === undefined) fail(ErrorCode.UnknownChannel, `no channel ${id}`);
    return ch;
  }

  private assertManage(actor: Actor, channelId: number | null): void {
    if (!this.ctx.hub.may(actor, Perm.ManageChannel, channelId)) {
      fail(
        ErrorCode.Forbidden,
        channelId === null ? 'you may not create top-level channels' : 'you may not manage this channel',
      );
    }
  }

  private assertNameFree(name: string, exceptId?: number): void {
    const other = this.ctx.hub.findChannel(name);
    if (other !== undefined && other.id !== exceptId)
      fail(ErrorCode.NameTaken, `a channel named ${name} exists`);
  }

  async create(
    actor: Actor,
    given: ChannelCreate,
    opts: { allowTempByMembers?: boolean } = {},
  ): Promise<ChannelRow> {
    const input = { ...given, name: acceptName(given.name, MAX_CHANNEL_NAME, 'name') };
    const parentId = input.parentId ?? null;
    if (parentId !== null) this.get(parentId);
    // WebSocket create_temp: the creator is placed in the new channel, which inherits the
    // parent's overrides, so it needs Enter on the parent (and ManageChannel does not replace it).
    if (opts.allowTempByMembers === true && input.temporary === true) {
      if (!this.ctx.hub.may(actor, Perm.Enter, parentId))
        fail(ErrorCode.Forbidden, 'you may not enter the parent channel');
    } else this.assertManage(actor, parentId);
    this.assertNameFree(input.name);
    const passwordHash = input.password ? await this.ctx.passwords.hash(input.password) : null;
    const row = await inTransaction(this.ctx, async (s) => {
      const ch = await s.channels.create({
        name: input.name,
        parentId,
        position: input.position ?? 0,
        description: input.description ?? '',
        userLimit: input.userLimit ?? 0,
        passwordHash,
        temporary: input.temporary ?? false,
      });
      await s.audit.record(
        audit(actor, 'channel.create', 'channel', ch.id, {
          name: ch.name,
          parentId,
          temporary: ch.temporary,
        }),
      );
      return ch;
    }).catch((err: unknown) => {
      if (isUniqueViolation(err)) fail(ErrorCode.NameTaken, `a channel named ${input.name} exists`);
      throw err;
    });
    await this.ctx.hub.refreshChannels();
    this.ctx.hub.broadcastAll({ type: 'channel_created', channel: toChannelInfo(row) });
    return row;
  }

  async update(actor: Actor, id: number, given: ChannelPatch): Promise<ChannelRow> {
    const patch =
      given.name === undefined ? given : { ...given, name: acceptName(given.name, MAX_CHANNEL_NAME, 'name') };
    const before = this.get(id);
    this.assertManage(actor, id);
    // The default channel is known by its name: renamed, it would lose its protection.
    if (patch.name !== undefined && patch.name !== before.name && before.name === this.ctx.defaultChannel)
      fail(ErrorCode.ChannelProtected, `${before.name} cannot be renamed`);
    if (patch.name !== undefined) this.assertNameFree(patch.name, id);
    if (patch.parentId !== undefined && patch.parentId !== before.parentId) {
      const to = patch.parentId;
      if (to !== null) {
        this.get(to);
        if (this.ctx.hub.subtree(id).includes(to))
          fail(ErrorCode.ChannelCycle, 'a channel cannot move under itself');
      }
      this.assertManage(actor, to);
    }
    const passwordHash =
      patch.password === undefined
        ? undefined
        : patch.password === null || patch.password === ''
          ? null
          : await this.ctx.passwords.hash(patch.password);
    const row = await inTransaction(this.ctx, async (s) => {
      const ch = await s.channels.update(id, {
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.parentId === undefined ? {} : { parentId: patch.parentId }),
        ...(patch.position === undefined ? {} : { position: patch.position }),
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.userLimit === undefined ? {} : { userLimit: patch.userLimit }),
        ...(passwordHash === undefined ? {} : { passwordHash }),
        ...(patch.temporary === undefined ? {} : { temporary: patch.temporary }),
      });
      if (ch === undefined) fail(ErrorCode.UnknownChannel, `no channel ${id}`);
      const { password, ...rest } = patch;
      await s.audit.record(
        audit(actor, 'channel.update', 'channel', id, {
          ...rest,
          ...(password === undefined ? {} : { password: password ? 'set' : 'removed' }),
        }),
      );
      return ch;
    }).catch((err: unknown) => {
      if (isUniqueViolation(err)) fail(ErrorCode.NameTaken, `a channel named ${patch.name ?? ''} exists`);
      throw err;
    });
    await this.ctx.hub.refreshChannels();
    this.ctx.hub.broadcastAll({ type: 'channel_updated', channel: toChannelInfo(row) });
    return row;
  }

  /**
   * Puts the children of `parentId` (null: the top-level channels) in the
   * order of `ids`: positions 0, 1, 2… (ManageChannel on the parent). `ids`
   * must be exactly the children now, each once, or nothing changes
   * (PARLEY_ERR_CHANNEL_ORDER: one was added, moved or deleted meanwhile;
   * read them again). One audit record; each channel whose position changed
   * is broadcast as `channel_updated`. Returns the children in their order.
   */
  async reorder(actor: Actor, parentId: number | null, ids: readonly number[]): Promise<ChannelRow[]> {
    if (parentId !== null) this.get(parentId);
    if (!this.ctx.hub.may(actor, Perm.ManageChannel, parentId))
      fail(
        ErrorCode.Forbidden,
        parentId === null ? 'you may not order the top-level channels' : 'you may not manage this channel',
      );
    const moved = await inTransaction(this.ctx, async (s) => {
      const children = await s.channels.children(parentId);
      const byId = new Map(children.map((c) => [c.id, c]));
      if (
        ids.length !== children.length ||
        new Set(ids).size !== ids.length ||
        !ids.every((id) => byId.has(id))
      )
        fail(
          ErrorCode.ChannelOrder,
          `the order must list each of the ${children.length} channels under ${parentId ?? 'the top level'} once`,
        );
      const changed: number[] = [];
      for (const [position, id] of ids.entries()) {
        if (byId.get(id)!.position === position) continue;
        await s.channels.update(id, { position });
        changed.push(id);
      }
      if (changed.length > 0)
        await s.audit.record(audit(actor, 'channel.reorder', 'channel', parentId, { parentId, ids }));
      return changed;
    });
    const hub = this.ctx.hub;
    await hub.refreshChannels();
    // (A channel deleted in the meantime is simply not there.)
    const now = (id: number) => hub.findChannel(id) ?? [];
    for (const c of moved.flatMap(now))
      hub.broadcastAll({ type: 'channel_updated', channel: toChannelInfo(c) });
    return ids.flatMap(now);
  }

  /**
   * Deletes a channel and its subtree. The people inside move to the deleted
   * channel's parent, or to the default channel for a top-level one.
   */
  async remove(actor: Actor, id: number): Promise<void> {
    const ch = this.get(id);
    const hub = this.ctx.hub;
    const ids = hub.subtree(id);
    // The default channel goes neither alone nor with an ancestor it was moved under.
    if (ids.some((cid) => hub.findChannel(cid)?.name === this.ctx.defaultChannel))
      fail(ErrorCode.ChannelProtected, `${this.ctx.defaultChannel} cannot be deleted`);
    this.assertManage(actor, id);
    const fallback =
      (ch.parentId === null ? undefined : hub.findChannel(ch.parentId)) ??
      hub.findChannel(this.ctx.defaultChannel);
    // Temporary channels vanish when empty; an occupied one is not deleted by the cleanup.
    if (actor === SYSTEM && ids.some((cid) => hub.memberCount(cid) > 0)) return;
    await inTransaction(this.ctx, async (s) => {
      await s.channels.removeTree(id);
      await s.audit.record(audit(actor, 'channel.delete', 'channel', id, { name: ch.name, subtree: ids }));
    });
    // Who is inside now: someone may have joined while the transaction ran.
    hub.forgetChannels(ids);
    const occupants = ids.flatMap((cid) => hub.peersIn(cid));
    if (fallback !== undefined) for (const p of occupants) this.placePeer(p, fallback);
    else for (const p of occupants) hub.leave(p);
    await hub.refreshChannels();
    for (const cid of ids.reverse()) hub.broadcastAll({ type: 'channel_deleted', channelId: cid });
  }

  async setOverride(
    actor: Actor,
    channelId: number,
    role: ActorRole,
    allow: number,
    deny: number,
  ): Promise<void> {
    this.get(channelId);
    this.assertManage(actor, channelId);
    await inTransaction(this.ctx, async (s) => {
      if (allow === 0 && deny === 0) await s.channels.deleteOverride(channelId, role);
      else await s.channels.setOverride(channelId, { role, allow, deny });
      await s.audit.record(audit(actor, 'channel.permissions', 'channel', channelId, { role, allow, deny }));
    });
    await this.ctx.hub.refreshChannels();
  }

  /**
   * May `actor` enter `channel` with `password`? Fails with a code when not.
   * Those who pass the channel's lock (passesChannelLock) pass its password
   * and the user limit.
   */
  async checkEntry(
    actor: Actor,
    channel: ChannelRow,
    password: string | undefined,
    alreadyInside: boolean,
  ): Promise<void> {
    if (!this.ctx.hub.may(actor, Perm.Enter, channel.id))
      fail(ErrorCode.Forbidden, `you may not enter ${channel.name}`);
    this.assertRoom(actor, channel, alreadyInside);
    await this.assertAccess(actor, channel, Perm.Enter, password, alreadyInside);
  }

  /**
   * The one rule for a channel's door — entering it, reading its chat,
   * writing in it: `perm` there (Enter; Enter and Text to write), then its
   * password, unless the actor passes the channel's lock (moderators and up,
   * ManageChannel there) or is already inside (`inside`: entered, or moved
   * in by a moderator). Fails with PARLEY_ERR_FORBIDDEN or
   * PARLEY_ERR_CHANNEL_PASSWORD.
   */
  async assertAccess(
    actor: Actor,
    channel: ChannelRow,
    perm: number,
    password: string | undefined,
    inside: boolean,
  ): Promise<void> {
    if (!this.ctx.hub.may(actor, perm, channel.id))
      fail(ErrorCode.Forbidden, `you may not ${perm & Perm.Text ? 'write in' : 'enter'} ${channel.name}`);
    if (channel.passwordHash === null || inside || this.privileged(actor, channel)) return;
    if (
      password === undefined ||
      !(await this.guard.verify(actor.ip, channel.id, channel.passwordHash, password))
    ) {
      fail(ErrorCode.ChannelPassword, `${channel.name} needs the right password`);
    }
  }

  /**
   * Is `actor` in `channel` now, through any of its live sessions (the same
   * account, or the very guest session)? Inside counts as having passed the door.
   */
  isInside(actor: Actor, channelId: number): boolean {
    return this.ctx.hub
      .peersIn(channelId)
      .some((p) => p.actor === actor || (actor.userId !== null && p.actor.userId === actor.userId));
  }

  /**
   * The user limit, checked synchronously: callers check it again right
   * before `hub.join`, with no await in between, so concurrent joins cannot
   * overfill a channel while passwords are being verified.
   */
  assertRoom(actor: Actor, channel: ChannelRow, alreadyInside: boolean): void {
    if (alreadyInside || this.privileged(actor, channel)) return;
    const limit = channel.userLimit > 0 ? channel.userLimit : this.ctx.settings.get().maxUsersPerChannel;
    if (limit > 0 && this.ctx.hub.memberCount(channel.id) >= limit)
      fail(ErrorCode.ChannelFull, `${channel.name} is full`);
  }

  /** Moderators and whoever may manage the channel pass its password and its user limit. */
  private privileged(actor: Actor, channel: ChannelRow): boolean {
    return actor.role === 'admin' || passesChannelLock(actor.role, this.ctx.hub.chain(channel.id));
  }
}

/** A UNIQUE constraint failure, in SQLite or PostgreSQL. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown };
  return e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === '23505';
}
