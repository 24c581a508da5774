/**
 * The redundancy blocks of an AUDIO payload (docs/protocol.md,
 * "Redundancy"): up to two earlier frames before the packet's own. Pure:
 * parsing returns views into the payload, or a named reason; it never
 * throws on hostile input and never reads past the buffer.
 */
import { AudioFlag } from './constants.js';
import type { Result } from './result.js';

/** Redundant blocks per packet at most. */
export const MAX_REDUNDANT_BLOCKS = 2;
/** How far back a block may reach, in packets. */
export const MAX_REDUNDANT_BACK = 3;
/** Largest redundant block, bytes. */
export const MAX_REDUNDANT_BLOCK = 1000;
/** Flag bit of an AUDIO packet whose payload carries redundancy. */
export const REDUNDANT_FLAG = AudioFlag.Redundant;

const BLOCK_HEADER = 3;

export interface RedundantBlock {
  /** Packets before this one that the frame was first sent (1–3). */
  back: number;
  /** The frame (a view into the payload). */
  frame: Uint8Array;
}

export interface RedundantPayload {
  /** Oldest first. */
  blocks: RedundantBlock[];
  /** The packet's own frame (a view into the payload). */
  primary: Uint8Array;
}

/** Reads a REDUNDANT payload. */
export function parseRedundant(payload: Uint8Array): Result<RedundantPayload> {
  const bad: Result<RedundantPayload> = { ok: false, reason: 'bad_redundancy' };
  const n = payload[0];
  if (n === undefined || n < 1 || n > MAX_REDUNDANT_BLOCKS) return bad;
  let at = 1 + n * BLOCK_HEADER;
  if (at > payload.length) return bad;
  const blocks: RedundantBlock[] = [];
  let previousBack = MAX_REDUNDANT_BACK + 1;
  for (let i = 0; i < n; i++) {
    const h = 1 + i * BLOCK_HEADER;
    const back = payload[h]!;
    const len = (payload[h + 1]! << 8) | payload[h + 2]!;
    if (back < 1 || back >= previousBack || len < 1 || len > MAX_REDUNDANT_BLOCK) return bad;
    if (at + len >= payload.length) return bad; // the primary needs a byte at least
    blocks.push({ back, frame: payload.subarray(at, at + len) });
    at += len;
    previousBack = back;
  }
  return { ok: true, value: { blocks, primary: payload.subarray(at) } };
}

/**
 * Writes a REDUNDANT payload: `blocks` oldest first (back strictly
 * decreasing, 1–3), then `primary`. Throws on a caller's mistake (these are
 * our own frames, not the network's).
 */
export function packRedundant(blocks: readonly RedundantBlock[], primary: Uint8Array): Uint8Array {
  if (blocks.length < 1 || blocks.length > MAX_REDUNDANT_BLOCKS)
    throw new RangeError('1 or 2 redundant blocks');
  if (primary.length < 1) throw new RangeError('an empty primary frame');
  let size = 1 + blocks.length * BLOCK_HEADER + primary.length;
  let previousBack = MAX_REDUNDANT_BACK + 1;
  for (const b of blocks) {
    if (b.back < 1 || b.back >= previousBack) throw new RangeError('back must decrease, from 3 to 1');
    if (b.frame.length < 1 || b.frame.length > MAX_REDUNDANT_BLOCK)
      throw new RangeError('a block of 1–1000 bytes');
    previousBack = b.back;
    size += b.frame.length;
  }
  const out = new Uint8Array(size);
  out[0] = blocks.length;
  let at = 1 + blocks.length * BLOCK_HEADER;
  blocks.forEach((b, i) => {
    const h = 1 + i * BLOCK_HEADER;
    out[h] = b.back;
    out[h + 1] = b.frame.length >> 8;
    out[h + 2] = b.frame.length & 0xff;
    out.set(b.frame, at);
    at += b.frame.length;
  });
  out.set(primary, at);
  return out;
}
