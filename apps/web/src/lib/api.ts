/**
 * The REST API (/api/v1, same origin) with typed answers. Every refusal is
 * an `ApiError` carrying the server's problem+json `code` and `detail`
 * (docs/errors.md); the app shows them through `errorText` (i18n/errors.ts).
 */

export interface UserRow {
  id: number;
  name: string;
  role: 'admin' | 'moderator' | 'member';
  createdAt: string;
  online?: boolean;
}

export interface Login {
  token: string;
  expiresAt: string;
  user: UserRow;
}

export interface ServerInfo {
  version: string;
  allowGuests: boolean;
  allowRegistration: boolean;
  defaultChannel: string;
}

export interface ChannelRow {
  id: number;
  name: string;
  createdAt: string;
  members: number;
  parentId: number | null;
  position: number;
  description: string;
  userLimit: number;
  hasPassword: boolean;
  temporary: boolean;
}

export interface SessionRow {
  id: number;
  userId: number | null;
  name: string;
  role: 'admin' | 'moderator' | 'member' | 'guest';
  channelId: number | null;
  muted: boolean;
  deafened: boolean;
  serverMuted: boolean;
  serverDeafened: boolean;
  prioritySpeaker: boolean;
  speaking: boolean;
  ip?: string | null;
}

export interface BanRow {
  id: number;
  userId: number | null;
  userName: string | null;
  ip: string | null;
  reason: string;
  createdBy: number | null;
  createdAt: string;
  expiresAt: string | null;
}

export interface AuditRow {
  id: number;
  actorId: number | null;
  actorName: string;
  action: string;
  targetType: string;
  targetId: string | null;
  detail: Record<string, unknown>;
  ip: string | null;
  createdAt: string;
}

export interface MessageRow {
  id: number;
  channelId: number;
  authorId: number | null;
  authorName: string;
  text: string;
  createdAt: string;
}

export interface RuntimeSettings {
  allowGuests: boolean;
  allowRegistration: boolean;
  defaultBitrate: number;
  frameMs: 10 | 20 | 40 | 60;
  maxUsersPerChannel: number;
}

export const PERMISSIONS = [
  'Enter',
  'Speak',
  'Whisper',
  'Text',
  'ManageChannel',
  'MoveKick',
  'MuteOthers',
] as const;
export type Permission = (typeof PERMISSIONS)[number];
export const ACTOR_ROLES = ['guest', 'member', 'moderator', 'admin'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];

export interface ChannelPermissions {
  channelId: number;
  overrides: { role: ActorRole; allow: Permission[]; deny: Permission[] }[];
  effective: Record<ActorRole, Permission[]>;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A refusal from the server (or the network), with the server's stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string | undefined,
    title: string,
  ) {
    super(detail ?? title);
    this.name = 'ApiError';
  }
}

/** Code of a failed fetch (no answer at all). */
export const NETWORK_ERROR = 'PARLEY_ERR_UNREACHABLE';

export type Query = Record<string, string | number | boolean | undefined | readonly string[]>;

export function queryString(q: Query | undefined): string {
  if (q === undefined) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === '') continue;
    if (Array.isArray(v)) for (const x of v as readonly string[]) p.append(k, x);
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Query;
  token?: string | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

function isProblem(v: unknown): v is { code: string; title?: string; detail?: string } {
  return typeof v === 'object' && v !== null && typeof (v as { code?: unknown }).code === 'string';
}

/** One call to /api/v1; resolves with the JSON answer (undefined for 204). */
export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.token != null) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}${queryString(opts.query)}`, {
      method: opts.method ?? 'GET',
      headers,
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, NETWORK_ERROR, undefined, 'the server could not be reached');
  }
  if (res.status === 204) return undefined as T;
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    if (isProblem(body)) throw new ApiError(res.status, body.code, body.detail, body.title ?? res.statusText);
    throw new ApiError(res.status, 'PARLEY_ERR_INTERNAL', undefined, res.statusText);
  }
  // A body cut short (the request aborted while it was read, the connection dropped) is not an
  // answer: callers would read fields of null.
  if (body === null) {
    if (opts.signal?.aborted === true) throw new DOMException('aborted', 'AbortError');
    throw new ApiError(0, NETWORK_ERROR, undefined, 'the answer was cut short');
  }
  return body as T;
}
