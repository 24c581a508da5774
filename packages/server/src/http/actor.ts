import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '@parley/protocol';
import { tokenHash } from '../auth/secrets.js';
import { atLeast, type ActorRole } from '../auth/permissions.js';
import { actorOf, ANONYMOUS, fail, type Actor, type Services } from '../services/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: an account (valid bearer token) or anonymous (role guest). */
    actor: Actor;
    /** SHA-256 of the bearer token, when one was valid (for logout). */
    tokenHash: string | null;
  }
}

/** Reads `Authorization: Bearer <token>` into `request.actor` (anonymous when absent or invalid). */
export function installActor(app: FastifyInstance, services: Services): void {
  app.decorateRequest<Actor | null>('actor', null);
  app.decorateRequest('tokenHash', null);
  app.addHook('onRequest', async (req) => {
    req.actor = ANONYMOUS(req.ip);
    req.tokenHash = null;
    const h = req.headers.authorization;
    if (h === undefined || !h.startsWith('Bearer ')) return;
    const token = h.slice(7).trim();
    const user = await services.auth.userForToken(token);
    if (user) {
      req.actor = actorOf(user, req.ip);
      req.tokenHash = tokenHash(token);
    }
  });
}

/** 401 unless the request carries a valid token; returns the actor. */
export function requireUser(req: FastifyRequest): Actor & { userId: number } {
  const a = req.actor;
  if (a.userId === null) fail(ErrorCode.AuthRequired, 'log in first (Authorization: Bearer <token>)');
  return a as Actor & { userId: number };
}

/** 401/403 unless the caller is an account with at least `min`. */
export function requireRole(req: FastifyRequest, min: ActorRole): Actor & { userId: number } {
  const a = requireUser(req);
  if (!atLeast(a.role, min)) fail(ErrorCode.Forbidden, `needs the ${min} role`);
  return a;
}
