import type { MediaSession } from './session.js';

const NO_BYTES = new Uint8Array(0);

/** Where a datagram goes: a session's bound address (UdpBinding), or the source of the one being answered. */
export interface UdpAddress {
  readonly address: string;
  readonly port: number;
}

/** A sealed copy to send as a UDP datagram. */
export interface UdpCopy {
  /** Whom it is for: its counters and its UDP shell state. */
  session: MediaSession | null;
  /** Valid until the outbox is cleared (it may be the shell's reused source object). */
  to: UdpAddress;
  bytes: Uint8Array;
}

/** A sealed copy to send over a session's WebSocket (`session.ws`). */
export interface WsCopy {
  session: MediaSession | null;
  bytes: Uint8Array;
}

/**
 * What one call of `MediaRouter.route` asks the transports to send: the
 * sealed copies for UDP and for WebSocket listeners, and HELLO_ACK / PONG
 * replies. The entry objects are allocated once and reused from packet to
 * packet (the lists grow to the largest channel and stay there); `clear()`
 * drops every reference to a packet or a session so that none outlives the
 * call. Sessions in entries below the counts are never null.
 */
export class Outbox {
  readonly udp: UdpCopy[] = [];
  udpCount = 0;
  readonly ws: WsCopy[] = [];
  wsCount = 0;

  /** Adds a UDP datagram to `to` for `session`. */
  addUdp(session: MediaSession, to: UdpAddress, bytes: Uint8Array): void {
    const i = this.udpCount++;
    const e = this.udp[i];
    if (e === undefined) {
      this.udp.push({ session, to, bytes });
    } else {
      e.session = session;
      e.to = to;
      e.bytes = bytes;
    }
  }

  /** Adds a message for `session`'s WebSocket. */
  addWs(session: MediaSession, bytes: Uint8Array): void {
    const i = this.wsCount++;
    const e = this.ws[i];
    if (e === undefined) {
      this.ws.push({ session, bytes });
    } else {
      e.session = session;
      e.bytes = bytes;
    }
  }

  /** Copies waiting to be sent. */
  get size(): number {
    return this.udpCount + this.wsCount;
  }

  /** Empties the outbox, holding no packet or session past the call. */
  clear(): void {
    const udp = this.udp;
    for (let i = 0; i < this.udpCount; i++) {
      const e = udp[i]!;
      e.session = null;
      e.bytes = NO_BYTES;
    }
    const ws = this.ws;
    for (let i = 0; i < this.wsCount; i++) {
      const e = ws[i]!;
      e.session = null;
      e.bytes = NO_BYTES;
    }
    this.udpCount = 0;
    this.wsCount = 0;
  }
}
