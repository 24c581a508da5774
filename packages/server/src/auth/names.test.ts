import { describe, expect, it } from 'vitest';
import { confusable, lookupName, normalizeName } from './names.js';

const ok = (raw: string): string => {
  const r = normalizeName(raw, 32);
  if (!r.ok) throw new Error(`refused ${JSON.stringify(raw)}: ${r.reason}`);
  return r.name;
};
const refused = (raw: string): string => {
  const r = normalizeName(raw, 32);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(raw)} as ${JSON.stringify(r.name)}`);
  return r.reason;
};

describe('names: normalization', () => {
  it('normalizes to NFC, trims and collapses runs of spaces', () => {
    expect(ok('Zoe\u0301')).toBe('Zoé');
    expect(ok('Zoé')).toBe(ok('Zoe\u0301'));
    expect(ok('  admin ')).toBe('admin');
    expect(ok('Big   Room')).toBe('Big Room');
    expect(lookupName(' Zoe\u0301 ')).toBe('Zoé');
  });

  it('accepts letters of any script, digits, punctuation and emoji', () => {
    for (const n of ['Jürgen', 'Ολγα', 'Дмитрий', '李小龍', 'دانيال', "o'brien-2", 'DJ 🎧', 'Zoë'])
      expect(ok(n)).toBe(n);
  });

  it('refuses empty and whitespace-only names', () => {
    for (const n of ['', ' ', '   ', '\u3000']) expect(refused(n)).toMatch(/empty|spaces|invisible/);
  });

  it('refuses invisible, format and bidirectional-control characters', () => {
    const bad = [
      'admin\u200b', // zero-width space
      'ad\u200dmin', // zero-width joiner
      '\u202eevil', // right-to-left override
      'a\u2066b\u2069', // isolates
      'soft\u00adhyphen',
      'b\ufeffom',
      'hangul\u3164filler',
      'braille\u2800blank',
      'var\ufe0fsel',
      'priv\ue000ate',
      'line\u2028sep',
      'tab\there',
      'nul\u0000',
      'c1\u0085',
    ];
    for (const n of bad) expect(refused(n)).toMatch(/invisible|control/);
  });

  it('refuses spaces other than the plain one, inside a name', () => {
    expect(refused('no\u00a0break')).toMatch(/plain spaces/);
    expect(refused('ideo\u3000space')).toMatch(/plain spaces/);
  });

  it('refuses lone surrogates', () => {
    expect(refused('x\ud800')).toMatch(/surrogate/);
    expect(refused('\udfffx')).toMatch(/surrogate/);
  });

  it('counts the length after normalization', () => {
    expect(ok('a'.repeat(32))).toHaveLength(32);
    expect(refused('a'.repeat(33))).toMatch(/at most 32/);
  });
});

describe('names: confusable keys (UTS #39 skeleton, NFKC, case-folded)', () => {
  const same = confusable;

  it('folds look-alike letters of other scripts, width and case', () => {
    expect(same('admin', '\u0430dmin')).toBe(true); // Cyrillic а
    expect(same('admin', 'ａｄｍｉｎ')).toBe(true); // full-width
    expect(same('admin', 'ADMIN')).toBe(true);
    expect(same('admin', 'Аdmin')).toBe(true); // Cyrillic capital А
    expect(same('paypal', 'р\u0430ypal')).toBe(true);
    expect(same('Zoé', 'Zoe\u0301')).toBe(true);
    expect(same('modem', 'rnodern')).toBe(true); // m ≅ rn
    expect(same('bob', 'b0b')).toBe(true);
    expect(same('bob', 'ВОВ')).toBe(true); // Cyrillic capitals
    expect(same('Iris', 'lris')).toBe(true); // capital I, small L
  });

  it('keeps different names apart', () => {
    expect(same('admin', 'admins')).toBe(false);
    expect(same('alice', 'bob')).toBe(false);
    expect(same('Zoé', 'Zoe')).toBe(false);
  });
});
