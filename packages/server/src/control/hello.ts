import { ErrorCode, type HelloMessage } from '@parley/protocol';
import { tokenHash } from '../auth/secrets.js';
import { actorOf } from '../services/auth.js';
import type { Actor } from '../services/actor.js';
import { fail } from '../services/errors.js';
import { acceptName, MAX_USER_NAME } from '../services/names.js';
import type { Services } from '../services/index.js';

/** Nickname of a guest whose hello names none. */
export const DEFAULT_GUEST_NAME = 'guest';

/**
 * Who a `hello` says it is (docs/control-plane.md "Identity"): the account
 * behind `token`, or a guest nickname. Throws a ServiceError with
 * PARLEY_ERR_BAD_CREDENTIALS (bad token), PARLEY_ERR_GUESTS_DISABLED,
 * PARLEY_ERR_NAME_TAKEN (a guest using an account's name) or
 * PARLEY_ERR_BANNED (the account or the address is banned).
 *
 * A guest resuming a session keeps its session's name, so the guest checks
 * (allowed, name free) were made when the session started.
 */
export async function authenticate(msg: HelloMessage, ip: string, services: Services): Promise<Actor> {
  if (msg.token !== undefined) {
    const user = await services.auth.userForToken(msg.token);
    if (user === undefined) fail(ErrorCode.BadCredentials, 'the token is not valid (expired or revoked)');
    await services.auth.assertNotBanned(user.id, ip);
    return actorOf(user, ip, tokenHash(msg.token));
  }
  const name = acceptName(msg.name ?? DEFAULT_GUEST_NAME, MAX_USER_NAME, 'name');
  if (msg.resume === undefined) {
    const { settings, stores } = services.ctx;
    if (!settings.get().allowGuests) fail(ErrorCode.GuestsDisabled, 'this server needs an account: log in');
    // Not an account's name, nor one that looks like it (auth/names.ts).
    const account = await stores.users.lookingLike(name);
    if (account !== undefined)
      fail(
        ErrorCode.NameTaken,
        account.name === name
          ? `${name} is a registered account: log in, or choose another nickname`
          : `${name} looks like the registered account ${account.name}: choose another nickname`,
      );
  }
  await services.auth.assertNotBanned(null, ip);
  return { userId: null, name, role: 'guest', ip };
}

/** May `who` (from a resume hello) take over a session of `owner`? The same account, or a guest for a guest. */
export function sameIdentity(owner: Actor, who: Actor): boolean {
  return owner.userId === who.userId && (owner.userId !== null || who.role === 'guest');
}
