import { HELLO_ACK_VALIDATE, HELLO_NONCE_SIZE, HELLO_PAYLOAD_SIZE } from '@parley/protocol';
import { ClientErrorCode, ParleyClientError } from './control.js';

/**
 * The UDP HELLO handshake with address validation (docs/protocol.md,
 * "Address validation"). A sealed HELLO whose payload is a random 8-byte
 * nonce and a 16-byte cookie field (zeros at first) goes out at once, then
 * after `retryMs`, twice that, four times that (at most `4 × retryMs`
 * apart): a server slow to answer, or a crowd behind one address, does not
 * make the HELLOs pile up (the server limits them per address). A HELLO_ACK that echoes the nonce with the VALIDATE flag
 * carries a cookie: it is copied into the payload, and the HELLO goes out
 * again at once. A HELLO_ACK that echoes the nonce without the flag means
 * the address is bound: `done` resolves. `deadlineMs` passing rejects
 * `done` with PARLEY_ERR_UDP_HANDSHAKE, `cancel()` with
 * PARLEY_ERR_CONNECTION_CLOSED. The caller seals and sends in
 * `send(payload)` (the same buffer each time: seal it at once) and hands
 * every opened HELLO_ACK payload, with its header flags, to `ack`.
 * Shared by the SDK's MediaPath and the load generator's participants.
 */
export class HelloHandshake {
  /** The HELLO payload: nonce, then the cookie field. */
  readonly payload = new Uint8Array(HELLO_PAYLOAD_SIZE);
  /** The nonce (a view of the payload's first 8 bytes). */
  readonly nonce: Uint8Array;
  readonly done: Promise<void>;
  /** Challenges received (HELLO_ACKs with a cookie). */
  challenges = 0;
  private readonly send: (payload: Uint8Array) => void;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  private settle: ((err?: Error) => void) | null = null;

  constructor(opts: {
    send: (payload: Uint8Array) => void;
    retryMs: number;
    deadlineMs: number;
    randomBytes?: (n: number) => Uint8Array;
  }) {
    this.payload.set(nonceFrom(opts.randomBytes), 0);
    this.nonce = this.payload.subarray(0, HELLO_NONCE_SIZE);
    this.send = opts.send;
    this.done = new Promise((resolve, reject) => {
      this.settle = (err) => {
        this.stop();
        if (err === undefined) resolve();
        else reject(err);
      };
    });
    // A cancelled handshake nobody awaits is not an unhandled rejection.
    this.done.catch(() => undefined);
    const payload = this.payload;
    const again = (delayMs: number): void => {
      this.retry = setTimeout(() => {
        opts.send(payload);
        again(Math.min(delayMs * 2, opts.retryMs * 4));
      }, delayMs);
    };
    again(opts.retryMs);
    this.deadline = setTimeout(
      () => this.settle?.(new ParleyClientError(ClientErrorCode.UdpHandshake, 'no answer to UDP hello')),
      opts.deadlineMs,
    );
    opts.send(payload);
  }

  /**
   * An opened HELLO_ACK payload and its header flags: a challenge that
   * echoes our nonce makes us echo its cookie at once; an acknowledgement
   * without the flag completes the handshake. Anything else is ignored.
   */
  ack(payload: Uint8Array, flags = 0): void {
    if (this.settle === null || !startsWith(payload, this.nonce)) return;
    if ((flags & HELLO_ACK_VALIDATE) === 0) {
      this.settle();
      return;
    }
    if (payload.length < HELLO_PAYLOAD_SIZE) return;
    this.challenges++;
    this.payload.set(payload.subarray(HELLO_NONCE_SIZE, HELLO_PAYLOAD_SIZE), HELLO_NONCE_SIZE);
    this.send(this.payload);
  }

  /** Stops sending and releases both timers; `done` rejects with PARLEY_ERR_CONNECTION_CLOSED if still pending. Idempotent. */
  cancel(): void {
    const settle = this.settle;
    this.stop();
    settle?.(new ParleyClientError(ClientErrorCode.ConnectionClosed, 'UDP hello cancelled: closed'));
  }

  private stop(): void {
    clearTimeout(this.retry);
    clearTimeout(this.deadline);
    this.retry = undefined;
    this.deadline = undefined;
    this.settle = null;
  }
}

/**
 * Keeps a validated UDP path (docs/protocol.md, "Keepalive and NAT
 * rebinding"): every `intervalMs` a HELLO with a fresh nonce and no cookie.
 * From the address the server validated, it is acknowledged. When a NAT
 * gave us a new address, the server challenges it: the challenge's cookie
 * is echoed at once (`ack`), and the server moves the session's media to
 * the new address. The HELLOs also keep the NAT's mapping alive.
 */
export class PathKeeper {
  /** The HELLO payload: nonce, then the cookie field. */
  readonly payload = new Uint8Array(HELLO_PAYLOAD_SIZE);
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly opts: {
      send: (payload: Uint8Array) => void;
      intervalMs: number;
      randomBytes?: (n: number) => Uint8Array;
    },
  ) {
    this.timer = setInterval(() => this.probe(), opts.intervalMs);
  }

  /**
   * An opened HELLO_ACK payload and its flags: a challenge to our latest
   * probe is answered at once (true: the server saw us from an address it
   * had not validated). Anything else is ignored.
   */
  ack(payload: Uint8Array, flags = 0): boolean {
    if (this.timer === undefined || (flags & HELLO_ACK_VALIDATE) === 0) return false;
    if (
      payload.length < HELLO_PAYLOAD_SIZE ||
      !startsWith(payload, this.payload.subarray(0, HELLO_NONCE_SIZE))
    )
      return false;
    this.payload.set(payload.subarray(HELLO_NONCE_SIZE, HELLO_PAYLOAD_SIZE), HELLO_NONCE_SIZE);
    this.opts.send(this.payload);
    return true;
  }

  /** Stops probing; idempotent. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private probe(): void {
    this.payload.set(nonceFrom(this.opts.randomBytes), 0);
    this.payload.fill(0, HELLO_NONCE_SIZE);
    this.opts.send(this.payload);
  }
}

/** A fresh HELLO nonce. */
function nonceFrom(randomBytes?: (n: number) => Uint8Array): Uint8Array {
  const random = randomBytes ?? ((n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n)));
  return random(HELLO_NONCE_SIZE).subarray(0, HELLO_NONCE_SIZE);
}

function startsWith(a: Uint8Array, prefix: Uint8Array): boolean {
  if (a.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (a[i] !== prefix[i]) return false;
  return true;
}
