import { describe, expect, it } from 'vitest';
import { en } from './en';
import { fr } from './fr';
import { errorMessage, format, pickLang, placeholders, translator } from './translate';

describe('dictionaries', () => {
  it('French has exactly the English keys', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
  });

  it('no message is empty, and each French message uses the same placeholders', () => {
    for (const [key, text] of Object.entries(en)) {
      const french = fr[key as keyof typeof en];
      expect(text.trim(), key).not.toBe('');
      expect(french.trim(), key).not.toBe('');
      expect(placeholders(french), key).toEqual(placeholders(text));
    }
  });

  it('has a message for every error code the server and the SDK document', async () => {
    const { ErrorCode } = await import('@parley/protocol');
    const { ClientErrorCode } = await import('@parley/client');
    const codes = [...Object.values(ErrorCode), ...Object.values(ClientErrorCode)];
    // Codes a person can meet in the app (the rest are protocol misuse: the generic message names them).
    const shown = [
      'PARLEY_ERR_BAD_CREDENTIALS',
      'PARLEY_ERR_NAME_TAKEN',
      'PARLEY_ERR_VALIDATION',
      'PARLEY_ERR_GUESTS_DISABLED',
      'PARLEY_ERR_REGISTRATION_CLOSED',
      'PARLEY_ERR_BANNED',
      'PARLEY_ERR_RATE_LIMITED',
      'PARLEY_ERR_TOO_MANY_ATTEMPTS',
      'PARLEY_ERR_TOO_MANY_GUESTS',
      'PARLEY_ERR_CHANNEL_FULL',
      'PARLEY_ERR_CHANNEL_PASSWORD',
      'PARLEY_ERR_FORBIDDEN',
      'PARLEY_ERR_AUTH_REQUIRED',
      'PARLEY_ERR_KICKED',
      'PARLEY_ERR_SERVER_FULL',
      'PARLEY_ERR_BUSY',
      'PARLEY_ERR_UNREACHABLE',
      'PARLEY_ERR_CONNECTION_CLOSED',
      'PARLEY_ERR_TIMEOUT',
    ];
    for (const code of shown) {
      expect(codes, code).toContain(code);
      expect(`error.${code}` in en, code).toBe(true);
    }
    // Every code the dictionary names exists.
    for (const key of Object.keys(en).filter((k) => k.startsWith('error.PARLEY_'))) {
      expect(codes).toContain(key.slice('error.'.length));
    }
  });
});

describe('translate', () => {
  it('fills placeholders and leaves unknown ones', () => {
    expect(format('{count} of {limit}', { count: 2, limit: 5 })).toBe('2 of 5');
    expect(format('Hi {name}', {})).toBe('Hi {name}');
    expect(translator('fr')('channels.limit', { count: 1, limit: 4 })).toBe('1 sur 4 personnes');
  });

  it("picks French for a French browser, English otherwise, and the user's choice first", () => {
    expect(pickLang('auto', ['fr-CA', 'en'])).toBe('fr');
    expect(pickLang('auto', ['de-DE', 'en-GB', 'fr'])).toBe('en');
    expect(pickLang('auto', ['de-DE'])).toBe('en');
    expect(pickLang('en', ['fr-FR'])).toBe('en');
  });

  it('maps an error code to its message, or a generic one naming it', () => {
    const t = translator('en');
    expect(errorMessage(t, 'PARLEY_ERR_NAME_TAKEN')).toBe(en['error.PARLEY_ERR_NAME_TAKEN']);
    expect(errorMessage(t, 'PARLEY_ERR_SOMETHING_NEW')).toBe(
      'Something went wrong (PARLEY_ERR_SOMETHING_NEW).',
    );
  });
});
