import type { Generated } from 'kysely';

/**
 * Tables of the Parley database (SQLite by default, PostgreSQL as an option;
 * see migrations.ts). Timestamps are ISO-8601 UTC strings (`toISOString()`),
 * which sort correctly as text in both databases; booleans are 0/1 integers.
 */

export interface ChannelTable {
  id: Generated<number>;
  /** Unique server-wide, so that `--channel NAME` is never ambiguous. */
  name: string;
  created_at: string;
  /** Parent channel; null for top-level channels. */
  parent_id: number | null;
  /** Order among siblings (ascending). */
  position: Generated<number>;
  description: Generated<string>;
  /** 0 = the server-wide default (runtime setting maxUsersPerChannel). */
  user_limit: Generated<number>;
  /** argon2id hash of the channel password; null = open. */
  password_hash: string | null;
  /** 1 = deleted when the last person leaves. */
  temporary: Generated<number>;
}

export type Role = 'admin' | 'moderator' | 'member';

export interface UserTable {
  id: Generated<number>;
  name: string;
  /** Lower-cased name: unique, for case-insensitive login and search. */
  name_key: string;
  /** auth/names.ts `confusableKeys`: an account whose name shares one with another's looks alike. */
  confusable_key: Generated<string>;
  confusable_key_cased: Generated<string>;
  password_hash: string;
  role: Role;
  created_at: string;
}

export interface AuthSessionTable {
  /** SHA-256 of the bearer token (hex); the token itself is never stored. */
  token_hash: string;
  user_id: number;
  created_at: string;
  expires_at: string;
}

export interface ChannelPermissionTable {
  channel_id: number;
  /** 'admin' | 'moderator' | 'member' | 'guest' */
  role: string;
  allow: number;
  deny: number;
}

export interface BanTable {
  id: Generated<number>;
  /** Banned account, or null for an IP-only ban. */
  user_id: number | null;
  /** The account's name at ban time (kept when the account is deleted). */
  user_name: string | null;
  /** Banned client address, or null for an account-only ban. */
  ip: string | null;
  reason: string;
  created_by: number | null;
  created_at: string;
  /** null = permanent. */
  expires_at: string | null;
}

export interface AuditTable {
  id: Generated<number>;
  /** null for the server itself or a guest. */
  actor_id: number | null;
  actor_name: string;
  /** e.g. 'user.create', 'channel.delete', 'session.kick', 'ban.create' */
  action: string;
  /** 'user' | 'channel' | 'session' | 'ban' | 'config' */
  target_type: string;
  target_id: string | null;
  /** JSON object with the action's details. */
  detail: string;
  ip: string | null;
  created_at: string;
}

export interface ChatMessageTable {
  id: Generated<number>;
  channel_id: number;
  /** null for a guest. */
  author_id: number | null;
  author_name: string;
  text: string;
  created_at: string;
}

export interface SettingTable {
  key: string;
  /** JSON value. */
  value: string;
}

export interface Database {
  channels: ChannelTable;
  users: UserTable;
  auth_sessions: AuthSessionTable;
  channel_permissions: ChannelPermissionTable;
  bans: BanTable;
  audit_log: AuditTable;
  chat_messages: ChatMessageTable;
  settings: SettingTable;
}
