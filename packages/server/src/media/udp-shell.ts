import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { Outbox } from './outbox.js';
import type { MediaSession } from './session.js';
import type { MediaStats } from './stats.js';

/**
 * dgram resolves the address of every `send`, and Node's default resolver
 * answers even a numeric address on the next tick. Every address the relay
 * sends to comes from a received datagram, so it is numeric: answering at
 * once lets the datagram leave inside `send` (docs/benchmarks.md).
 */
export function numericLookup(
  address: string,
  options: LookupOneOptions | number, // dgram passes the family as a number
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const f = isIP(address);
  if (f !== 0) callback(null, address, f);
  else dnsLookup(address, typeof options === 'number' ? { family: options } : options, callback);
}

/**
 * The UDP socket's kernel buffers asked for: a burst of ~4 MiB (≈ 45,000
 * sealed 60-byte frames) rides out a pause of the event loop. Linux caps
 * the request at net.core.rmem_max / wmem_max (docs/ops/deploy.md).
 */
export const UDP_BUFFER_BYTES = 4 << 20;

/** The start-up warning when the kernel granted the UDP socket less receive buffer than asked, else null. */
export function udpBufferShortfall(
  got: { receive: number } | null,
): { message: string; details: { udpReceiveBufferBytes: number; asked: number } } | null {
  if (got === null || got.receive >= UDP_BUFFER_BYTES) return null;
  return {
    message:
      `the UDP receive buffer is ${Math.round(got.receive / 1024)} KiB (asked for ${UDP_BUFFER_BYTES / 1024} KiB): ` +
      'a busy server will drop voice in bursts — raise net.core.rmem_max (docs/ops/deploy.md, "Kernel settings")',
    details: { udpReceiveBufferBytes: got.receive, asked: UDP_BUFFER_BYTES },
  };
}

/** One UDP send in this many to a session is checked for failure (see UdpShell.sendAll). */
export const SEND_CHECK_EVERY = 16;

/** Called with each datagram received: the bytes, and the sender's address and port. */
export type DatagramHandler = (msg: Uint8Array, address: string, port: number) => void;

/** The shell's socket: none yet, bound (or binding), or closed for good. */
export type UdpShellState = { status: 'idle' } | { status: 'open'; socket: Socket } | { status: 'closed' };

/**
 * The media plane's UDP socket: binds it, hands every datagram to a
 * handler, and sends the UDP copies of an Outbox. Counts what it sends
 * (`packetsOut`, `bytesOut`, per session `packetsOut`) and failed sends
 * (`sendFailures.udp_send_error`) in the router's stats.
 */
export class UdpShell {
  private state: UdpShellState = { status: 'idle' };
  private readonly countFailure: () => void;

  constructor(
    private readonly stats: MediaStats,
    private readonly onDatagram: DatagramHandler,
  ) {
    this.countFailure = () => {
      this.stats.sendFailures.udp_send_error++;
    };
  }

  /** `idle` before `listen`, `open` from then until `close()`. */
  get status(): UdpShellState['status'] {
    return this.state.status;
  }

  /** Binds the socket; resolves with the port actually bound. Once only. */
  async listen(host: string, port: number): Promise<number> {
    if (this.state.status !== 'idle') throw new Error(`the UDP socket is ${this.state.status}`);
    const socket = createSocket({
      type: host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: UDP_BUFFER_BYTES,
      sendBufferSize: UDP_BUFFER_BYTES,
      lookup: numericLookup,
    });
    this.state = { status: 'open', socket };
    const onDatagram = this.onDatagram;
    socket.on('message', (msg, rinfo) => onDatagram(msg, rinfo.address, rinfo.port));
    // A socket error (not a failed send: see `send`) must never take the server down.
    socket.on('error', this.countFailure);
    await new Promise<void>((resolve, reject) => {
      const fail = (err?: Error): void => {
        socket.off('close', fail);
        reject(err ?? new Error('the UDP socket closed while binding'));
      };
      socket.once('error', fail);
      socket.once('close', fail);
      socket.bind(port, host, () => {
        socket.off('error', fail);
        socket.off('close', fail);
        resolve();
      });
    });
    return socket.address().port;
  }

  /**
   * The kernel buffer sizes the socket really got (Linux reports twice
   * what was granted, bookkeeping included), or null when not bound.
   */
  bufferBytes(): { receive: number; send: number } | null {
    const s = this.state;
    return s.status === 'open'
      ? { receive: s.socket.getRecvBufferSize(), send: s.socket.getSendBufferSize() }
      : null;
  }

  /**
   * Sends every UDP copy in `outbox` (nothing when the socket is not open).
   *
   * Node reports a failed `send` only to a callback given with it (without
   * one, the error is dropped silently), and a callback costs a
   * `process.nextTick` per send — ~4 % of the relay's CPU per copy. So one
   * send in SEND_CHECK_EVERY to each session carries the session's callback,
   * and every send does while its sends fail: `udp_send_error` counts every
   * failure of an episode except at most the first SEND_CHECK_EVERY − 1.
   */
  sendAll(outbox: Outbox): void {
    const state = this.state;
    if (state.status !== 'open') return;
    const socket = state.socket;
    const stats = this.stats;
    const copies = outbox.udp;
    for (let i = 0, n = outbox.udpCount; i < n; i++) {
      const c = copies[i]!;
      const m = c.session!;
      const { bytes, to } = c;
      if (m.udpFailing || ++m.udpUnchecked >= SEND_CHECK_EVERY) {
        m.udpUnchecked = 0;
        socket.send(bytes, to.port, to.address, m.udpSent ?? this.sentCallback(m));
      } else {
        socket.send(bytes, to.port, to.address);
      }
      m.packetsOut++;
      stats.packetsOut++;
      stats.bytesOut += bytes.length;
    }
  }

  /** Makes `m`'s send callback: it counts a failure and keeps every send to `m` checked while they fail. */
  private sentCallback(m: MediaSession): (err: Error | null) => void {
    const countFailure = this.countFailure;
    const done = (err: Error | null): void => {
      m.udpFailing = err !== null;
      if (err !== null) countFailure();
    };
    m.udpSent = done;
    return done;
  }

  /** Closes the socket; idempotent. */
  async close(): Promise<void> {
    const s = this.state;
    this.state = { status: 'closed' };
    if (s.status === 'open') await new Promise<void>((resolve) => s.socket.close(() => resolve()));
  }
}
