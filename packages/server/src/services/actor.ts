import type { ActorRole } from '../auth/permissions.js';

/**
 * Who performs an action, whatever the door (REST request or WebSocket
 * session): services decide on this alone.
 */
export interface Actor {
  /** Account id; null for a guest or an anonymous REST caller. */
  userId: number | null;
  name: string;
  role: ActorRole;
  /** Client address (after trusted-proxy resolution), for bans and the audit log. */
  ip: string | null;
}

export const ANONYMOUS = (ip: string | null): Actor => ({
  userId: null,
  name: 'anonymous',
  role: 'guest',
  ip,
});
