/**
 * Sealing and opening media packets: the nonce rules, header-as-AAD, and the
 * per-stream sequence extension + replay window (docs/protocol.md §1).
 */
import type { Aead } from './aead.js';
import { writeNonce } from './aead.js';
import { Direction, HEADER_SIZE, MAX_ROC_PROBE, NONCE_SIZE, PacketType, TAG_SIZE } from './constants.js';
import { writeHeader, type MediaHeader, type MediaPacketView } from './packet.js';
import { allocPacket } from './pool.js';
import { ReplayWindow } from './replay.js';
import type { Result } from './result.js';
import { extendSeq16 } from './wrap.js';

/** Reused by the synchronous paths (single-threaded, never held across calls). */
const nonceScratch = new Uint8Array(NONCE_SIZE);

function assemble(headerBytes: Uint8Array, sealed: Uint8Array): Uint8Array {
  const out = allocPacket(HEADER_SIZE + sealed.length);
  out.set(headerBytes.subarray(0, HEADER_SIZE), 0);
  out.set(sealed, HEADER_SIZE);
  return out;
}

function headerOf(h: MediaHeader): Uint8Array {
  const b = allocPacket(HEADER_SIZE);
  writeHeader(b, 0, h);
  return b;
}

/** Builds a complete sealed packet: header ‖ ciphertext ‖ tag. */
export function sealPacket(
  aead: Aead,
  direction: Direction,
  header: MediaHeader,
  extSeq: number,
  payload: Uint8Array,
): Uint8Array {
  return sealPacketWithHeader(aead, direction, headerOf(header), header.type, header.ssrc, extSeq, payload);
}

/**
 * Seals `payload` behind header bytes that are already encoded — the
 * server's forwarding path, which keeps the sender's header unchanged and
 * seals one copy per listener.
 */
export function sealPacketWithHeader(
  aead: Aead,
  direction: Direction,
  headerBytes: Uint8Array,
  type: PacketType,
  ssrc: number,
  extSeq: number,
  payload: Uint8Array,
): Uint8Array {
  const aad = headerBytes.subarray(0, HEADER_SIZE);
  writeNonce(nonceScratch, direction, type, ssrc, extSeq);
  if (aead.sealTo !== undefined) {
    // One allocation: the header, then the ciphertext sealed in place behind it.
    const out = allocPacket(HEADER_SIZE + payload.length + TAG_SIZE);
    out.set(aad, 0);
    aead.sealTo(out.subarray(HEADER_SIZE), nonceScratch, aad, payload);
    return out;
  }
  return assemble(aad, aead.seal(nonceScratch, aad, payload));
}

export type OpenRejection = 'replayed' | 'too_old' | 'auth_failed';
export type Opened = Result<{ extSeq: number; payload: Uint8Array }, OpenRejection>;

const WRAP = 0x10000;

/**
 * State of one received stream (one sender, one direction, one counter):
 * extends its 16-bit sequence numbers, rejects replays, and opens packets.
 *
 * The nearest extension is tried first. When it is behind the window, or
 * fails to authenticate, the next MAX_ROC_PROBE wraps forward are tried — a
 * listener back from a long deafen, or a late joiner whose speaker's counter
 * has wrapped. The window moves only after a packet authenticates.
 */
export class InboundStream {
  private readonly window = new ReplayWindow();

  get highest(): number | undefined {
    return this.window.highest;
  }

  /** First candidate for `seq16`, and whether the window rules it out. */
  private first(seq16: number): { ext: number; reject: OpenRejection | undefined } {
    const ext = extendSeq16(seq16, this.window.highest);
    const verdict = this.window.check(ext);
    return { ext, reject: verdict === 'ok' ? undefined : verdict };
  }

  private accept(ext: number, payload: Uint8Array): Opened {
    this.window.commit(ext);
    return { ok: true, value: { extSeq: ext, payload } };
  }

  /**
   * `maxProbe`: wraps tried forward after the nearest extension (default
   * MAX_ROC_PROBE); 0 tries the nearest only — one AEAD open at most, for
   * packets nobody vouches for yet (a HELLO from an unvalidated address).
   */
  open(aead: Aead, direction: Direction, view: MediaPacketView, maxProbe: number = MAX_ROC_PROBE): Opened {
    const h = view.header;
    const { ext, reject } = this.first(h.seq);
    if (reject === 'replayed') return { ok: false, reason: reject };
    for (let k = reject === undefined ? 0 : 1; k <= maxProbe; k++) {
      const candidate = ext + k * WRAP;
      writeNonce(nonceScratch, direction, h.type, h.ssrc, candidate);
      const pt = aead.open(nonceScratch, view.headerBytes, view.sealed);
      if (pt !== null) return this.accept(candidate, pt);
    }
    return { ok: false, reason: reject ?? 'auth_failed' };
  }
}

/**
 * A sender's counter for one stream: 16-bit sequence on the wire, 64-bit
 * extended value for the nonce. Starts at a random value of wrap count 0, so
 * a receiver's first guess is right.
 */
export class OutboundStream {
  private ext: number;

  constructor(initial?: number) {
    this.ext = initial ?? Math.floor(Math.random() * WRAP);
  }

  /** The extended number the next packet will use. */
  peek(): number {
    return this.ext;
  }

  next(): { seq16: number; extSeq: number } {
    const extSeq = this.ext++;
    return { seq16: extSeq & 0xffff, extSeq };
  }
}
