/**
 * A value, or a reason for not producing one: a named reason (a string
 * union) for decoders, which never throw, or by default a one-line human
 * reason. The one Result type of the project (the client re-exports it).
 */
export type Result<T, R = string> = { ok: true; value: T } | { ok: false; reason: R };
