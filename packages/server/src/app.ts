import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import { ErrorCode, MAX_CONTROL_MESSAGE_BYTES } from '@parley/protocol';
import type { RawData, WebSocket } from 'ws';
import type { ParleyConfig } from './config.js';
import { openDatabase } from './db/database.js';
import { SettingsStore } from './db/settings.js';
import { Services } from './services/index.js';
import { ARGON2, PasswordWork, type PasswordHashing } from './services/password-work.js';
import { storesFor } from './services/context.js';
import { Hub } from './control/hub.js';
import { GuestAdmission } from './control/admission.js';
import { TurnBudget } from './control/turns.js';
import { CloseCode } from './control/close-codes.js';
import { ControlLink, type ControlSocket } from './control/link.js';
import { SessionRegistry } from './control/registry.js';
import type { ControlSession } from './control/session.js';
import { frameworkProblem, installProblemHandlers, sendProblem } from './http/problem.js';
import { originAllowed } from './http/origin.js';
import { registerSecurity } from './http/security.js';
import { httpsOptions, urlScheme } from './http/tls.js';
import { ConnectionLimiter, httpServerTimeouts, type EdgeCounters } from './http/connections.js';
import { registerRoutes } from './http/routes.js';
import { findWebApp, isAppRoute, registerWebApp, sendAppShell } from './http/web.js';
import { MediaPlane } from './media/plane.js';
import { udpBufferShortfall } from './media/udp-shell.js';

export const SERVER_VERSION = '0.1.0';
export const DEFAULT_CHANNEL = 'Lobby';

export interface ListenInfo {
  host: string;
  httpPort: number;
  udpPort: number;
  /** Base URL for clients, e.g. http://127.0.0.1:8710 */
  url: string;
}

export interface ParleyServer {
  readonly app: FastifyInstance;
  readonly plane: MediaPlane;
  readonly hub: Hub;
  readonly services: Services;
  readonly config: ParleyConfig;
  /** Open TCP connections and what the edge refused (http.* limits). */
  readonly edge: Readonly<EdgeCounters>;
  /** Binds HTTP/WebSocket and UDP; resolves with the ports actually bound. */
  listen(): Promise<ListenInfo>;
  /** Closes sockets, sessions and the database; idempotent. */
  close(): Promise<void>;
}

export interface BuildOptions {
  /** Pino logger options or false; defaults to the config's log level. */
  logger?: boolean | { level: string; stream?: { write(line: string): void } };
  now?: () => number;
  /** The password hash function (argon2id by default); tests inject one that counts. */
  passwordHashing?: PasswordHashing;
  /**
   * The built web app (apps/web/dist) to serve at `/`; absent or not built:
   * no app (`/` is a 404, said once in the log). `main` passes the repository's.
   */
  webDir?: string;
  /**
   * The first start created `admin` with a generated password: told here
   * instead of the log (whose level may hide it, and which travels to log
   * stores). `main` prints it on stderr, where the person starting the
   * server sees it. Absent: the log's warning carries it.
   */
  onAdminCreated?: (password: string) => void;
}

/** Builds a Parley server from a validated config; `listen()` starts it. */
export async function buildServer(config: ParleyConfig, opts: BuildOptions = {}): Promise<ParleyServer> {
  const now = opts.now ?? (() => performance.now());
  const tls = httpsOptions(config); // before anything is opened: a bad certificate stops here
  const { db } = await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  const stores = storesFor(db);
  await stores.channels.ensure([DEFAULT_CHANNEL, ...config.channels]);
  const settings = new SettingsStore(db, {
    allowGuests: config.auth.allowGuests,
    allowRegistration: config.auth.allowRegistration,
    defaultBitrate: 32000,
    frameMs: config.media.frameMs,
    maxUsersPerChannel: 0,
  });
  await settings.load();

  const plane = new MediaPlane({ media: config.media, now });
  const turns = new TurnBudget(config.control.sliceMs, now);
  const hub = new Hub(plane, stores.channels, config.control, turns);
  await hub.refreshChannels();

  // Slow clients (slow-loris headers or bodies, idle keep-alives) are timed out by Node's HTTP server.
  const timeouts = httpServerTimeouts(config.http);
  const app = Fastify({
    logger: opts.logger ?? (config.logLevel === 'silent' ? false : { level: config.logLevel }),
    bodyLimit: 64 * 1024,
    requestTimeout: timeouts.requestTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeout,
    http: timeouts.http,
    ...(tls.https === undefined ? {} : { https: { ...tls.https, ...timeouts.http } }),
    trustProxy: config.trustProxy,
    // A malformed URL (`/api/v1/users/%`) is refused before routing: problem+json too.
    frameworkErrors: frameworkProblem,
  });
  app.server.headersTimeout = timeouts.http.headersTimeout;
  const edge = new ConnectionLimiter(config.http);
  edge.attach(app.server);
  const services = new Services({
    db,
    stores,
    hub,
    settings,
    config,
    log: app.log,
    passwords: new PasswordWork(opts.passwordHashing ?? ARGON2, {
      concurrency: config.auth.passwordHashConcurrency,
      queue: config.auth.passwordHashQueue,
    }),
    defaultChannel: DEFAULT_CHANNEL,
  });
  const boot = await services.auth.bootstrap();
  if (boot?.generatedPassword != null) {
    const told = opts.onAdminCreated;
    if (told !== undefined) {
      // Shown where the caller shows it (`main`: stderr), and kept out of the log (logs travel).
      told(boot.generatedPassword);
      app.log.warn(
        { user: 'admin' },
        'first start: created the account "admin"; its password was shown once',
      );
    } else {
      app.log.warn(
        { user: 'admin', password: boot.generatedPassword },
        `first start: created the account "admin" with password ${boot.generatedPassword} — change it (PATCH /api/v1/auth/me); it is not shown again`,
      );
    }
  }
  const web = findWebApp(opts.webDir);
  installProblemHandlers(
    app,
    web === null
      ? undefined
      : (req, reply) => isAppRoute(req.method, req.url, req.headers.accept) && sendAppShell(req, reply),
  );
  await registerSecurity(app, config);
  await app.register(websocket, {
    options: { maxPayload: MAX_CONTROL_MESSAGE_BYTES },
    // An oversized or invalid frame (anyone can send one, before hello too) is the peer's
    // fault, not the server's: counted, logged at debug without a stack, the socket dropped.
    errorHandler: (error, socket, req) => {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('WS_ERR_')) edge.counters.badFrames++;
      // The server's logger: the /ws route's own logs only from warn up (no access log per upgrade).
      app.log.debug({ code, reason: error.message, ip: req.ip }, 'websocket error: connection dropped');
      socket.terminate();
    },
  });

  let udpPort = 0;
  /** Every control session, attached to a socket or detached (resumable). */
  const registry = new SessionRegistry<ControlSession>();
  /** Every open WebSocket. */
  const links = new Set<ControlLink>();
  const guests = new GuestAdmission(config.limits, now);
  // Moves (REST or WebSocket) and channel deletions put people in a channel and tell them.
  services.channels.placePeer = (peer, channel) => peer.moveTo(channel);

  // Web pages of other origins may not open the WebSocket (http/origin.ts); clients without Origin may.
  const wsOrigins = config.http.cors.origins;
  const checkOrigin = (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (originAllowed(req.headers.origin, req.headers.host, wsOrigins)) return done();
    edge.counters.refusedOrigin++;
    void sendProblem(
      reply,
      403,
      ErrorCode.Forbidden,
      'Forbidden',
      `origin ${req.headers.origin ?? ''} is not allowed: list it in http.cors.origins`,
    );
  };

  // The upgrade itself (the 101 answer, the socket's set-up) takes a fair turn
  // too: a crowd connecting at once is accepted a slice at a time, and the
  // voice of everyone else is forwarded in between.
  const fairUpgrade = (_req: FastifyRequest, _reply: FastifyReply, done: () => void): void =>
    void turns.take().then(done);

  // No access-log lines per upgrade (two synchronous writes each): a crowd
  // connecting would spend its turns logging. Sessions log what matters.
  const wsRoute = {
    websocket: true as const,
    logLevel: 'warn' as const,
    onRequest: [checkOrigin, fairUpgrade],
  };
  app.get('/ws', wsRoute, (ws: WebSocket, req) => {
    const socket: ControlSocket = {
      send: (data) => ws.send(data, { binary: true }),
      sendText: (text) => ws.send(text),
      close: (code, reason) => ws.close(code, reason),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
    };
    const link = new ControlLink(socket, {
      hub,
      services,
      registry,
      ip: req.ip,
      config,
      serverVersion: SERVER_VERSION,
      udpPort: () => udpPort,
      now,
      guests,
      turns,
    });
    links.add(link);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = toBytes(data);
      if (isBinary) link.onBinary(bytes);
      else link.onText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    });
    const gone = (code: number): void => {
      link.socketClosed(code);
      links.delete(link);
    };
    ws.on('close', (code: number) => gone(code));
    // A socket error is a broken connection: the session stays resumable (1006).
    ws.on('error', () => gone(1006));
  });

  await registerRoutes(app, {
    services,
    stores,
    settings,
    hub,
    config,
    version: SERVER_VERSION,
    edge: edge.counters,
    control: () => ({
      ...hub.controlStats,
      guestsRefusedServer: guests.refused.server,
      guestsRefusedAddress: guests.refused.address,
    }),
  });

  if (web !== null) await registerWebApp(app, web);
  else if (opts.webDir !== undefined) {
    app.log.warn(
      { webDir: opts.webDir },
      `web app not built (no ${opts.webDir}/index.html): / answers 404 — run npm run build to build it`,
    );
  }

  let closed = false;
  return {
    app,
    plane,
    hub,
    services,
    config,
    edge: edge.counters,
    async listen() {
      udpPort = await plane.listenUdp(config.host, config.udpPort);
      const shortfall = udpBufferShortfall(plane.udpBufferBytes());
      if (shortfall !== null) app.log.warn(shortfall.details, shortfall.message);
      await app.listen({ host: config.host, port: config.httpPort });
      const addr = app.server.address();
      const httpPort = typeof addr === 'object' && addr !== null ? addr.port : config.httpPort;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      return { host: config.host, httpPort, udpPort, url: `${urlScheme(config)}://${host}:${httpPort}` };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const l of links) l.close(CloseCode.GoingAway, 'server shutting down');
      links.clear();
      for (const s of registry.all()) s.close();
      hub.close();
      await app.close();
      await plane.close();
      await db.destroy();
    },
  };
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
