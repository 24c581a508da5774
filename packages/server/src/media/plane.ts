import type { Cipher } from '@parley/protocol';
import type { ParleyConfig } from '../config.js';
import { Outbox } from './outbox.js';
import { MediaRouter, type PacketSource, type UdpSource } from './router.js';
import type { MediaSession } from './session.js';
import type { MediaStats } from './stats.js';
import { UdpShell } from './udp-shell.js';
import { WsShell, type WsSink } from './ws-shell.js';

export interface MediaPlaneOptions {
  media: ParleyConfig['media'];
  /** Monotonic clock in milliseconds (injected for tests). */
  now?: () => number;
  /** Wall clock in milliseconds since the epoch, for PONG (default `Date.now`). */
  wallClock?: () => number;
}

/** How often speaking state is swept for speakers who went quiet. */
export const SPEAKING_SWEEP_MS = 100;

/** Running (with its sweep timer) or closed. */
export type MediaPlaneState =
  { status: 'running'; sweepTimer: NodeJS.Timeout } | { status: 'closed'; done: Promise<void> };

/**
 * The media plane as the server wires it: the pure MediaRouter (sessions,
 * membership, routing, drops) with its two transports around it — the UDP
 * shell (the socket) and the WebSocket shell (binary messages on each
 * session's control socket) — one reused Outbox between them, and the
 * timer that sweeps speaking state. UDP datagrams and WebSocket messages go
 * to the same router, so a browser and a CLI bot hear each other.
 *
 * Hot path rules: no logging, no awaiting, no per-packet closures; payloads
 * are `subarray` views of the received buffer.
 */
export class MediaPlane {
  readonly router: MediaRouter;
  /** The router's counters (drops by reason, copies sent, send failures). */
  readonly stats: MediaStats;
  private readonly udp: UdpShell;
  private readonly ws: WsShell;
  private readonly outbox = new Outbox();
  /** Reused source of every datagram: the hot path allocates none. */
  private readonly udpSource: UdpSource = { kind: 'udp', address: '', port: 0 };
  private readonly now: () => number;
  private state: MediaPlaneState;

  constructor(opts: MediaPlaneOptions) {
    this.now = opts.now ?? (() => performance.now());
    const m = opts.media;
    this.router = new MediaRouter({
      media: m,
      sourceLimits: {
        perSecond: m.sourcePacketsPerSecond,
        burst: m.sourceBurstPackets,
        maxSources: m.maxSources,
        overflowPerSecond: 10 * m.sourcePacketsPerSecond,
      },
      ...(opts.wallClock === undefined ? {} : { wallClock: opts.wallClock }),
    });
    this.stats = this.router.stats;
    this.udp = new UdpShell(this.stats, (msg, address, port) => this.handleUdp(msg, address, port));
    this.ws = new WsShell(this.stats, opts.media.wsMaxBufferedBytes);
    const sweepTimer = setInterval(() => this.router.sweep(this.now()), SPEAKING_SWEEP_MS);
    sweepTimer.unref();
    this.state = { status: 'running', sweepTimer };
  }

  /** `running` until `close()`. */
  get status(): MediaPlaneState['status'] {
    return this.state.status;
  }

  /** Binds the UDP socket; resolves with the port actually bound. */
  listenUdp(host: string, port: number): Promise<number> {
    return this.udp.listen(host, port);
  }

  /**
   * The kernel buffer sizes the UDP socket really got (Linux reports twice
   * what was granted, bookkeeping included), or null before `listenUdp`.
   */
  udpBufferBytes(): { receive: number; send: number } | null {
    return this.udp.bufferBytes();
  }

  /** Creates a session with a fresh ssrc and key (MediaRouter.createSession). */
  createSession(ws: WsSink | null, cipher?: Cipher): MediaSession {
    return this.router.createSession(ws, cipher, this.now());
  }

  /** Removes a session from routing; idempotent. */
  removeSession(s: MediaSession): void {
    this.router.removeSession(s);
  }

  /** Sessions that exist (the router's count). */
  get sessionCount(): number {
    return this.router.sessionCount;
  }

  /** Entry point for UDP datagrams. */
  handleUdp(msg: Uint8Array, address: string, port: number): void {
    const src = this.udpSource;
    src.address = address;
    src.port = port;
    this.handle(msg, src);
  }

  /** Entry point for binary WebSocket messages of an authenticated session. */
  handleWs(msg: Uint8Array, from: MediaSession): void {
    this.handle(msg, from.viaWs);
  }

  private handle(msg: Uint8Array, source: PacketSource): void {
    const t0 = performance.now();
    const outbox = this.outbox;
    const outcome = this.router.route(msg, source, this.now(), outbox);
    if (outbox.size !== 0) {
      // All copies were sealed first, and are sent now: kept apart, each loop
      // stays warm in the CPU's caches instead of alternating sealing with
      // system calls, ~5 points of the relay/bare ratio (docs/benchmarks.md).
      this.ws.sendAll(outbox);
      this.udp.sendAll(outbox);
      outbox.clear();
    }
    if (outcome === 'audio') this.stats.forwardUs.record((performance.now() - t0) * 1000);
  }

  /** Stops the sweep timer, removes every session and closes the UDP socket; idempotent (every call resolves once the socket is closed). */
  close(): Promise<void> {
    const s = this.state;
    if (s.status === 'closed') return s.done;
    clearInterval(s.sweepTimer);
    this.router.close();
    const done = this.udp.close();
    this.state = { status: 'closed', done };
    return done;
  }
}
