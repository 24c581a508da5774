import {
  ErrorCode,
  ParleyError,
  parseServerMessage,
  type ClientMessage,
  type ServerMessage,
} from '@parley/protocol';

/**
 * The little of a WebSocket the client needs; the browser's WebSocket and
 * the `ws` package both fit (binaryType 'arraybuffer').
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

/** The client's own codes (docs/errors.md, "Client-side codes"), beside the server's `ErrorCode`. */
export const ClientErrorCode = {
  Unreachable: 'PARLEY_ERR_UNREACHABLE',
  ConnectionClosed: 'PARLEY_ERR_CONNECTION_CLOSED',
  Timeout: 'PARLEY_ERR_TIMEOUT',
  UdpHandshake: 'PARLEY_ERR_UDP_HANDSHAKE',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/**
 * Facts about a client error, for a caller that words its own message (the
 * CLI) instead of reading them back out of the text.
 */
export interface ClientErrorDetail {
  /** The URL the client tried to reach. */
  url?: string;
  /** The low-level reason: a socket error code (`ECONNREFUSED`), `connection closed (1006)`, … */
  reason?: string;
}

export interface ClientErrorOptions extends ErrorOptions {
  detail?: ClientErrorDetail;
}

/**
 * An error answered by the server (its `ErrorCode`) or raised by the client
 * (a `ClientErrorCode`), with a typed, stable code to branch on.
 */
export class ParleyClientError extends ParleyError<ErrorCode | ClientErrorCode> {
  /** Structured facts (PARLEY_ERR_UNREACHABLE: the URL and the low-level reason). */
  readonly detail?: ClientErrorDetail;

  constructor(code: ErrorCode | ClientErrorCode, message: string, options: ClientErrorOptions = {}) {
    const { detail, ...errorOptions } = options;
    super(code, message, errorOptions);
    if (detail !== undefined) this.detail = detail;
  }
}

type Listener<T> = (value: T) => void;

export interface ControlConnectionOptions {
  /** How long a request waits for its answer (default 10 s). */
  requestTimeoutMs?: number;
  /** Prefix of request refs (default `r`). */
  refPrefix?: string;
}

/** Why a server message was dropped. */
export type ControlDropReason =
  /** Not JSON, not an object, an unknown type, or fails its schema. */
  | 'invalid'
  /** Over MAX_SERVER_MESSAGE_BYTES (parsed), or over the socket's max payload (the connection closes). */
  | 'too_large'
  /** A `seq` already received (a resume replaying what arrived before). */
  | 'duplicate';

/** A server message the connection dropped, with its stable code (docs/errors.md). */
export interface ControlDrop {
  reason: ControlDropReason;
  code: ErrorCode;
  message: string;
}

/** Counters of dropped server messages, by reason. */
export interface ControlStats {
  invalidMessages: number;
  oversizedMessages: number;
  duplicateMessages: number;
}

export interface ControlEvents {
  message: ServerMessage;
  media: Uint8Array;
  dropped: ControlDrop;
  /**
   * The connection closed. `errorCode` says why when the client closed it
   * on an error: PARLEY_ERR_MESSAGE_TOO_LARGE (code 1009) for a server
   * message over the socket's max payload.
   */
  close: { code: number; reason: string; errorCode?: ErrorCode };
}

/** `ws`'s error code for a message over `maxPayload`; it then closes with 1009. */
const WS_TOO_LARGE = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
const CLOSE_TOO_LARGE = 1009;

/**
 * A control connection: JSON requests matched to answers by `ref`, server
 * events delivered to listeners, binary messages handed over as media.
 */
export class ControlConnection {
  private readonly pending = new Map<
    string,
    { resolve: Listener<ServerMessage>; reject: Listener<Error>; timer: ReturnType<typeof setTimeout> }
  >();
  private readonly listeners: { [K in keyof ControlEvents]: Set<Listener<ControlEvents[K]>> } = {
    message: new Set(),
    media: new Set(),
    dropped: new Set(),
    close: new Set(),
  };
  /** Server messages dropped, by reason. */
  readonly stats: ControlStats = { invalidMessages: 0, oversizedMessages: 0, duplicateMessages: 0 };
  /** Set when the socket failed on a message over its max payload. */
  private tooLarge = false;
  private nextRef = 1;
  private closed = false;
  /**
   * Highest `seq` received (server messages after `welcome` are numbered 1,
   * 2, 3 …); a message at or below it is a duplicate and is dropped. Set it
   * before a resuming `hello` to carry the count over from the previous
   * connection.
   */
  lastSeq = 0;
  /** Resolves once the socket itself has closed (after `close()`, when the closing handshake is done). */
  readonly socketClosed: Promise<void>;
  private markSocketClosed: () => void = () => undefined;

  private constructor(
    private readonly ws: WebSocketLike,
    private readonly requestTimeoutMs: number,
    private readonly refPrefix: string,
  ) {
    this.socketClosed = new Promise((resolve) => (this.markSocketClosed = resolve));
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = (ev) => {
      this.markSocketClosed();
      this.onClose(ev.code, ev.reason);
    };
    ws.onerror = (ev) => this.onError(ev);
  }

  /**
   * Opens the WebSocket; rejects with PARLEY_ERR_UNREACHABLE if it cannot.
   * `refPrefix` makes request refs unique across the connections of one
   * session, so that answers replayed after a resume never match a new request.
   */
  static open(
    factory: WebSocketFactory,
    url: string,
    opts: number | ControlConnectionOptions = {},
  ): Promise<ControlConnection> {
    const { requestTimeoutMs = 10_000, refPrefix = 'r' } =
      typeof opts === 'number' ? { requestTimeoutMs: opts } : opts;
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = factory(url);
      } catch (err) {
        reject(unreachable(url, (err as Error).message, err));
        return;
      }
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => resolve(new ControlConnection(ws, requestTimeoutMs, refPrefix));
      ws.onerror = (ev) => {
        const e = ev as { message?: string; error?: { code?: string } };
        reject(unreachable(url, e.error?.code ?? e.message ?? 'error', e.error));
      };
      ws.onclose = (ev) => reject(unreachable(url, `connection closed (${ev.code})`));
    });
  }

  on<K extends keyof ControlEvents>(event: K, fn: Listener<ControlEvents[K]>): () => void {
    const set = this.listeners[event] as Set<Listener<ControlEvents[K]>>;
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Sends a message and waits for the answer carrying the same `ref`. */
  request<T extends ServerMessage['type']>(
    msg: ClientMessage,
    expect: T,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    if (this.closed)
      return Promise.reject(new ParleyClientError(ClientErrorCode.ConnectionClosed, 'connection closed'));
    const ref = `${this.refPrefix}${this.nextRef++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new ParleyClientError(ClientErrorCode.Timeout, `no answer to ${msg.type}`));
      }, this.requestTimeoutMs);
      this.pending.set(ref, {
        resolve: (m) => {
          if (m.type === 'error') reject(new ParleyClientError(m.code, m.message));
          else if (m.type !== expect)
            reject(new ParleyClientError(ErrorCode.BadMessage, `expected ${expect}, got ${m.type}`));
          else resolve(m as Extract<ServerMessage, { type: T }>);
        },
        reject,
        timer,
      });
      this.ws.send(JSON.stringify({ ...msg, ref }));
    });
  }

  /** Sends a message that needs no answer. */
  notify(msg: ClientMessage): void {
    if (!this.closed) this.ws.send(JSON.stringify(msg));
  }

  /** Sends a binary media packet over the WebSocket. */
  sendMedia(packet: Uint8Array): void {
    if (!this.closed) this.ws.send(packet);
  }

  private onMessage(data: unknown): void {
    if (data instanceof ArrayBuffer) {
      this.emit('media', new Uint8Array(data));
      return;
    }
    if (ArrayBuffer.isView(data)) {
      this.emit('media', new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return;
    }
    if (typeof data !== 'string') {
      this.drop('invalid', ErrorCode.BadMessage, 'neither text nor binary');
      return;
    }
    const parsed = parseServerMessage(data);
    if (!parsed.ok) {
      const { code, message } = parsed.reason;
      this.drop(code === ErrorCode.MessageTooLarge ? 'too_large' : 'invalid', code, message);
      return;
    }
    const msg = parsed.value;
    if (msg.seq !== undefined) {
      if (msg.seq <= this.lastSeq) {
        this.drop('duplicate', ErrorCode.BadMessage, `seq ${msg.seq} already received`);
        return;
      }
      this.lastSeq = msg.seq;
    }
    const ref = 'ref' in msg ? msg.ref : undefined;
    if (ref !== undefined) {
      const p = this.pending.get(ref);
      if (p) {
        this.pending.delete(ref);
        clearTimeout(p.timer);
        p.resolve(msg);
        return;
      }
    }
    this.emit('message', msg);
  }

  private drop(reason: ControlDropReason, code: ErrorCode, message: string): void {
    if (reason === 'invalid') this.stats.invalidMessages++;
    else if (reason === 'too_large') this.stats.oversizedMessages++;
    else this.stats.duplicateMessages++;
    this.emit('dropped', { reason, code, message });
  }

  /** A socket error after open: `ws` reports a message over its max payload here, then closes. */
  private onError(ev: unknown): void {
    const err = (ev as { error?: { code?: unknown } } | null)?.error;
    if (err?.code !== WS_TOO_LARGE || this.tooLarge) return;
    this.tooLarge = true;
    this.drop('too_large', ErrorCode.MessageTooLarge, 'server message over the WebSocket max payload');
  }

  private onClose(wsCode: number, wsReason: string): void {
    if (this.closed) return;
    this.closed = true;
    // `ws` closes with 1009 itself but reports 1006 (it stops reading before the echo).
    const code = this.tooLarge ? CLOSE_TOO_LARGE : wsCode;
    const reason = this.tooLarge ? 'message too large' : wsReason;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(
        this.tooLarge
          ? new ParleyClientError(
              ErrorCode.MessageTooLarge,
              `connection closed: a server message was too large (${code})`,
            )
          : new ParleyClientError(ClientErrorCode.ConnectionClosed, `connection closed (${code} ${reason})`),
      );
    }
    this.pending.clear();
    this.emit(
      'close',
      this.tooLarge ? { code, reason, errorCode: ErrorCode.MessageTooLarge } : { code, reason },
    );
  }

  private emit<K extends keyof ControlEvents>(event: K, value: ControlEvents[K]): void {
    for (const fn of this.listeners[event] as Set<Listener<ControlEvents[K]>>) fn(value);
  }

  /** Closes the connection; idempotent. */
  close(): void {
    if (this.closed) return;
    try {
      this.ws.close(1000, 'bye');
    } finally {
      this.onClose(1000, 'closed by client');
    }
  }
}

/** PARLEY_ERR_UNREACHABLE, with the URL and the low-level reason as `detail`. */
function unreachable(url: string, reason: string, cause?: unknown): ParleyClientError {
  return new ParleyClientError(ClientErrorCode.Unreachable, `cannot connect to ${url} (${reason})`, {
    detail: { url, reason },
    ...(cause === undefined ? {} : { cause }),
  });
}
