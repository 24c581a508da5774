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
  /**
   * SHA-256 of the bearer token this actor came with (REST request or
   * WebSocket `hello`), so that revoking that one token (logout) can end the
   * live sessions it opened.
   */
  tokenHash?: string;
}

export const ANONYMOUS = (ip: string | null): Actor => ({
  userId: null,
  name: 'anonymous',
  role: 'guest',
  ip,
});
