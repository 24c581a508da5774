import { SessionCloseCode } from '../services/auth.js';

/**
 * WebSocket close codes the control plane uses (4000–4999 are application
 * codes; docs/protocol.md §2). A client resumes after none of the 4xxx ones
 * but 4008 (too slow).
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  PolicyViolation: 1008,
  InternalError: 1011,
  HelloTimeout: 4001,
  ServerFull: 4002,
  Kicked: SessionCloseCode.Kicked,
  Banned: SessionCloseCode.Banned,
  Revoked: SessionCloseCode.Revoked,
  /** Another connection resumed this session. */
  Replaced: 4006,
  /** The socket's outgoing buffer passed `control.maxBufferedBytes`: the session is detached, resumable. */
  TooSlow: 4008,
} as const;

/** Close codes by which a client says goodbye on purpose: its session ends at once, no resume. */
export function isDeliberateClose(code: number): boolean {
  return code === 1000 || code === 1001 || code === 1005;
}
