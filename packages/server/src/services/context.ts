import type { FastifyBaseLogger } from 'fastify';
import type { ParleyConfig } from '../config.js';
import type { Hub } from '../control/hub.js';
import { AuditStore, type AuditInput } from '../db/audit.js';
import { BanStore } from '../db/bans.js';
import { ChannelStore } from '../db/channels.js';
import { ChatStore } from '../db/chat.js';
import type { Db } from '../db/database.js';
import type { SettingsStore } from '../db/settings.js';
import { UserStore } from '../db/users.js';
import type { Actor } from './actor.js';
import type { PasswordWork } from './password-work.js';

/** Every store, bound to one database handle (the pool, or a transaction). */
export interface Stores {
  users: UserStore;
  channels: ChannelStore;
  bans: BanStore;
  audit: AuditStore;
  chat: ChatStore;
}

export function storesFor(db: Db): Stores {
  return {
    users: new UserStore(db),
    channels: new ChannelStore(db),
    bans: new BanStore(db),
    audit: new AuditStore(db),
    chat: new ChatStore(db),
  };
}

/** What every service is built from. */
export interface ServiceContext {
  db: Db;
  stores: Stores;
  hub: Hub;
  settings: SettingsStore;
  config: ParleyConfig;
  log: FastifyBaseLogger;
  /** Every password hash and verification, bounded server-wide (login included). */
  passwords: PasswordWork;
  /** Name of the channel that cannot be deleted and where people land. */
  defaultChannel: string;
}

/** Runs `fn` in one transaction with stores bound to it: all of it commits, or none. */
export function inTransaction<T>(ctx: ServiceContext, fn: (s: Stores) => Promise<T>): Promise<T> {
  return ctx.db.transaction().execute((tx) => fn(storesFor(tx)));
}

/** An audit record for an action by `actor`. */
export function audit(
  actor: Actor,
  action: string,
  targetType: string,
  targetId: string | number | null,
  detail: Record<string, unknown> = {},
): AuditInput {
  return { actorId: actor.userId, actorName: actor.name, action, targetType, targetId, detail, ip: actor.ip };
}

export const SYSTEM: Actor = { userId: null, name: 'server', role: 'admin', ip: null };
