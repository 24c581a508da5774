import { randomBytes } from 'node:crypto';
import { InboundStream, OutboundStream, KEY_SIZE, type Aead, type Cipher } from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import { TokenBucket } from './token-bucket.js';

/** Where a session's media can be sent over its WebSocket. */
export interface WsSink {
  send(data: Uint8Array): void;
  readonly bufferedAmount: number;
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
 * bound UDP address and the channel it routes to. Owned by MediaPlane; the
 * control session changes `channelId`, `muted`, `deafened` through the plane.
 */
export class MediaSession {
  readonly ssrc: number;
  readonly key: Uint8Array;
  readonly aead: Aead;
  readonly cipher: Cipher;
  readonly ws: WsSink | null;
  /** Client → server audio stream. */
  readonly audioIn = new InboundStream();
  /** Client → server HELLO/PING stream. */
  readonly controlIn = new InboundStream();
  /** Server → client HELLO_ACK/PONG stream (ssrc = this session's). */
  readonly replyOut = new OutboundStream();
  readonly bucket: TokenBucket;
  channelId: number | null = null;
  muted = false;
  deafened = false;
  /** The sender's role may speak in its channel (set by the Hub from permissions). */
  canSpeak = false;
  /** Bound UDP address (after a valid HELLO); port 0 = not bound. */
  udpAddress = '';
  udpPort = 0;
  /** Sends since the last one checked for failure, and whether the last checked one failed (MediaPlane.sendUdp). */
  udpUnchecked = 0;
  udpFailing = false;
  /** Set by the plane: counts a failed send and keeps every send checked while they fail. */
  onUdpSent: (err: Error | null) => void = () => undefined;
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
    this.bucket = new TokenBucket(o.ratePerSecond, o.burst, o.now);
  }

  get udpBound(): boolean {
    return this.udpPort !== 0;
  }
}
