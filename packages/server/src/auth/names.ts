/**
 * The one rule for names people see (accounts, guest nicknames, channels):
 * normalized to NFC, trimmed, runs of spaces collapsed; refused when empty
 * or when they hold a character nobody can see or that reorders the text
 * around it. Pure: no I/O, no error classes (callers turn the reason into
 * their own error).
 *
 * `confusableKeys` is what makes `admin` and `аdmin` (Cyrillic а) the same
 * name: the UTS #39 skeleton (confusables.txt, through `unhomoglyph`) of the
 * NFKC form, case-folded — so full-width `ａｄｍｉｎ` and `ADMIN` fold there
 * too. Names that share a key look alike; keys are never shown.
 */
import unhomoglyph from 'unhomoglyph';

export type NameResult = { ok: true; name: string } | { ok: false; reason: string };

/** Lone UTF-16 surrogates (no UTF-8 encoding). */
const LONE_SURROGATE = /\p{Cs}/u;
/**
 * Control (Cc), format (Cf: zero-width space and joiners, bidi embeddings,
 * overrides and isolates, soft hyphen, BOM…), private-use (Co), unassigned
 * (Cn) and line / paragraph separators, every default-ignorable code point
 * (Hangul fillers, variation selectors…) and the blank braille pattern.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]/u;
/** White space other than U+0020 (no-break, ideographic, em spaces…). */
const OTHER_SPACE = /[^\S ]/u;

/** Normalizes a name, or says why it is refused. `maxLength` counts UTF-16 units, like the schemas. */
export function normalizeName(raw: string, maxLength: number): NameResult {
  if (LONE_SURROGATE.test(raw)) return { ok: false, reason: 'must not contain lone surrogates' };
  const name = raw.normalize('NFC').trim().replace(/ {2,}/g, ' ');
  if (name.length === 0) return { ok: false, reason: 'must not be empty or only spaces' };
  if (INVISIBLE.test(name)) {
    return {
      ok: false,
      reason: 'must not contain invisible, control, formatting or bidirectional-control characters',
    };
  }
  if (OTHER_SPACE.test(name)) return { ok: false, reason: 'may contain plain spaces only' };
  if (name.length > maxLength) return { ok: false, reason: `must be at most ${maxLength} characters` };
  return { ok: true, name };
}

/** The name a login or a lookup means: NFC and trimmed, without refusing anything. */
export function lookupName(raw: string): string {
  return raw.normalize('NFC').trim().replace(/ {2,}/g, ' ');
}

/** UTS #39 skeleton: NFD, each confusable character mapped to its prototype, NFD again. */
export function skeleton(s: string): string {
  return unhomoglyph(s.normalize('NFD')).normalize('NFD');
}

/**
 * Two keys; names that share either one are confusable. Case is folded
 * before the skeleton (`ADMIN` ≅ `admin`, Cyrillic `А` ≅ `a`) and after it
 * (Cyrillic `ВОВ` ≅ `bob`, `Iris` ≅ `lris`: capital I looks like l).
 */
export function confusableKeys(name: string): readonly [folded: string, cased: string] {
  const n = name.normalize('NFKC');
  return [skeleton(n.toLowerCase()), skeleton(skeleton(n).toLowerCase())];
}

/** Whether two names look alike (they share a confusable key). */
export function confusable(a: string, b: string): boolean {
  const [a1, a2] = confusableKeys(a);
  const [b1, b2] = confusableKeys(b);
  return a1 === b1 || a2 === b2;
}
