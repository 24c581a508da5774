/**
 * The services' side of the name rule (auth/names.ts): a refused name is a
 * `PARLEY_ERR_VALIDATION` (400 over REST, an `error` message on the WebSocket).
 */
import { ErrorCode } from '@parley/protocol';
import { normalizeName } from '../auth/names.js';
import { fail } from './errors.js';

/** Longest account name or guest nickname, as the schemas say. */
export const MAX_USER_NAME = 32;
/** Longest channel name. */
export const MAX_CHANNEL_NAME = 64;

/** `raw` normalized (NFC, trimmed), or a validation error naming `what` and the reason. */
export function acceptName(raw: string, maxLength: number, what: string): string {
  const r = normalizeName(raw, maxLength);
  if (!r.ok) fail(ErrorCode.Validation, `${what}: ${r.reason}`);
  return r.name;
}
