/**
 * Media packet codec (docs/protocol.md §1). Pure: bytes in, values out.
 * Decoding never throws and never reads outside the given bytes; payloads
 * are `subarray` views, not copies.
 */
import {
  CODEC_MASK,
  DEFAULT_MAX_PACKET_SIZE,
  HEADER_SIZE,
  MIN_PACKET_SIZE,
  PacketType,
  PROTOCOL_VERSION,
} from './constants.js';
import type { Result } from './result.js';

export interface MediaHeader {
  type: PacketType;
  flags: number;
  /** u16 */
  seq: number;
  /** u32, 48 kHz samples */
  timestamp: number;
  /** u32 session id, never 0 */
  ssrc: number;
}

export type HeaderRejection =
  'too_short' | 'too_long' | 'bad_version' | 'unknown_type' | 'unknown_codec' | 'bad_ssrc';

export interface MediaPacketView {
  header: MediaHeader;
  /** The 12 header bytes as received (the AEAD's associated data). */
  headerBytes: Uint8Array;
  /** Ciphertext followed by the 16-byte tag. */
  sealed: Uint8Array;
}

/** Writes a header at `offset`; returns the bytes written (12). */
export function writeHeader(buf: Uint8Array, offset: number, h: MediaHeader): number {
  buf[offset] = (PROTOCOL_VERSION << 6) | (h.type & 0x3f);
  buf[offset + 1] = h.flags & 0xff;
  buf[offset + 2] = (h.seq >>> 8) & 0xff;
  buf[offset + 3] = h.seq & 0xff;
  const ts = h.timestamp >>> 0;
  buf[offset + 4] = ts >>> 24;
  buf[offset + 5] = (ts >>> 16) & 0xff;
  buf[offset + 6] = (ts >>> 8) & 0xff;
  buf[offset + 7] = ts & 0xff;
  const ssrc = h.ssrc >>> 0;
  buf[offset + 8] = ssrc >>> 24;
  buf[offset + 9] = (ssrc >>> 16) & 0xff;
  buf[offset + 10] = (ssrc >>> 8) & 0xff;
  buf[offset + 11] = ssrc & 0xff;
  return HEADER_SIZE;
}

function isPacketType(t: number): t is PacketType {
  return t >= PacketType.Audio && t <= PacketType.Pong;
}

/**
 * Reads and checks a header into a caller-owned object (no allocation: the
 * server's hot path reuses one). Returns undefined when the bytes are an
 * acceptable packet, or the reason to reject them.
 */
export function readHeaderInto(
  bytes: Uint8Array,
  out: MediaHeader,
  maxSize: number = DEFAULT_MAX_PACKET_SIZE,
): HeaderRejection | undefined {
  const len = bytes.length;
  if (len < MIN_PACKET_SIZE) return 'too_short';
  if (len > maxSize) return 'too_long';
  const b0 = bytes[0]!;
  if (b0 >>> 6 !== PROTOCOL_VERSION) return 'bad_version';
  const type = b0 & 0x3f;
  if (!isPacketType(type)) return 'unknown_type';
  const flags = bytes[1]!;
  if (type === PacketType.Audio && (flags & CODEC_MASK) !== 0) return 'unknown_codec';
  const ssrc = ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0;
  if (ssrc === 0) return 'bad_ssrc';
  out.type = type;
  out.flags = flags;
  out.seq = (bytes[2]! << 8) | bytes[3]!;
  out.timestamp = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
  out.ssrc = ssrc;
  return undefined;
}

/** Parses a packet into a header and zero-copy views of its parts. */
export function parsePacket(
  bytes: Uint8Array,
  maxSize: number = DEFAULT_MAX_PACKET_SIZE,
): Result<MediaPacketView, HeaderRejection> {
  const header: MediaHeader = { type: PacketType.Audio, flags: 0, seq: 0, timestamp: 0, ssrc: 0 };
  const reason = readHeaderInto(bytes, header, maxSize);
  if (reason !== undefined) return { ok: false, reason };
  return {
    ok: true,
    value: { header, headerBytes: bytes.subarray(0, HEADER_SIZE), sealed: bytes.subarray(HEADER_SIZE) },
  };
}
