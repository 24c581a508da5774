import {
  pickCipher,
  type Cipher,
  ErrorCode,
  parseClientMessage,
  type ClientMessage,
  type ControlParseError,
  type HelloMessage,
  type Result,
  type ServerMessage,
} from '@parley/protocol';
import type { WsSink } from '../media/ws-shell.js';
import { TokenBucket } from '../media/token-bucket.js';
import type { Actor } from '../services/actor.js';
import { fail, ServiceError } from '../services/errors.js';
import type { GuestAdmission } from './admission.js';
import { CloseCode, isDeliberateClose } from './close-codes.js';
import { authenticate } from './hello.js';
import { ControlSession, type SessionDeps, type SessionLink } from './session.js';

/** The transport a link talks through (a WebSocket in production). */
export interface ControlSocket extends WsSink {
  sendText(text: string): void;
  close(code: number, reason: string): void;
}

export interface LinkDeps extends SessionDeps {
  /** The client's address (after trusted-proxy resolution). */
  ip: string;
  now: () => number;
  /** Admission of new guest sessions, shared by every link. */
  guests: GuestAdmission;
}

/** The control protocol version this server speaks (`hello.v`). */
export const PROTOCOL_VERSION = 1;
/** Messages received but not yet handled (one is handled at a time, in order), at most. */
export const MAX_PENDING_MESSAGES = 64;

/**
 * A socket's side of the state machine (docs/protocol.md §2.1): before and
 * during `hello` the link answers alone; once attached it hands every
 * message to its session — a new one, or an existing one it resumed.
 */
export type LinkState =
  | { status: 'connected'; helloTimer: NodeJS.Timeout }
  | { status: 'authenticating'; helloTimer: NodeJS.Timeout }
  | { status: 'attached'; session: ControlSession }
  | { status: 'closed' };

type Inbound = Result<ClientMessage, ControlParseError>;

/**
 * One WebSocket. Enforces the control-message rate limit, parses, and
 * handles messages strictly one after another (a `join` that checks a
 * password finishes before the next message is looked at), so answers come
 * back in the order of the requests.
 */
export class ControlLink implements SessionLink {
  private state: LinkState;
  private readonly bucket: TokenBucket;
  private limitedAt = -Infinity;
  private readonly inbox: Inbound[] = [];
  private pumping = false;

  constructor(
    private readonly socket: ControlSocket,
    private readonly deps: LinkDeps,
  ) {
    const helloTimer = setTimeout(() => {
      this.sendRaw({ type: 'error', code: ErrorCode.HelloTimeout, message: 'no hello received in time' });
      this.close(CloseCode.HelloTimeout, 'hello timeout');
    }, deps.config.limits.helloTimeoutMs);
    this.state = { status: 'connected', helloTimer };
    const rate = deps.config.limits.controlMessagesPerSecond;
    this.bucket = new TokenBucket(rate, rate * 2, deps.now());
  }

  get status(): LinkState['status'] {
    return this.state.status;
  }

  /** The session this socket drives, once hello succeeded. */
  get session(): ControlSession | null {
    return this.state.status === 'attached' ? this.state.session : null;
  }

  get ip(): string {
    return this.deps.ip;
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /**
   * Sends one control message, unless the socket is too slow: with more than
   * `control.maxBufferedBytes` still waiting, it is closed with 4008 and its
   * session detached (resumable) instead (docs/protocol.md §2.3.3). A replay
   * after a resume is not checked: the resume log bounds it.
   */
  sendText(text: string, replay = false): void {
    if (this.state.status === 'closed') return;
    if (!replay && this.socket.bufferedAmount > this.deps.config.control.maxBufferedBytes)
      return this.tooSlow();
    this.socket.sendText(text);
  }

  /** The client does not read fast enough: stop writing to it; its session waits for a resume. */
  private tooSlow(): void {
    const s = this.state;
    if (s.status === 'closed') return;
    this.deps.hub.controlStats.tooSlow++;
    this.release();
    this.socket.close(CloseCode.TooSlow, 'too slow');
    if (s.status === 'attached') s.session.detach(this);
  }

  sendMedia(data: Uint8Array): void {
    if (this.state.status !== 'closed') this.socket.send(data);
  }

  /** A binary WebSocket message: media of the attached session. */
  onBinary(data: Uint8Array): void {
    const s = this.state;
    if (s.status === 'attached') s.session.onBinary(data);
    else this.deps.hub.plane.stats.drops.unknown_session++;
  }

  /** A text WebSocket message: one JSON control message. */
  onText(text: string): void {
    if (this.state.status === 'closed') return;
    const now = this.deps.now();
    if (!this.bucket.take(now)) {
      // A second burst within a second of the first: the peer ignores errors.
      if (now - this.limitedAt < 1000) return this.close(CloseCode.PolicyViolation, 'rate limit');
      this.limitedAt = now;
      // At once, ahead of answers still pending: a warning about the stream, not about one message.
      return this.replyError(ErrorCode.RateLimited, 'too many control messages', undefined);
    }
    this.enqueue(parseClientMessage(text));
  }

  /**
   * The socket closed by the client or the network. A goodbye (1000, 1001,
   * 1005) ends the session; a broken socket leaves it detached, resumable.
   */
  socketClosed(code: number): void {
    const s = this.state;
    if (s.status === 'closed') return;
    this.release();
    if (s.status === 'attached') {
      if (isDeliberateClose(code)) s.session.close();
      else s.session.detach(this);
    }
  }

  /** Closes the socket from the server side; the session ends with it. */
  close(code: number, reason: string): void {
    const s = this.state;
    if (s.status === 'closed') return;
    this.end(code, reason);
    if (s.status === 'attached') s.session.close();
  }

  /** SessionLink: closes the socket without calling the session back. */
  end(code: number, reason: string): void {
    if (this.state.status === 'closed') return;
    this.release();
    this.socket.close(code, reason);
  }

  private release(): void {
    const s = this.state;
    if (s.status === 'connected' || s.status === 'authenticating') clearTimeout(s.helloTimer);
    this.state = { status: 'closed' };
    this.inbox.length = 0;
  }

  private enqueue(item: Inbound): void {
    if (this.inbox.length >= MAX_PENDING_MESSAGES)
      return this.close(CloseCode.PolicyViolation, 'too many pending messages');
    this.inbox.push(item);
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (let item = this.inbox.shift(); item !== undefined; item = this.inbox.shift()) {
        // Past the control plane's slice of this turn: media and timers go first.
        await this.deps.turns.take();
        await this.process(item);
      }
    } finally {
      this.pumping = false;
    }
  }

  private async process(item: Inbound): Promise<void> {
    const s = this.state;
    if (s.status === 'closed') return;
    if (!item.ok) return this.replyError(item.reason.code, item.reason.message, item.reason.ref);
    const msg = item.value;
    if (s.status === 'attached') return s.session.handle(msg);
    if (msg.type === 'ping') {
      return this.sendRaw({ type: 'pong', t: msg.t, serverTime: Date.now(), ...ref(msg.ref) });
    }
    if (msg.type !== 'hello') return this.replyError(ErrorCode.BadState, 'send hello first', msg.ref);
    return this.hello(msg);
  }

  /** connected → authenticating → attached (or back to connected, or closed). */
  private async hello(msg: HelloMessage): Promise<void> {
    const s = this.state;
    if (s.status !== 'connected') return;
    if (msg.v !== PROTOCOL_VERSION) {
      return this.replyError(
        ErrorCode.UnsupportedVersion,
        `protocol version ${msg.v} is not spoken here`,
        msg.ref,
      );
    }
    // A new guest session is admitted before any lookup (resumes and accounts are not guests).
    if (msg.token === undefined && msg.resume === undefined) {
      const refused = this.deps.guests.admit(this.deps.ip);
      if (refused !== null) {
        const why = refused === 'address' ? 'from this address' : 'on this server';
        return this.replyError(
          ErrorCode.TooManyGuests,
          `too many new guests ${why}: try again later`,
          msg.ref,
        );
      }
    }
    const helloTimer = s.helloTimer;
    this.state = { status: 'authenticating', helloTimer };
    try {
      const actor = await authenticate(msg, this.deps.ip, this.deps.services);
      if (this.state.status !== 'authenticating') return; // the socket went away meanwhile
      const session =
        msg.resume === undefined
          ? this.startSession(actor, msg.ref, pickCipher(msg.ciphers))
          : this.resumeSession(actor, msg.resume, msg.ref);
      clearTimeout(helloTimer);
      this.state = { status: 'attached', session };
    } catch (err) {
      if (this.state.status !== 'authenticating') return;
      this.state = { status: 'connected', helloTimer };
      this.refused(err, msg.ref);
    }
  }

  private startSession(actor: Actor, r: string | undefined, cipher: Cipher): ControlSession {
    const { hub, config } = this.deps;
    if (hub.plane.sessionCount >= config.limits.maxSessions) fail(ErrorCode.ServerFull, 'server is full');
    return ControlSession.start(this, actor, this.deps, r, cipher);
  }

  private resumeSession(
    actor: Actor,
    resume: NonNullable<HelloMessage['resume']>,
    r: string | undefined,
  ): ControlSession {
    const target = this.deps.registry.find(resume.token);
    if (target === undefined) fail(ErrorCode.ResumeFailed, 'no session to resume (unknown or expired)');
    target.resume(this, actor, resume.lastSeq, r);
    return target;
  }

  /** A refused hello: the error, then the socket closes for a bad token or a ban; otherwise hello may be retried. */
  private refused(err: unknown, r: string | undefined): void {
    if (!(err instanceof ServiceError)) {
      this.deps.services.ctx.log.error({ err }, 'hello failed');
      this.replyError(ErrorCode.Internal, 'internal error', r);
      return this.close(CloseCode.InternalError, 'internal error');
    }
    this.replyError(err.code, err.message, r);
    if (err.code === ErrorCode.Banned) this.close(CloseCode.Banned, 'banned');
    else if (err.code === ErrorCode.BadCredentials) this.close(CloseCode.Revoked, 'invalid token');
    else if (err.code === ErrorCode.ServerFull) this.close(CloseCode.ServerFull, 'server full');
  }

  /** An error: sequenced by the session once attached, bare before. */
  private replyError(code: ErrorCode, message: string, r: string | undefined): void {
    const s = this.state;
    if (s.status === 'attached') s.session.sendError(code, message, r);
    else this.sendRaw({ type: 'error', code, message, ...ref(r) });
  }

  private sendRaw(msg: ServerMessage): void {
    this.sendText(JSON.stringify(msg));
  }
}

function ref(r: string | undefined): { ref?: string } {
  return r === undefined ? {} : { ref: r };
}
