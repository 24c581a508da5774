/** A value, or a named reason for not producing one. Decoders never throw. */
export type Result<T, R> = { ok: true; value: T } | { ok: false; reason: R };
