/**
 * The HTTP server's edge: timeouts for slow clients and caps on open TCP
 * connections, server-wide and per client address (docs/config.md `http.*`).
 *
 * The caps count sockets on the server's `connection` event, before any
 * byte is parsed: a connection over a cap is destroyed at once and counted
 * under its reason. WebSocket connections count too (they stay TCP
 * connections of the HTTP server). The address is the socket's peer, not
 * `X-Forwarded-For`: behind a reverse proxy, the proxy is one address.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { ParleyConfig } from '../config.js';
import { ipMatches, limitKey, normalizeIp } from '../net/ip.js';

/** Why a connection was refused or a frame dropped at the edge. */
export interface EdgeCounters {
  /** TCP connections open now. */
  connections: number;
  /** Connections destroyed because `http.maxConnections` was reached. */
  refusedServerFull: number;
  /** Connections destroyed because their address had `http.maxConnectionsPerAddress` open. */
  refusedPerAddress: number;
  /** WebSocket frames refused (oversized, invalid: a `WS_ERR_…` from `ws`): the socket was dropped. */
  badFrames: number;
  /** WebSocket handshakes refused for their `Origin` (http/origin.ts). */
  refusedOrigin: number;
}

export type HttpEdgeOptions = Pick<
  ParleyConfig['http'],
  | 'headersTimeoutMs'
  | 'requestTimeoutMs'
  | 'keepAliveTimeoutMs'
  | 'timeoutCheckMs'
  | 'maxConnections'
  | 'maxConnectionsPerAddress'
  | 'connectionCapExempt'
>;

/**
 * Options for Node's `http.createServer` (through Fastify): Node checks
 * `headersTimeout` / `requestTimeout` every `connectionsCheckingInterval`
 * and answers 408 (then closes) a request that is late.
 */
export function httpServerTimeouts(o: HttpEdgeOptions): {
  requestTimeout: number;
  keepAliveTimeout: number;
  http: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number };
} {
  return {
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    http: {
      headersTimeout: o.headersTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      connectionsCheckingInterval: o.timeoutCheckMs,
    },
  };
}

/** Counts open connections per address and destroys those over a cap. */
export class ConnectionLimiter {
  readonly counters: EdgeCounters = {
    connections: 0,
    refusedServerFull: 0,
    refusedPerAddress: 0,
    badFrames: 0,
    refusedOrigin: 0,
  };
  /** Open connections per address; an address leaves the map with its last connection (bounded by maxConnections). */
  private readonly perAddress = new Map<string, number>();

  constructor(
    private readonly opts: Pick<
      HttpEdgeOptions,
      'maxConnections' | 'maxConnectionsPerAddress' | 'connectionCapExempt'
    >,
  ) {}

  private exempt(address: string): boolean {
    return this.opts.connectionCapExempt.some((e) => ipMatches(e, address));
  }

  /** Listens to `server`'s connections (TLS servers emit `connection` for the raw socket too). */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.admit(socket));
  }

  /** Admits or destroys one new socket. */
  admit(socket: Socket): void {
    const address = normalizeIp(socket.remoteAddress ?? '');
    // An IPv6 client is counted by its /64 (net/ip.ts limitKey).
    const key = limitKey(address);
    const mine = this.perAddress.get(key) ?? 0;
    if (this.counters.connections >= this.opts.maxConnections) {
      this.counters.refusedServerFull++;
      socket.destroy();
      return;
    }
    if (mine >= this.opts.maxConnectionsPerAddress && !this.exempt(address)) {
      this.counters.refusedPerAddress++;
      socket.destroy();
      return;
    }
    this.counters.connections++;
    this.perAddress.set(key, mine + 1);
    socket.once('close', () => {
      this.counters.connections--;
      const n = (this.perAddress.get(key) ?? 1) - 1;
      if (n <= 0) this.perAddress.delete(key);
      else this.perAddress.set(key, n);
    });
  }
}
