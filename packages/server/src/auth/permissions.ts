/**
 * Who may do what, where: the one pure module that REST, the WebSocket and
 * the media plane all ask. No I/O: callers pass the actor's role and the
 * chain of per-channel overrides from the root channel down to the target.
 *
 * Rules (docs/permissions.md):
 * - Each role starts from its defaults (ROLE_DEFAULTS).
 * - Walking from the top-level ancestor down to the channel itself, each
 *   override for the actor's role first removes `deny`, then adds `allow`:
 *   children inherit what their parents decided, and the nearest channel
 *   has the last word.
 * - `admin` always has every permission; overrides cannot lock it out.
 */

export const Perm = {
  Enter: 1 << 0,
  Speak: 1 << 1,
  Whisper: 1 << 2,
  Text: 1 << 3,
  ManageChannel: 1 << 4,
  MoveKick: 1 << 5,
  MuteOthers: 1 << 6,
} as const;
export type PermName = keyof typeof Perm;
export const ALL_PERMS = Object.values(Perm).reduce((a, b) => a | b, 0);

export const ROLES = ['admin', 'moderator', 'member', 'guest'] as const;
export type ActorRole = (typeof ROLES)[number];

export const ROLE_DEFAULTS: Readonly<Record<ActorRole, number>> = {
  admin: ALL_PERMS,
  moderator: ALL_PERMS,
  member: Perm.Enter | Perm.Speak | Perm.Whisper | Perm.Text,
  guest: Perm.Enter | Perm.Speak | Perm.Text,
};

/** Rank for "at least" checks on server-wide actions. */
const RANK: Readonly<Record<ActorRole, number>> = { guest: 0, member: 1, moderator: 2, admin: 3 };

export interface Override {
  role: string;
  allow: number;
  deny: number;
}

/** The permissions a role has in a channel, given overrides root → leaf. */
export function effectivePerms(role: ActorRole, chain: readonly (readonly Override[])[]): number {
  if (role === 'admin') return ALL_PERMS;
  let perms = ROLE_DEFAULTS[role];
  for (const level of chain) {
    for (const o of level) {
      if (o.role !== role) continue;
      perms = (perms & ~o.deny) | o.allow;
    }
  }
  return perms & ALL_PERMS;
}

/** May an actor of `role` do `perm` in the channel whose override chain is given? */
export function may(role: ActorRole, perm: number, chain: readonly (readonly Override[])[]): boolean {
  return (effectivePerms(role, chain) & perm) === perm;
}

/** Server-wide: is `role` at least `min`? (user management: admin; audit: moderator) */
export function atLeast(role: ActorRole, min: ActorRole): boolean {
  return RANK[role] >= RANK[min];
}

/**
 * May someone of role `actor` act on someone of role `target` (kick, move,
 * mute, priority, ban, lift a ban)? Admins act on anyone; everyone else only
 * on lower ranks: you cannot moderate your equals (Mumble's rule).
 */
export function outranks(actor: ActorRole, target: ActorRole): boolean {
  return actor === 'admin' || RANK[actor] > RANK[target];
}

/**
 * Who passes a channel's password (and its user limit) without giving it:
 * moderators and admins, and whoever may manage the channel. The one rule
 * behind entering a channel and reading or writing its chat
 * (ChannelService.assertAccess).
 */
export function passesChannelLock(role: ActorRole, chain: readonly (readonly Override[])[]): boolean {
  return atLeast(role, 'moderator') || may(role, Perm.ManageChannel, chain);
}

/** Parses permission names into a bit mask; unknown names are an error. */
export function permMask(names: readonly string[]): number {
  let m = 0;
  for (const n of names) {
    const bit = (Perm as Record<string, number>)[n];
    if (bit === undefined) throw new RangeError(`unknown permission ${n}`);
    m |= bit;
  }
  return m;
}

export function permNames(mask: number): PermName[] {
  return (Object.keys(Perm) as PermName[]).filter((k) => (mask & Perm[k]) !== 0);
}
