import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MESSAGE_PATTERN, NAME_PATTERN, TEXT_PATTERN } from './text.js';
import { parseClientMessage } from './control.js';

const text = new RegExp(TEXT_PATTERN);
const message = new RegExp(MESSAGE_PATTERN);
const name = new RegExp(NAME_PATTERN);

/** Whether a string has a UTF-16 unit that is a surrogate outside a high-low pair. */
function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

describe('text rules shared by the WebSocket and REST schemas', () => {
  it('free text: anything but NUL and lone surrogates', () => {
    expect(text.test('a\tb\nc\u0007 é 🎧')).toBe(true);
    expect(text.test('a\u0000')).toBe(false);
    expect(text.test('\ud800')).toBe(false);
    expect(text.test('\udc00\ud800')).toBe(false);
  });

  it('chat messages: tab, LF and CR are the only control characters allowed', () => {
    expect(message.test('one\r\n\ttwo 🎧')).toBe(true);
    for (let c = 0; c < 0x20; c++) {
      expect(message.test(`x${String.fromCharCode(c)}y`)).toBe(c === 9 || c === 10 || c === 13);
    }
    expect(message.test('x\u007f')).toBe(false);
  });

  it('names: no control character (C0, DEL, C1) at all', () => {
    expect(name.test('Zoë 🎧')).toBe(true);
    for (const c of ['\u0000', '\t', '\n', '\u001f', '\u007f', '\u0085', '\u009f', '\ud83d']) {
      expect(name.test(`a${c}b`)).toBe(false);
    }
  });

  it('finds every lone surrogate, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const clean = !s.includes('\u0000');
        expect(text.test(s)).toBe(clean && !hasLoneSurrogate(s));
      }),
    );
  });

  it('the WebSocket schemas use them, and name the broken rule', () => {
    const r = parseClientMessage(JSON.stringify({ type: 'chat', text: 'a\u0000' }));
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.reason.message).toBe(
        'chat: /text: must not contain control characters (tab and line breaks are allowed) or lone surrogates',
      );
    expect(parseClientMessage(JSON.stringify({ type: 'create_temp', name: 'x\u0001' })).ok).toBe(false);
    expect(parseClientMessage(JSON.stringify({ type: 'hello', v: 1, name: 'a\u0085' })).ok).toBe(false);
    expect(parseClientMessage(JSON.stringify({ type: 'kick', ssrc: 1, reason: 'r\u0000' })).ok).toBe(false);
    expect(parseClientMessage(JSON.stringify({ type: 'chat', text: 'ok\n🎧' })).ok).toBe(true);
  });
});
