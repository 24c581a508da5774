import { randomBytes } from 'node:crypto';
import { InboundStream, OutboundStream, KEY_SIZE, type Aead, type Cipher } from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import { TokenBucket } from './token-bucket.js';
import type { WsSink } from './ws-shell.js';

/** A validated UDP address of a session: media for it goes there. */
export interface BoundAddress {
  readonly kind: 'bound';
  readonly address: string;
  readonly port: number;
  /** The validated address the session moved here from, kept for a move back; null: it did not move here. */
  readonly previous: PreviousAddress | null;
}

/**
 * The validated address a session moved away from (docs/protocol.md,
 * "Keepalive and NAT rebinding"): an authenticated packet from there that
 * is the newest of its stream, or a copy of the HELLO that made the move
 * arriving from there, takes the session back to it.
 */
export interface PreviousAddress {
  /** That address, ready to be bound again (its own `previous` is null: there is never a chain). */
  readonly binding: BoundAddress;
  /** The AEAD tag of the HELLO whose cookie made the move (a copy of its bytes). */
  readonly movedBy: Uint8Array;
}

/**
 * A session's UDP address (docs/protocol.md, "Address validation"):
 * - `unbound`: no validated address; its media goes over its WebSocket;
 * - `validating`: an authenticated HELLO came from `address:port`, which
 *   has not proved it receives: it got a challenge (a cookie) and nothing
 *   else. Media keeps going to `via`, the address validated before (or over
 *   the WebSocket when null). The server keeps no other state for it: the
 *   cookie is stateless, so a second candidate simply replaces the first;
 * - `bound`: validated (it echoed a cookie, or it is where the session's
 *   packets already came from); media goes there. After a move it keeps
 *   the address it moved from (`previous`), which may take the session
 *   back (docs/protocol.md, "Keepalive and NAT rebinding").
 */
export type UdpBinding =
  | { readonly kind: 'unbound' }
  | {
      readonly kind: 'validating';
      readonly address: string;
      readonly port: number;
      readonly via: BoundAddress | null;
    }
  | BoundAddress;

/** The one `unbound` value (bindings are immutable: rebinding replaces the object). */
export const UNBOUND: UdpBinding = Object.freeze({ kind: 'unbound' });

/**
 * One channel's members as the router keeps them: in the order they came
 * in. The router alone changes it (MediaRouter.setChannel).
 */
export interface ChannelRoom {
  readonly id: number;
  readonly members: MediaSession[];
}

/** The source of a packet that arrived on a session's authenticated WebSocket. */
export interface WsSource {
  readonly kind: 'ws';
  readonly session: MediaSession;
}

export interface MediaSessionOptions {
  ssrc: number;
  ws: WsSink | null;
  cipher: Cipher;
  ratePerSecond: number;
  burst: number;
  now: number;
}

/**
 * One participant's media state: its key, its streams' replay windows, its
 * UDP binding and the channel it routes to. Created and owned by
 * MediaRouter: the channel (`room`) and the binding change only through
 * the router; the Hub sets `deafened` and `canSpeak`, and mutes through
 * the router.
 */
export class MediaSession {
  readonly ssrc: number;
  readonly key: Uint8Array;
  readonly aead: Aead;
  readonly cipher: Cipher;
  readonly ws: WsSink | null;
  /** This session as the source of a WebSocket packet (made once: the hot path allocates none). */
  readonly viaWs: WsSource;
  /** Client → server audio stream. */
  readonly audioIn = new InboundStream();
  /** Client → server HELLO/PING stream. */
  readonly controlIn = new InboundStream();
  /** Server → client HELLO_ACK/PONG stream (ssrc = this session's). */
  readonly replyOut = new OutboundStream();
  readonly bucket: TokenBucket;
  /** The channel it is in, or null. Written only by MediaRouter: the one record of membership. */
  room: ChannelRoom | null = null;
  /** Its UDP address. Written only by MediaRouter (HELLO, or `bindUdp`). */
  udp: UdpBinding = UNBOUND;
  muted = false;
  deafened = false;
  /** The sender's role may speak in its channel (set by the Hub from permissions). */
  canSpeak = false;
  /**
   * UdpShell's failure sampling of sends to this session (UdpShell.sendAll):
   * sends since the last checked one, whether that one failed, and the
   * send callback (made on the first checked send, never per packet).
   * Fields of the session rather than an object of their own: the send
   * loop touches nothing else per listener.
   */
  udpUnchecked = 0;
  udpFailing = false;
  udpSent: ((err: Error | null) => void) | null = null;
  speaking = false;
  lastVoiceAt = 0;
  packetsIn = 0;
  packetsOut = 0;
  closed = false;

  constructor(o: MediaSessionOptions) {
    this.ssrc = o.ssrc;
    this.key = new Uint8Array(randomBytes(KEY_SIZE));
    this.cipher = o.cipher;
    this.aead = createNodeAead(this.key, o.cipher);
    this.ws = o.ws;
    this.viaWs = { kind: 'ws', session: this };
    this.bucket = new TokenBucket(o.ratePerSecond, o.burst, o.now);
  }

  /** The channel the session is in (null: none). */
  get channelId(): number | null {
    return this.room === null ? null : this.room.id;
  }

  /** Its UDP address is bound (copies for it go over UDP). */
  get udpBound(): boolean {
    return this.udp.kind === 'bound';
  }

  /** Where its UDP copies go: the bound address, the one validated before a move, or null (the WebSocket). */
  get udpTarget(): BoundAddress | null {
    const b = this.udp;
    return b.kind === 'bound' ? b : b.kind === 'validating' ? b.via : null;
  }
}
