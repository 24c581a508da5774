import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A resume token: 32 random bytes, base64url. */
export function newResumeToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a resume token: what the registry keys on and compares. */
export function resumeDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** What the registry needs of a session. */
export interface Resumable {
  readonly resumeDigest: Buffer;
}

/**
 * The live control sessions (attached or detached) by resume token. Keyed by
 * the token's SHA-256, so a lookup's timing tells nothing about the token,
 * and the digest is compared again in constant time.
 */
export class SessionRegistry<S extends Resumable> {
  private readonly byDigest = new Map<string, S>();

  add(session: S): void {
    this.byDigest.set(session.resumeDigest.toString('hex'), session);
  }

  remove(session: S): void {
    const key = session.resumeDigest.toString('hex');
    if (this.byDigest.get(key) === session) this.byDigest.delete(key);
  }

  /** The session this token resumes, if any. */
  find(token: string): S | undefined {
    const digest = resumeDigest(token);
    const candidate = this.byDigest.get(digest.toString('hex'));
    if (candidate === undefined || !timingSafeEqual(candidate.resumeDigest, digest)) return undefined;
    return candidate;
  }

  get size(): number {
    return this.byDigest.size;
  }

  all(): S[] {
    return [...this.byDigest.values()];
  }
}
