import type { Outbox } from './outbox.js';
import type { MediaStats } from './stats.js';

/** Where a session's media can be sent over its WebSocket (the control session's current socket). */
export interface WsSink {
  send(data: Uint8Array): void;
  readonly bufferedAmount: number;
}

/**
 * The WebSocket side of the media plane: sends the WebSocket copies of an
 * Outbox, each to its session's WsSink. A listener whose socket has more
 * than `maxBufferedBytes` waiting is skipped and counted
 * (`sendFailures.ws_backpressure`): a slow browser must not make the
 * server buffer its audio without bound. Packets arrive through
 * `MediaPlane.handleWs`, from the session's own control socket.
 */
export class WsShell {
  constructor(
    private readonly stats: MediaStats,
    private readonly maxBufferedBytes: number,
  ) {}

  /** Sends every WebSocket copy in `outbox`. */
  sendAll(outbox: Outbox): void {
    const stats = this.stats;
    const copies = outbox.ws;
    for (let i = 0, n = outbox.wsCount; i < n; i++) {
      const c = copies[i]!;
      const m = c.session!;
      const ws = m.ws;
      if (ws === null) continue;
      if (ws.bufferedAmount > this.maxBufferedBytes) {
        stats.sendFailures.ws_backpressure++;
        continue;
      }
      ws.send(c.bytes);
      m.packetsOut++;
      stats.packetsOut++;
      stats.bytesOut += c.bytes.length;
    }
  }
}
