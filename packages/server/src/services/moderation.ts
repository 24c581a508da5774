import { ErrorCode } from '@parley/protocol';
import { atLeast, Perm, type ActorRole } from '../auth/permissions.js';
import type { Ban } from '../db/bans.js';
import type { HubPeer } from '../control/hub.js';
import type { Actor } from './actor.js';
import { SessionCloseCode } from './auth.js';
import type { ChannelService } from './channels.js';
import { audit, inTransaction, type ServiceContext } from './context.js';
import { fail } from './errors.js';

const RANK: Readonly<Record<ActorRole, number>> = { guest: 0, member: 1, moderator: 2, admin: 3 };

export interface BanRequest {
  userId?: number | null;
  ip?: string | null;
  reason: string;
  /** null/absent = permanent */
  expiresAt?: string | null;
}

/** Kick, ban, server mute/deafen, move, priority speaker — each audited (docs/control-plane.md "Moderation"). */
export class ModerationService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly channels: ChannelService,
  ) {}

  /** The connected session with this id (ssrc). */
  target(ssrc: number): HubPeer {
    const p = this.ctx.hub.peerBySsrc(ssrc);
    if (p === undefined) fail(ErrorCode.UnknownSession, `no session ${ssrc}`);
    return p;
  }

  /** `perm` where the target is, and a rank above the target's (admins act on anyone). */
  private assertOver(actor: Actor, target: HubPeer, perm: number, what: string): void {
    if (!this.ctx.hub.may(actor, perm, target.media.channelId))
      fail(ErrorCode.Forbidden, `you may not ${what} here`);
    if (actor.role !== 'admin' && RANK[actor.role] <= RANK[target.actor.role]) {
      fail(ErrorCode.Forbidden, `you may not ${what} a ${target.actor.role}`);
    }
  }

  async kick(actor: Actor, ssrc: number, reason: string): Promise<void> {
    const t = this.target(ssrc);
    this.assertOver(actor, t, Perm.MoveKick, 'kick');
    await this.ctx.stores.audit.record(
      audit(actor, 'session.kick', 'session', ssrc, { name: t.actor.name, userId: t.actor.userId, reason }),
    );
    t.disconnect(ErrorCode.Kicked, reason || 'kicked', SessionCloseCode.Kicked, actor.name);
  }

  async move(actor: Actor, ssrc: number, channelRef: string | number): Promise<void> {
    const t = this.target(ssrc);
    this.assertOver(actor, t, Perm.MoveKick, 'move');
    const dest = this.ctx.hub.findChannel(channelRef);
    if (dest === undefined) fail(ErrorCode.UnknownChannel, `no channel ${JSON.stringify(channelRef)}`);
    if (!this.ctx.hub.may(actor, Perm.MoveKick, dest.id))
      fail(ErrorCode.Forbidden, `you may not move people into ${dest.name}`);
    await this.ctx.stores.audit.record(
      audit(actor, 'session.move', 'session', ssrc, {
        name: t.actor.name,
        from: t.media.channelId,
        to: dest.id,
      }),
    );
    this.channels.placePeer(t, dest);
  }

  async serverMute(
    actor: Actor,
    ssrc: number,
    muted: boolean | undefined,
    deafened: boolean | undefined,
  ): Promise<void> {
    const t = this.target(ssrc);
    this.assertOver(actor, t, Perm.MuteOthers, 'mute');
    await this.ctx.stores.audit.record(
      audit(actor, 'session.mute', 'session', ssrc, { name: t.actor.name, muted, deafened }),
    );
    this.ctx.hub.updatePresence(t, {
      ...(muted === undefined ? {} : { serverMuted: muted }),
      ...(deafened === undefined ? {} : { serverDeafened: deafened }),
    });
  }

  async priority(actor: Actor, ssrc: number, on: boolean): Promise<void> {
    const t = this.target(ssrc);
    if (!this.ctx.hub.may(actor, Perm.MuteOthers, t.media.channelId))
      fail(ErrorCode.Forbidden, 'you may not set priority speakers here');
    await this.ctx.stores.audit.record(
      audit(actor, 'session.priority', 'session', ssrc, { name: t.actor.name, on }),
    );
    this.ctx.hub.updatePresence(t, { prioritySpeaker: on });
  }

  /**
   * Bans an account and/or an address: its tokens are revoked and every
   * matching live session is closed at once. Needs the moderator role.
   */
  async ban(actor: Actor, req: BanRequest): Promise<Ban> {
    if (!atLeast(actor.role, 'moderator')) fail(ErrorCode.Forbidden, 'banning needs the moderator role');
    const userId = req.userId ?? null;
    const ip = req.ip ?? null;
    if (userId === null && ip === null) fail(ErrorCode.Validation, 'a ban needs a userId or an ip');
    let userName: string | null = null;
    if (userId !== null) {
      const u = await this.ctx.stores.users.byId(userId);
      if (u === undefined) fail(ErrorCode.UnknownUser, `no user ${userId}`);
      if (actor.role !== 'admin' && RANK[actor.role] <= RANK[u.role])
        fail(ErrorCode.Forbidden, `you may not ban a ${u.role}`);
      if (u.id === actor.userId) fail(ErrorCode.Forbidden, 'you may not ban yourself');
      userName = u.name;
    }
    const ban = await inTransaction(this.ctx, async (s) => {
      const b = await s.bans.create({
        userId,
        userName,
        ip,
        reason: req.reason,
        createdBy: actor.userId,
        expiresAt: req.expiresAt ?? null,
      });
      if (userId !== null) await s.users.revokeAll(userId);
      await s.audit.record(
        audit(actor, 'ban.create', 'ban', b.id, {
          userId,
          userName,
          ip,
          reason: req.reason,
          expiresAt: b.expiresAt,
        }),
      );
      return b;
    });
    const reason = req.reason || 'banned';
    for (const p of this.ctx.hub.allPeers()) {
      if ((userId !== null && p.actor.userId === userId) || (ip !== null && p.actor.ip === ip)) {
        if (p.actor.role === 'admin' && actor.role !== 'admin') continue;
        p.disconnect(ErrorCode.Banned, reason, SessionCloseCode.Banned, actor.name);
      }
    }
    return ban;
  }

  /** Bans the account (and optionally the address) behind a live session. */
  async banSession(
    actor: Actor,
    ssrc: number,
    reason: string,
    minutes: number | undefined,
    withIp: boolean,
  ): Promise<Ban> {
    const t = this.target(ssrc);
    this.assertOver(actor, t, Perm.MoveKick, 'ban');
    const expiresAt = minutes === undefined ? null : new Date(Date.now() + minutes * 60_000).toISOString();
    const ip = withIp || t.actor.userId === null ? t.actor.ip : null;
    return this.ban(actor, { userId: t.actor.userId, ip, reason, expiresAt });
  }

  async liftBan(actor: Actor, id: number): Promise<void> {
    if (!atLeast(actor.role, 'moderator')) fail(ErrorCode.Forbidden, 'needs the moderator role');
    const existed = await inTransaction(this.ctx, async (s) => {
      const b = await s.bans.byId(id);
      if (b === undefined) return false;
      await s.bans.remove(id);
      await s.audit.record(audit(actor, 'ban.delete', 'ban', id, { userId: b.userId, ip: b.ip }));
      return true;
    });
    if (!existed) fail(ErrorCode.NotFound, `no ban ${id}`);
  }
}
