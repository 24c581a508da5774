import { ErrorCode, ParleyError } from '@parley/protocol';

/** HTTP status for each error code a service can raise (docs/errors.md). */
export const HTTP_STATUS: Readonly<Partial<Record<ErrorCode, number>>> = {
  [ErrorCode.BadMessage]: 400,
  [ErrorCode.Validation]: 400,
  [ErrorCode.BadCursor]: 400,
  [ErrorCode.AuthRequired]: 401,
  [ErrorCode.BadCredentials]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.Banned]: 403,
  [ErrorCode.GuestsDisabled]: 403,
  [ErrorCode.RegistrationClosed]: 403,
  [ErrorCode.ChannelPassword]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.UnknownChannel]: 404,
  [ErrorCode.UnknownSession]: 404,
  [ErrorCode.UnknownUser]: 404,
  [ErrorCode.BadState]: 409,
  [ErrorCode.NotInChannel]: 409,
  [ErrorCode.ChannelFull]: 409,
  [ErrorCode.NameTaken]: 409,
  [ErrorCode.ChannelProtected]: 409,
  [ErrorCode.ChannelCycle]: 409,
  [ErrorCode.ChannelOrder]: 409,
  [ErrorCode.MessageTooLarge]: 413,
  [ErrorCode.UnsupportedMediaType]: 415,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.TooManyAttempts]: 429,
  [ErrorCode.ServerFull]: 503,
  [ErrorCode.Busy]: 503,
};

/**
 * A refusal with a stable code, raised by services and turned into a REST
 * problem+json (with `status`) or a WebSocket `error` message.
 */
export class ServiceError extends ParleyError<ErrorCode> {
  readonly status: number;
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.status = HTTP_STATUS[code] ?? 400;
  }
}

export function fail(code: ErrorCode, message: string): never {
  throw new ServiceError(code, message);
}
