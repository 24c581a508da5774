import { ErrorCode } from '@parley/protocol';
import { atLeast, outranks, Perm } from '../auth/permissions.js';
import type { Ban } from '../db/bans.js';
import type { HubPeer } from '../control/hub.js';
import type { Actor } from './actor.js';
import { SessionCloseCode } from './auth.js';
import type { ChannelService } from './channels.js';
import { audit, inTransaction, type ServiceContext } from './context.js';
import { fail } from './errors.js';
import { ipMatches, normalizeIpOrCidr } from '../net/ip.js';

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
    if (!outranks(actor.role, target.actor.role)) {
      fail(ErrorCode.Forbidden, `you may not ${what} a ${target.actor.role}`);
    }
  }

  /**
   * An address ban may not cover anyone the actor does not outrank: refused
   * while such a session is connected from the address (the actor's own
   * included). Whoever connects from it later is shielded by BanStore.activeFor.
   */
  private assertAddressBelow(actor: Actor, ip: string): void {
    for (const p of this.ctx.hub.allPeers()) {
      if (p.actor.ip !== null && ipMatches(ip, p.actor.ip) && !outranks(actor.role, p.actor.role)) {
        fail(ErrorCode.Forbidden, `a ${p.actor.role} is connected from ${ip}: you may not ban this address`);
      }
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
    this.assertOver(actor, t, Perm.MuteOthers, 'set the priority of');
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
    const ip = req.ip == null ? null : (normalizeIpOrCidr(req.ip) ?? null);
    if (req.ip != null && ip === null)
      fail(ErrorCode.Validation, `${req.ip} is not an IP address or a CIDR range`);
    if (userId === null && ip === null) fail(ErrorCode.Validation, 'a ban needs a userId or an ip');
    let userName: string | null = null;
    if (userId !== null) {
      const u = await this.ctx.stores.users.byId(userId);
      if (u === undefined) fail(ErrorCode.UnknownUser, `no user ${userId}`);
      if (!outranks(actor.role, u.role)) fail(ErrorCode.Forbidden, `you may not ban a ${u.role}`);
      if (u.id === actor.userId) fail(ErrorCode.Forbidden, 'you may not ban yourself');
      userName = u.name;
    }
    if (ip !== null) this.assertAddressBelow(actor, ip);
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
      const byIp = ip !== null && p.actor.ip !== null && ipMatches(ip, p.actor.ip);
      if ((userId !== null && p.actor.userId === userId) || byIp) {
        // Someone of equal or higher rank who came in meanwhile is not covered (BanStore.activeFor).
        if (!outranks(actor.role, p.actor.role)) continue;
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

  /**
   * Lifts a ban. A ban is lifted by whoever placed it or outranks its author,
   * and only when its account (if any) is below the actor: a moderator lifts
   * neither an admin's ban nor another moderator's, nor one on a moderator.
   * A ban whose author's account is gone is lifted by admins.
   */
  async liftBan(actor: Actor, id: number): Promise<void> {
    if (!atLeast(actor.role, 'moderator')) fail(ErrorCode.Forbidden, 'needs the moderator role');
    const existed = await inTransaction(this.ctx, async (s) => {
      const b = await s.bans.byId(id);
      if (b === undefined) return false;
      if (actor.role !== 'admin') {
        const author = b.createdBy === null ? undefined : await s.users.byId(b.createdBy);
        if (b.createdBy !== actor.userId && (author === undefined || !outranks(actor.role, author.role)))
          fail(
            ErrorCode.Forbidden,
            `you may not lift a ban placed by ${author ? `a ${author.role}` : 'an admin'}`,
          );
        const target = b.userId === null ? undefined : await s.users.byId(b.userId);
        if (target !== undefined && !outranks(actor.role, target.role))
          fail(ErrorCode.Forbidden, `you may not lift a ban on a ${target.role}`);
      }
      await s.bans.remove(id);
      await s.audit.record(audit(actor, 'ban.delete', 'ban', id, { userId: b.userId, ip: b.ip }));
      return true;
    });
    if (!existed) fail(ErrorCode.NotFound, `no ban ${id}`);
  }
}
