/**
 * Helpers for the control-plane WebSocket tests: accounts and tokens made
 * through the services (no REST), a raw JSON WebSocket probe that waits on
 * events, SDK clients whose sockets a test can cut, and `useWsServer()`, the
 * fixture that starts a server and closes everything a test opened.
 */
import { FRAME_SAMPLES } from '@parley/protocol';
import WebSocket from 'ws';
import { createNodeAead } from '@parley/protocol/node';
import type { Member, PresenceMessage, ServerMessage } from '@parley/protocol';
import {
  VoiceClient,
  type DisconnectInfo,
  type ReconnectOptions,
  type VoiceClientEvents,
  type WebSocketLike,
} from '@parley/client';
import { openUdpTransport } from '@parley/client/node';
import type { ConfigOverrides, ParleyServer } from '@parley/server';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Actor } from '../../packages/server/src/services/actor.js';
import type { Role } from '../../packages/server/src/db/schema.js';
import { startServer, TEST_ADMIN_PASSWORD, type TestServer } from './server.js';
import { DEFAULT_WAIT_MS, nextEvent, waitFor } from './wait.js';

export const LOCAL_IP = '127.0.0.1';

export interface Account {
  actor: Actor;
  token: string;
}

/** Logs in an existing account (e.g. `admin`) through the auth service. */
export async function login(server: ParleyServer, name: string, password: string): Promise<Account> {
  const r = await server.services.auth.login(name, password, LOCAL_IP);
  return { actor: { userId: r.user.id, name: r.user.name, role: r.user.role, ip: LOCAL_IP }, token: r.token };
}

export function loginAdmin(server: ParleyServer): Promise<Account> {
  return login(server, 'admin', TEST_ADMIN_PASSWORD);
}

/** Creates an account with `role` (as the admin) and logs it in. */
export async function account(
  server: ParleyServer,
  admin: Account,
  name: string,
  role: Role,
): Promise<Account> {
  const password = `${name}-password-123`;
  await server.services.auth.createUser(admin.actor, name, password, role);
  return login(server, name, password);
}

export type Json = Record<string, unknown> & { type: string; seq?: number; ref?: string };

/** A raw WebSocket speaking JSON: every message kept, waits driven by arrivals. */
export class WsProbe {
  readonly messages: Json[] = [];
  readonly closed: Promise<number>;
  private closeCode: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.messages.push(JSON.parse((data as Buffer).toString('utf8')) as Json);
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  static async open(url: string): Promise<WsProbe> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsProbe(ws);
  }

  send(msg: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** Waits for the first message (from index `from`) matching `pred`; fails if the socket closes first. */
  async next(pred: (m: Json) => boolean, what: string, from = 0, timeoutMs = DEFAULT_WAIT_MS): Promise<Json> {
    let found: Json | undefined;
    await waitFor(
      () => {
        found = this.messages.slice(from).find(pred);
        if (found === undefined && this.closeCode !== null) {
          throw new Error(`socket closed (${this.closeCode}) while waiting for ${what}`);
        }
        return found !== undefined;
      },
      what,
      { timeoutMs, on: [[this.ws, 'message', 'close']], pollMs: false },
    );
    return found!;
  }

  /** Sends a request with `ref` and waits for the message answering it. */
  request(msg: Record<string, unknown>): Promise<Json> {
    const ref = `t${Math.random().toString(36).slice(2, 10)}`;
    const from = this.messages.length;
    this.send({ ...msg, ref });
    return this.next((m) => m.ref === ref, `an answer to ${String(msg.type)}`, from);
  }

  /** Highest seq seen so far. */
  get lastSeq(): number {
    let last = 0;
    for (const m of this.messages) if (m.seq !== undefined && m.seq > last) last = m.seq;
    return last;
  }

  /** Cuts the TCP connection without a close frame: the server sees 1006. */
  cut(): void {
    this.ws.terminate();
  }

  close(): void {
    this.ws.close();
  }
}

export interface SdkOptions {
  name?: string;
  token?: string;
  transport?: 'udp' | 'ws';
  reconnect?: ReconnectOptions;
}

/** An SDK client whose WebSockets the test can cut, and whose reconnections it can hold back. */
export class SdkHandle {
  readonly sockets: WebSocket[] = [];
  /** While false, opening a WebSocket fails (the network is "down"). */
  online = true;
  client!: VoiceClient;

  static async connect(url: string, opts: SdkOptions): Promise<SdkHandle> {
    const h = new SdkHandle();
    h.client = await VoiceClient.connect({
      server: url,
      ...(opts.name === undefined ? {} : { name: opts.name }),
      ...(opts.token === undefined ? {} : { token: opts.token }),
      webSocket: (u) => {
        if (!h.online) throw new Error('network down (test)');
        const ws = new WebSocket(u);
        h.sockets.push(ws);
        return ws as unknown as WebSocketLike;
      },
      aead: createNodeAead,
      ...((opts.transport ?? 'udp') === 'udp' ? { udp: openUdpTransport } : {}),
      reconnect: opts.reconnect ?? { attempts: 200, delayMs: 25, maxDelayMs: 100 },
    });
    return h;
  }

  /** Cuts the current WebSocket abruptly (no close frame). */
  cut(): void {
    this.sockets.at(-1)?.terminate();
  }
}

/** Resolves with the next SDK event `name` of a client (matching `pred`). */
export function clientEvent<K extends keyof VoiceClientEvents>(
  client: VoiceClient,
  name: K,
  pred: (v: VoiceClientEvents[K]) => boolean = () => true,
): Promise<VoiceClientEvents[K]> {
  return nextEvent<VoiceClientEvents[K]>((fn) => client.on(name, fn), pred, String(name));
}

/** Resolves with the next `disconnected` of an SDK client. */
export function disconnectedOf(client: VoiceClient): Promise<DisconnectInfo> {
  return clientEvent(client, 'disconnected');
}

/** Resolves with the next server message of `type` an SDK client receives as an event (matching `pred`). */
export function serverEvent<T extends ServerMessage['type']>(
  client: VoiceClient,
  type: T,
  pred: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true,
): Promise<Extract<ServerMessage, { type: T }>> {
  return nextEvent<ServerMessage>(
    (fn) => client.onEvent(fn),
    (m) => m.type === type && pred(m as Extract<ServerMessage, { type: T }>),
    type,
  ) as Promise<Extract<ServerMessage, { type: T }>>;
}

/** What a presence batch may say about one member (docs/protocol.md §2.3.1). */
export type PresenceKind = 'joined' | 'changed' | 'left';

/**
 * The member a presence batch lists under `kind` (for `left`: a stub with
 * only the ssrc) matching `pred`. `changed` also looks in `joined`: a member
 * that came in and changed within one tick is listed once, in `joined`, with
 * its latest state.
 */
export function presenceEntry(
  m: PresenceMessage,
  kind: PresenceKind,
  pred: (member: Member | { ssrc: number }) => boolean,
): Member | { ssrc: number } | undefined {
  if (kind === 'left') return m.left.map((ssrc) => ({ ssrc })).find(pred);
  if (kind === 'changed') return m.changed.find(pred) ?? m.joined.find(pred);
  return m.joined.find(pred);
}

/**
 * Resolves with the next member an SDK client hears of in a `presence`
 * batch under `kind` (joined, changed, left) and matching `pred`.
 */
export async function presenceOf(
  client: VoiceClient,
  kind: 'joined' | 'changed',
  pred?: (member: Member) => boolean,
): Promise<Member>;
export async function presenceOf(
  client: VoiceClient,
  kind: 'left',
  pred?: (member: { ssrc: number }) => boolean,
): Promise<{ ssrc: number }>;
export async function presenceOf(
  client: VoiceClient,
  kind: PresenceKind,
  pred: (member: Member & { ssrc: number }) => boolean = () => true,
): Promise<Member | { ssrc: number }> {
  const m = await serverEvent(
    client,
    'presence',
    (p) => presenceEntry(p, kind, pred as (x: Member | { ssrc: number }) => boolean) !== undefined,
  );
  return presenceEntry(m, kind, pred as (x: Member | { ssrc: number }) => boolean)!;
}

/** A raw probe's message is a presence batch listing a member under `kind` that matches `pred`. */
export function isPresence(
  m: Json,
  kind: PresenceKind,
  pred: (member: Member | { ssrc: number }) => boolean = () => true,
): boolean {
  return m.type === 'presence' && presenceEntry(m as unknown as PresenceMessage, kind, pred) !== undefined;
}

/** A ping round trip: whatever the server sent this client before is in. */
export function flush(client: VoiceClient): Promise<unknown> {
  return client.control.request({ type: 'ping', t: 0 }, 'pong');
}

/** 40-byte fake Opus frames, distinct per index (the server never decodes them). */
export function frame(i: number): Uint8Array {
  const p = new Uint8Array(40);
  p.fill(i & 0xff);
  p[0] = 0xfc;
  p[1] = (i >> 8) & 0xff;
  p[2] = i & 0xff;
  return p;
}

/** Sends `n` frames from an SDK client, numbered from `start`. */
export function speak(client: VoiceClient, n: number, start = 0): void {
  for (let i = start; i < start + n; i++) client.sendPacket(client.sealAudio(frame(i), i * FRAME_SAMPLES));
}

/** Collects the audio an SDK client receives. */
export function hear(client: VoiceClient): { ssrc: number; index: number }[] {
  const got: { ssrc: number; index: number }[] = [];
  client.onAudio((p) => got.push({ ssrc: p.ssrc, index: ((p.payload[1] ?? 0) << 8) | (p.payload[2] ?? 0) }));
  return got;
}

/** Who a raw probe says hello as: a guest nickname, or an account's token. */
export type Who = { name: string } | { token: string };

/** A raw probe that said hello (and joined `channel`, when given). */
export interface ProbeSession {
  probe: WsProbe;
  welcome: Json;
  /** The session id (= ssrc). */
  ssrc: number;
}

export interface WsServerFixture {
  /** The running server (valid inside tests and hooks). */
  readonly t: TestServer;
  readonly server: ParleyServer;
  /** http://127.0.0.1:port */
  readonly url: string;
  /** The seeded `admin`, logged in. */
  readonly admin: Account;
  /** An SDK client (closed after the test), optionally joined to `channel`. */
  sdk: (opts: SdkOptions, channel?: string | number) => Promise<VoiceClient>;
  /** An SDK handle, for tests that cut its sockets (closed after the test). */
  handle: (opts: SdkOptions) => Promise<SdkHandle>;
  /** A raw JSON WebSocket (closed after the test); `who` says hello, `channel` joins. */
  probe(): Promise<WsProbe>;
  probe(who: Who, channel?: string | number): Promise<ProbeSession>;
}

export interface WsServerOptions {
  /** Server configuration on top of the test defaults. */
  overrides?: ConfigOverrides;
  /** One server for the whole `describe` (beforeAll) instead of one per test (beforeEach). */
  shared?: boolean;
}

/**
 * Registers the hooks of a WebSocket test: a real server (per test, or per
 * `describe` with `shared`) with `admin` logged in; every SDK client and
 * probe made through the fixture is closed after each test, then the
 * server after the test (or the `describe`).
 */
export function useWsServer(opts: WsServerOptions = {}): WsServerFixture {
  let t: TestServer | undefined;
  let admin: Account | undefined;
  const handles: SdkHandle[] = [];
  const probes: WsProbe[] = [];
  const started = (): TestServer => {
    if (t === undefined) throw new Error('useWsServer: no server outside a test');
    return t;
  };

  const start = async (): Promise<void> => {
    t = await startServer(opts.overrides);
    admin = await loginAdmin(t.server);
  };
  const stop = async (): Promise<void> => {
    const running = t;
    t = undefined;
    admin = undefined;
    await running?.close();
  };
  const release = (): void => {
    for (const h of handles.splice(0)) h.client.close();
    for (const p of probes.splice(0)) p.close();
  };

  if (opts.shared === true) {
    beforeAll(start);
    afterEach(release);
    afterAll(stop);
  } else {
    beforeEach(start);
    afterEach(async () => {
      release();
      await stop();
    });
  }

  async function handle(o: SdkOptions): Promise<SdkHandle> {
    const h = await SdkHandle.connect(started().info.url, o);
    handles.push(h);
    return h;
  }

  async function probe(): Promise<WsProbe>;
  async function probe(who: Who, channel?: string | number): Promise<ProbeSession>;
  async function probe(who?: Who, channel?: string | number): Promise<WsProbe | ProbeSession> {
    const p = await WsProbe.open(started().info.url);
    probes.push(p);
    if (who === undefined) return p;
    const welcome = await p.request({ type: 'hello', v: 1, ...who });
    if (welcome.type !== 'welcome') throw new Error(`hello refused: ${JSON.stringify(welcome)}`);
    if (channel !== undefined) {
      const joined = await p.request({ type: 'join', channel });
      if (joined.type !== 'joined') throw new Error(`join refused: ${JSON.stringify(joined)}`);
    }
    return { probe: p, welcome, ssrc: welcome.sessionId as number };
  }

  return {
    get t() {
      return started();
    },
    get server() {
      return started().server;
    },
    get url() {
      return started().info.url;
    },
    get admin() {
      if (admin === undefined) throw new Error('useWsServer: no admin outside a test');
      return admin;
    },
    sdk: async (o, channel) => {
      const h = await handle(o);
      if (channel !== undefined) await h.client.join(channel);
      return h.client;
    },
    handle,
    probe,
  };
}
