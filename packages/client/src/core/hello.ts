import { ClientErrorCode, ParleyClientError } from './control.js';

/**
 * The UDP HELLO handshake (docs/protocol.md): a sealed HELLO carrying a
 * random nonce goes out at once and every `retryMs` until a HELLO_ACK
 * echoes the nonce (`done` resolves), or `deadlineMs` passes (`done`
 * rejects with PARLEY_ERR_UDP_HANDSHAKE), or `cancel()` is called (`done`
 * rejects with PARLEY_ERR_CONNECTION_CLOSED). The caller seals and sends in
 * `send(nonce)` and hands every opened HELLO_ACK payload to `ack`.
 * Shared by the SDK's MediaPath and the load generator's participants.
 */
export class HelloHandshake {
  readonly nonce: Uint8Array;
  readonly done: Promise<void>;
  private retry: ReturnType<typeof setInterval> | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  private settle: ((err?: Error) => void) | null = null;

  constructor(opts: {
    send: (nonce: Uint8Array) => void;
    retryMs: number;
    deadlineMs: number;
    randomBytes?: (n: number) => Uint8Array;
  }) {
    const random = opts.randomBytes ?? ((n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
    const nonce = random(8);
    this.nonce = nonce;
    this.done = new Promise((resolve, reject) => {
      this.settle = (err) => {
        this.stop();
        if (err === undefined) resolve();
        else reject(err);
      };
    });
    // A cancelled handshake nobody awaits is not an unhandled rejection.
    this.done.catch(() => undefined);
    this.retry = setInterval(() => opts.send(nonce), opts.retryMs);
    this.deadline = setTimeout(
      () => this.settle?.(new ParleyClientError(ClientErrorCode.UdpHandshake, 'no answer to UDP hello')),
      opts.deadlineMs,
    );
    opts.send(nonce);
  }

  /** An opened HELLO_ACK payload: completes the handshake when it echoes our nonce. */
  ack(payload: Uint8Array): void {
    if (this.settle !== null && bytesEqual(payload, this.nonce)) this.settle();
  }

  /** Stops sending and releases both timers; `done` rejects with PARLEY_ERR_CONNECTION_CLOSED if still pending. Idempotent. */
  cancel(): void {
    const settle = this.settle;
    this.stop();
    settle?.(new ParleyClientError(ClientErrorCode.ConnectionClosed, 'UDP hello cancelled: closed'));
  }

  private stop(): void {
    clearInterval(this.retry);
    clearTimeout(this.deadline);
    this.retry = undefined;
    this.deadline = undefined;
    this.settle = null;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
