/**
 * String rules shared by the WebSocket messages (control.ts) and the REST
 * API's schemas, so that one piece of text is held to one rule whichever
 * way it arrives (docs/protocol.md §2, docs/control-plane.md).
 *
 * - Free text (descriptions, reasons, filters): no NUL (PostgreSQL refuses
 *   it in `text`) and no lone UTF-16 surrogate (it has no UTF-8 encoding).
 * - Chat messages: the same, and no control character but tab, line feed
 *   and carriage return.
 * - Names (accounts, nicknames, channels): no control character at all
 *   (C0, DEL, C1) and no lone surrogate. The server also normalizes names
 *   (NFC, trimmed) and refuses invisible and bidirectional-control
 *   characters; that needs Unicode tables, so it is not a pattern.
 *
 * The patterns are written for a JavaScript `RegExp` without the `u` flag
 * (as TypeBox and Ajv compile them): a surrogate is a UTF-16 unit, and a
 * pair is accepted only as high then low.
 */
import { Type, type StringOptions } from '@sinclair/typebox';

/** A valid surrogate pair, or a unit that is not a surrogate and is not in `excluded` (a character class body). */
const unitsExcept = (excluded: string): string =>
  `^(?:[^${excluded}\\ud800-\\udfff]|[\\ud800-\\udbff][\\udc00-\\udfff])*$`;

/** Free text: no NUL, no lone surrogate. */
export const TEXT_PATTERN = unitsExcept('\\u0000');
/** A chat message: no control character but tab, line feed and carriage return; no lone surrogate. */
export const MESSAGE_PATTERN = unitsExcept('\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f');
/** A name: no control character (C0, DEL, C1), no lone surrogate. */
export const NAME_PATTERN = unitsExcept('\\u0000-\\u001f\\u007f-\\u009f');

/**
 * Schema option: the message of a failed `pattern` check, instead of the
 * regular expression (an `x-` key, so the OpenAPI document stays valid).
 */
export const PATTERN_ERROR = 'x-pattern-error';

export const TEXT_PATTERN_ERROR = 'must not contain NUL characters or lone surrogates';
export const MESSAGE_PATTERN_ERROR =
  'must not contain control characters (tab and line breaks are allowed) or lone surrogates';
export const NAME_PATTERN_ERROR = 'must not contain control characters or lone surrogates';

type Opts = Omit<StringOptions, 'pattern'>;

/** A TypeBox string of free text. */
export const FreeText = (opts: Opts = {}) =>
  Type.String({ ...opts, pattern: TEXT_PATTERN, [PATTERN_ERROR]: TEXT_PATTERN_ERROR });

/** A TypeBox string for a chat message. */
export const MessageText = (opts: Opts = {}) =>
  Type.String({ ...opts, pattern: MESSAGE_PATTERN, [PATTERN_ERROR]: MESSAGE_PATTERN_ERROR });

/** A TypeBox string for a name (at least one character). */
export const NameString = (maxLength: number, opts: Omit<Opts, 'maxLength'> = {}) =>
  Type.String({
    minLength: 1,
    ...opts,
    maxLength,
    pattern: NAME_PATTERN,
    [PATTERN_ERROR]: NAME_PATTERN_ERROR,
  });
