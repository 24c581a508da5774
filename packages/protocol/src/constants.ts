/** Wire constants of protocol version 1 (docs/protocol.md). */
export const PROTOCOL_VERSION = 1;
export const HEADER_SIZE = 12;
export const TAG_SIZE = 16;
export const NONCE_SIZE = 12;
export const KEY_SIZE = 32;
/** Header + tag: the smallest valid packet (empty payload). */
export const MIN_PACKET_SIZE = HEADER_SIZE + TAG_SIZE;
export const DEFAULT_MAX_PACKET_SIZE = 1200;
/** Sequence numbers remembered by the replay window. */
export const REPLAY_WINDOW = 1024;
/** Wraps of the 16-bit sequence a receiver tries forward after a failed open. */
export const MAX_ROC_PROBE = 16;
export const MAX_CONTROL_MESSAGE_BYTES = 16384;
/**
 * Largest server → client message a client accepts: `welcome` carries the
 * whole channel tree (~130 bytes a channel), so it outgrows the 16 KiB that
 * bounds what clients send. 4 MiB ≈ 30,000 channels.
 */
export const MAX_SERVER_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Streams in one receiver report at most (docs/protocol.md §2.6). */
export const MAX_REPORT_STREAMS = 64;
/** The media clock: Opus runs at 48 kHz, and RTP timestamps count these samples. */
export const SAMPLE_RATE = 48000;
/** Samples per millisecond at SAMPLE_RATE: 48. */
export const SAMPLES_PER_MS = SAMPLE_RATE / 1000;
/** The default frame length (ms); a server may choose 10, 20, 40 or 60 (`media.frameMs`). */
export const FRAME_MS = 20;
/** Samples in one frame of `ms` milliseconds at SAMPLE_RATE (default FRAME_MS): 960 for 20 ms. */
export function frameSamples(ms: number = FRAME_MS): number {
  return ms * SAMPLES_PER_MS;
}
/** Samples in a frame of the default length: 960. */
export const FRAME_SAMPLES = FRAME_MS * SAMPLES_PER_MS;

export const PacketType = { Audio: 1, Hello: 2, HelloAck: 3, Ping: 4, Pong: 5 } as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/**
 * HELLO payload (docs/protocol.md, "Address validation"): an 8-byte nonce,
 * then a 16-byte cookie field — zeros until the server has sent a cookie
 * for the address the HELLO comes from. 24 bytes: a HELLO is 52 bytes on
 * the wire, as large as the HELLO_ACK that may answer it from a new address.
 */
export const HELLO_NONCE_SIZE = 8;
export const HELLO_COOKIE_SIZE = 16;
export const HELLO_PAYLOAD_SIZE = HELLO_NONCE_SIZE + HELLO_COOKIE_SIZE;
/**
 * HELLO_ACK flag: the HELLO came from an address the server has not
 * validated; the payload is the nonce then a cookie for that address, to
 * be echoed in the next HELLO. Without it, the address is bound.
 */
export const HELLO_ACK_VALIDATE = 0x01;

/**
 * Flag bits of AUDIO packets (docs/protocol.md, "Flags"). `Cut` comes with
 * `TalkEnd` only: the spurt was cut by mute, receivers drop what they hold
 * of it (its payload is empty and never decoded).
 */
export const AudioFlag = { TalkStart: 0x20, TalkEnd: 0x10, Redundant: 0x08, Cut: 0x04 } as const;
/** The flags of the packet that cuts a spurt (mute). */
export const CUT_FLAGS = AudioFlag.TalkEnd | AudioFlag.Cut;

/** Whether an AUDIO packet's flags say it cuts its spurt (both bits: a lone `Cut` bit means nothing). */
export function isCut(flags: number): boolean {
  return (flags & CUT_FLAGS) === CUT_FLAGS;
}
export const CODEC_MASK = 0xc0;
export const TARGET_MASK = 0x03;

export const Direction = { ClientToServer: 0, ServerToClient: 1 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];
