/** Typed access to localStorage / sessionStorage that never throws (private mode, quota, bad JSON). */

export function readJson<T>(store: Storage, key: string, valid: (v: unknown) => v is T): T | null {
  try {
    const raw = store.getItem(key);
    if (raw === null) return null;
    const v: unknown = JSON.parse(raw);
    return valid(v) ? v : null;
  } catch {
    return null;
  }
}

export function writeJson(store: Storage, key: string, value: unknown): void {
  try {
    if (value === null) store.removeItem(key);
    else store.setItem(key, JSON.stringify(value));
  } catch {
    // Storage refused (private mode, quota): the setting lasts for this page only.
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
