/**
 * The tools' one coded error: a command line (or an options object) that
 * cannot run. Every `parley` subcommand prints its usage and exits with 2
 * for it, and with 1 for anything else; the exit code follows the code,
 * not the class.
 */
import { ParleyError } from '@parley/protocol';

/** The tools' own codes (docs/errors.md, "Client-side codes"). */
export const ToolErrorCode = {
  Usage: 'PARLEY_ERR_USAGE',
} as const;
export type ToolErrorCode = (typeof ToolErrorCode)[keyof typeof ToolErrorCode];

/** A flag or option outside its bounds, missing, or inconsistent with another. */
export class UsageError extends ParleyError<ToolErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super(ToolErrorCode.Usage, message, options);
  }
}

/** True for any error coded PARLEY_ERR_USAGE (whatever its class). */
export function isUsageError(err: unknown): err is ParleyError<ToolErrorCode> {
  return err instanceof ParleyError && err.code === ToolErrorCode.Usage;
}
