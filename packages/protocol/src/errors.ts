/** Stable error codes (docs/errors.md). Clients branch on these, never on text. */
export const ErrorCode = {
  BadMessage: 'PARLEY_ERR_BAD_MESSAGE',
  MessageTooLarge: 'PARLEY_ERR_MESSAGE_TOO_LARGE',
  BadState: 'PARLEY_ERR_BAD_STATE',
  HelloTimeout: 'PARLEY_ERR_HELLO_TIMEOUT',
  UnsupportedVersion: 'PARLEY_ERR_UNSUPPORTED_VERSION',
  UnknownChannel: 'PARLEY_ERR_UNKNOWN_CHANNEL',
  NotInChannel: 'PARLEY_ERR_NOT_IN_CHANNEL',
  ChannelFull: 'PARLEY_ERR_CHANNEL_FULL',
  ServerFull: 'PARLEY_ERR_SERVER_FULL',
  RateLimited: 'PARLEY_ERR_RATE_LIMITED',
  /** A guest `hello` over `limits.guestsPerSecond` or `limits.guestsPerAddressPerMinute`. */
  TooManyGuests: 'PARLEY_ERR_TOO_MANY_GUESTS',
  /** The socket's outgoing buffer passed `control.maxBufferedBytes`: closed with 4008, session detached. */
  TooSlow: 'PARLEY_ERR_TOO_SLOW',
  NotFound: 'PARLEY_ERR_NOT_FOUND',
  Validation: 'PARLEY_ERR_VALIDATION',
  Internal: 'PARLEY_ERR_INTERNAL',
  /** REST: the request body's content type is not application/json. */
  UnsupportedMediaType: 'PARLEY_ERR_UNSUPPORTED_MEDIA_TYPE',
  // control plane: identity and authorization
  AuthRequired: 'PARLEY_ERR_AUTH_REQUIRED',
  Forbidden: 'PARLEY_ERR_FORBIDDEN',
  BadCredentials: 'PARLEY_ERR_BAD_CREDENTIALS',
  Banned: 'PARLEY_ERR_BANNED',
  GuestsDisabled: 'PARLEY_ERR_GUESTS_DISABLED',
  RegistrationClosed: 'PARLEY_ERR_REGISTRATION_CLOSED',
  NameTaken: 'PARLEY_ERR_NAME_TAKEN',
  // control plane: channels, sessions, lists
  ChannelPassword: 'PARLEY_ERR_CHANNEL_PASSWORD',
  ChannelProtected: 'PARLEY_ERR_CHANNEL_PROTECTED',
  ChannelCycle: 'PARLEY_ERR_CHANNEL_CYCLE',
  /** A new order of a channel's children that does not list exactly its children now. */
  ChannelOrder: 'PARLEY_ERR_CHANNEL_ORDER',
  UnknownSession: 'PARLEY_ERR_UNKNOWN_SESSION',
  UnknownUser: 'PARLEY_ERR_UNKNOWN_USER',
  BadCursor: 'PARLEY_ERR_BAD_CURSOR',
  ResumeFailed: 'PARLEY_ERR_RESUME_FAILED',
  Kicked: 'PARLEY_ERR_KICKED',
  /** Too many channel password attempts from this address, or wrong ones on this channel. */
  TooManyAttempts: 'PARLEY_ERR_TOO_MANY_ATTEMPTS',
  /** The server's password-hashing queue is full: retry in a moment. */
  Busy: 'PARLEY_ERR_BUSY',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The base of Parley's errors: a stable, typed `code` to branch on (never
 * the text) and a one-line message. Each side narrows the code: the
 * server's `ServiceError` carries an `ErrorCode`; the client's error adds
 * its own codes (unreachable, timeout, …). `name` is the subclass's name.
 */
export class ParleyError<C extends string = ErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
