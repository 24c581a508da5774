/** A value, or a one-line human reason. */
export type Result<T, R = string> = { ok: true; value: T } | { ok: false; reason: R };
