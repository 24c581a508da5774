/**
 * Server configuration: one validated, frozen object built in `main` from
 * defaults ← config file ← environment (`PARLEY_*`) ← command-line flags.
 * Nothing below `main` reads `process.env`. Every option is listed in
 * docs/config.md.
 */
import { accessSync, constants as fsConstants, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });

export const ConfigSchema = Type.Object(
  {
    /** Interface to listen on, for HTTP/WebSocket and UDP. */
    host: Type.String({ minLength: 1 }),
    /** TCP port for HTTP + WebSocket; 0 = any free port. */
    httpPort: Port,
    /** UDP port for voice; 0 = any free port. */
    udpPort: Port,
    /** Directory for the SQLite database and other state. */
    dataDir: Type.String({ minLength: 1 }),
    /** `postgres://…`: use PostgreSQL instead of the embedded SQLite in dataDir. */
    databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
    /** Channels that exist at start, besides "Lobby". */
    channels: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 }),
    logLevel: Type.Union([
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ]),
    /** HTTPS + WSS on the HTTP port: both files (PEM) or neither (plain HTTP, e.g. behind a TLS proxy). */
    tls: Type.Object(
      {
        /** Certificate chain, e.g. Let's Encrypt `fullchain.pem`. */
        certFile: Type.Optional(Type.String({ minLength: 1 })),
        /** Private key of that certificate, unencrypted, e.g. `privkey.pem`. */
        keyFile: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    /** Reverse proxies whose `X-Forwarded-For` names the client: none, any, or these addresses / CIDRs. */
    trustProxy: Type.Union([Type.Boolean(), Type.Array(Type.String({ minLength: 1 }), { maxItems: 100 })]),
    http: Type.Object(
      {
        cors: Type.Object(
          {
            /** Other origins whose pages may call the API (`https://host[:port]`, or `*`); [] = same-origin only. */
            origins: Type.Array(Type.String({ minLength: 1 }), { maxItems: 100 }),
          },
          { additionalProperties: false },
        ),
        /** Security headers (CSP, HSTS, nosniff, …) on every HTTP answer. */
        securityHeaders: Type.Boolean(),
        /** Time a client has to send a request's headers (slow-loris); 0 = none. */
        headersTimeoutMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
        /** Time a client has to send a whole request, body included; 0 = none. */
        requestTimeoutMs: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
        /** An idle keep-alive connection is closed after this long. */
        keepAliveTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
        /** How often the server looks for connections past those timeouts. */
        timeoutCheckMs: Type.Integer({ minimum: 10, maximum: 60_000 }),
        /** Open TCP connections (HTTP and WebSocket) at most, server-wide. */
        maxConnections: Type.Integer({ minimum: 1 }),
        /** Open TCP connections at most from one client address (the socket's peer). */
        maxConnectionsPerAddress: Type.Integer({ minimum: 1 }),
        /** Addresses / CIDRs the per-address cap does not apply to (a local reverse proxy, local bots). */
        connectionCapExempt: Type.Array(Type.String({ minLength: 1 }), { maxItems: 100 }),
      },
      { additionalProperties: false },
    ),
    media: Type.Object(
      {
        /** Largest media packet accepted (bytes, header + sealed payload). */
        maxPacketSize: Type.Integer({ minimum: 28, maximum: 1400 }),
        /** Sustained media packets per second per session (all types). */
        maxPacketsPerSecond: Type.Integer({ minimum: 10, maximum: 10000 }),
        /** Burst allowance in packets above the sustained rate. */
        burstPackets: Type.Integer({ minimum: 1, maximum: 10000 }),
        /** Frame duration announced to clients. */
        frameMs: Type.Union([Type.Literal(10), Type.Literal(20), Type.Literal(40), Type.Literal(60)]),
        /** A WebSocket listener whose send buffer exceeds this is skipped (counted). */
        wsMaxBufferedBytes: Type.Integer({ minimum: 1024 }),
        /** Silence after which a speaker is reported as not speaking. */
        speakingHoldMs: Type.Integer({ minimum: 50, maximum: 5000 }),
        /** UDP HELLOs per second from one source address that is not its session's validated one, before any crypto. */
        sourcePacketsPerSecond: Type.Integer({ minimum: 1, maximum: 10000 }),
        /** Burst above that rate, per source address. */
        sourceBurstPackets: Type.Integer({ minimum: 1, maximum: 10000 }),
        /** Source addresses tracked at most; beyond, new ones share one bucket of 10 × sourcePacketsPerSecond. */
        maxSources: Type.Integer({ minimum: 16, maximum: 1_000_000 }),
      },
      { additionalProperties: false },
    ),
    auth: Type.Object(
      {
        /** Nickname-only guests may connect (least rights). */
        allowGuests: Type.Boolean(),
        /** Anyone may create an account with POST /api/v1/auth/register. */
        allowRegistration: Type.Boolean(),
        /** Password of the `admin` account created on first start; generated and logged once when absent. */
        adminPassword: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
        /** Lifetime of a login token. */
        tokenTtlHours: Type.Integer({ minimum: 1, maximum: 24 * 365 }),
        /** Login attempts per minute per client address. */
        loginPerMinute: Type.Integer({ minimum: 1 }),
        /** Password attempts per minute per account (login, and the current password of PATCH /auth/me). */
        loginPerAccountPerMinute: Type.Integer({ minimum: 1 }),
        /** How long a disconnected WebSocket session may be resumed, with the events it missed. */
        resumeGraceMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
        /** Channel password checks per minute per client address (IPv6: per /64). */
        channelPasswordPerMinute: Type.Integer({ minimum: 1 }),
        /** Wrong channel passwords per minute per channel, from all addresses together. */
        channelPasswordFailuresPerMinute: Type.Integer({ minimum: 1 }),
        /** Addresses (and channels) whose attempts are tracked at most; the oldest are forgotten first. */
        attemptTrackedKeys: Type.Integer({ minimum: 100, maximum: 1_000_000 }),
        /** Password hashes / verifications (argon2id) running at once, server-wide. */
        passwordHashConcurrency: Type.Integer({ minimum: 1, maximum: 64 }),
        /** Password checks waiting for a slot at most (per lane: accounts, channels); beyond, PARLEY_ERR_BUSY. */
        passwordHashQueue: Type.Integer({ minimum: 0, maximum: 10_000 }),
      },
      { additionalProperties: false },
    ),
    limits: Type.Object(
      {
        /** Connected control sessions at most. */
        maxSessions: Type.Integer({ minimum: 1 }),
        /** Time a new WebSocket has to send `hello`. */
        helloTimeoutMs: Type.Integer({ minimum: 100 }),
        /** Control messages per second per session (sustained; burst = 2×). */
        controlMessagesPerSecond: Type.Integer({ minimum: 1 }),
        /** New guest sessions per second, server-wide (burst 2×). */
        guestsPerSecond: Type.Integer({ minimum: 1 }),
        /** New guest sessions per minute per client address (burst the same). */
        guestsPerAddressPerMinute: Type.Integer({ minimum: 1 }),
        /** Addresses the per-address guest limit does not apply to (local bots, load tests). */
        exemptAddresses: Type.Array(Type.String({ minLength: 1 }), { maxItems: 100 }),
      },
      { additionalProperties: false },
    ),
    /** The control plane's presence batching and backpressure (docs/protocol.md §2.3.1–2.3.3). */
    control: Type.Object(
      {
        /** Presence changes go out as one batch per channel per tick of this length. */
        presenceTickMs: Type.Integer({ minimum: 10, maximum: 1000 }),
        /** Entries in one presence batch at most; the rest waits for the next tick. */
        presenceBatchMax: Type.Integer({ minimum: 1, maximum: 10_000 }),
        /** Entries × members per channel per tick at most: batches to large channels hold fewer entries. */
        presenceCopiesPerTick: Type.Integer({ minimum: 1 }),
        /** Members listed in `joined`, and the default page of `members`. */
        memberPageSize: Type.Integer({ minimum: 1, maximum: 200 }),
        /** A control socket with more bytes than this waiting to be sent is closed (4008, too slow). */
        maxBufferedBytes: Type.Integer({ minimum: 16 * 1024 }),
        /** Control messages are handled for at most this long per event-loop turn, then media and timers run. */
        sliceMs: Type.Integer({ minimum: 1, maximum: 1000 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type ParleyConfig = Readonly<Static<typeof ConfigSchema>>;

/** Defaults: what `npm start` uses on a fresh machine. */
export const DEFAULT_CONFIG: Static<typeof ConfigSchema> = {
  host: '127.0.0.1',
  httpPort: 8710,
  udpPort: 8710,
  dataDir: './data',
  channels: [],
  logLevel: 'info',
  tls: {},
  trustProxy: false,
  http: {
    cors: { origins: [] },
    securityHeaders: true,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
    timeoutCheckMs: 1_000,
    maxConnections: 10_000,
    maxConnectionsPerAddress: 64,
    connectionCapExempt: ['127.0.0.1', '::1'],
  },
  media: {
    maxPacketSize: 1200,
    maxPacketsPerSecond: 150,
    burstPackets: 100,
    frameMs: 20,
    wsMaxBufferedBytes: 256 * 1024,
    speakingHoldMs: 300,
    sourcePacketsPerSecond: 20,
    sourceBurstPackets: 40,
    maxSources: 4096,
  },
  auth: {
    allowGuests: true,
    allowRegistration: true,
    tokenTtlHours: 24 * 30,
    loginPerMinute: 10,
    loginPerAccountPerMinute: 10,
    resumeGraceMs: 30_000,
    channelPasswordPerMinute: 10,
    channelPasswordFailuresPerMinute: 30,
    attemptTrackedKeys: 10_000,
    passwordHashConcurrency: 2,
    passwordHashQueue: 32,
  },
  limits: {
    maxSessions: 5000,
    helloTimeoutMs: 10_000,
    controlMessagesPerSecond: 20,
    guestsPerSecond: 200,
    guestsPerAddressPerMinute: 30,
    exemptAddresses: ['127.0.0.1', '::1', '::ffff:127.0.0.1'],
  },
  control: {
    presenceTickMs: 50,
    presenceBatchMax: 100,
    presenceCopiesPerTick: 10_000,
    memberPageSize: 100,
    maxBufferedBytes: 1024 * 1024,
    sliceMs: 5,
  },
};

const checker = TypeCompiler.Compile(ConfigSchema);

/** A configuration problem: the message names the option and the source. */
export class ConfigError extends Error {
  readonly code = 'PARLEY_ERR_CONFIG';
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : DeepPartial<T[K]> };
export type ConfigOverrides = DeepPartial<Static<typeof ConfigSchema>>;

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] =
      v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object'
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Validates a full configuration object and freezes it. */
export function finalizeConfig(...layers: ConfigOverrides[]): ParleyConfig {
  let merged: Record<string, unknown> = structuredClone(DEFAULT_CONFIG);
  for (const layer of layers) merged = merge(merged, layer);
  if (!checker.Check(merged)) {
    const first = checker.Errors(merged).First();
    const where = first ? first.path.replace(/^\//, '').replace(/\//g, '.') || '(root)' : '(root)';
    throw new ConfigError(`invalid configuration: ${where}: ${first?.message ?? 'invalid'}`);
  }
  checkBeyondSchema(merged);
  return deepFreeze(merged);
}

/** What the schema cannot say: TLS files both-or-neither and readable, proxy addresses, CORS origins. */
function checkBeyondSchema(c: Static<typeof ConfigSchema>): void {
  const bad = (where: string, why: string): ConfigError =>
    new ConfigError(`invalid configuration: ${where}: ${why}`);
  const { certFile, keyFile } = c.tls;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw bad(
      certFile === undefined ? 'tls.certFile' : 'tls.keyFile',
      'TLS needs both tls.certFile (--tls-cert, PARLEY_TLS_CERT) and tls.keyFile (--tls-key, PARLEY_TLS_KEY), or neither',
    );
  }
  for (const [where, file] of [
    ['tls.certFile', certFile],
    ['tls.keyFile', keyFile],
  ] as const) {
    if (file === undefined) continue;
    try {
      accessSync(file, fsConstants.R_OK);
      if (!statSync(file).isFile()) throw new Error('not a regular file');
    } catch (err) {
      throw bad(where, `cannot read ${file}: ${(err as Error).message}`);
    }
  }
  if (Array.isArray(c.trustProxy)) {
    for (const a of c.trustProxy) {
      if (!isProxyAddress(a)) {
        throw bad(
          'trustProxy',
          `"${a}" is not an IP address, a CIDR (10.0.0.0/8) or loopback|linklocal|uniquelocal`,
        );
      }
    }
  }
  const { headersTimeoutMs, requestTimeoutMs } = c.http;
  if (requestTimeoutMs > 0 && (headersTimeoutMs === 0 || headersTimeoutMs > requestTimeoutMs)) {
    throw bad('http.headersTimeoutMs', 'must be between 1 and http.requestTimeoutMs when that is not 0');
  }
  for (const a of c.http.connectionCapExempt) {
    if (!isProxyAddress(a) || /[a-z]$/.test(a)) {
      throw bad('http.connectionCapExempt', `"${a}" is not an IP address or a CIDR (10.0.0.0/8)`);
    }
  }
  for (const o of c.http.cors.origins) {
    if (!isOrigin(o)) {
      throw bad('http.cors.origins', `"${o}" is not an origin: scheme://host[:port] without a path, or *`);
    }
  }
}

/** An address, a CIDR or a range name, as Fastify's `trustProxy` (proxy-addr) takes them. */
function isProxyAddress(s: string): boolean {
  if (s === 'loopback' || s === 'linklocal' || s === 'uniquelocal') return true;
  const [ip = '', bits, ...rest] = s.split('/');
  const family = isIP(ip);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

function isOrigin(s: string): boolean {
  if (s === '*') return true;
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s;
  } catch {
    return false;
  }
}

function intFrom(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/** `true`, `false`, or a comma-separated list of proxy addresses / CIDRs. */
function trustProxyFrom(raw: string | undefined): boolean | string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (raw.trim() === 'true') return true;
  if (raw.trim() === 'false') return false;
  return listFrom(raw);
}

function listFrom(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Reads the `PARLEY_*` variables of an environment (passed in, never global). */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): ConfigOverrides {
  const channels = env.PARLEY_CHANNELS?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const out: ConfigOverrides = {};
  if (env.PARLEY_HOST) out.host = env.PARLEY_HOST;
  const hp = intFrom('PARLEY_HTTP_PORT', env.PARLEY_HTTP_PORT);
  if (hp !== undefined) out.httpPort = hp;
  const up = intFrom('PARLEY_UDP_PORT', env.PARLEY_UDP_PORT);
  if (up !== undefined) out.udpPort = up;
  if (env.PARLEY_DATA_DIR) out.dataDir = env.PARLEY_DATA_DIR;
  if (env.PARLEY_DATABASE_URL) out.databaseUrl = env.PARLEY_DATABASE_URL;
  if (channels && channels.length > 0) out.channels = channels;
  if (env.PARLEY_LOG_LEVEL) out.logLevel = env.PARLEY_LOG_LEVEL as ParleyConfig['logLevel'];
  if (env.PARLEY_TLS_CERT) out.tls = { certFile: env.PARLEY_TLS_CERT };
  if (env.PARLEY_TLS_KEY) out.tls = { ...out.tls, keyFile: env.PARLEY_TLS_KEY };
  const tp = trustProxyFrom(env.PARLEY_TRUST_PROXY);
  if (tp !== undefined) out.trustProxy = tp;
  if (env.PARLEY_CORS_ORIGINS) out.http = { cors: { origins: listFrom(env.PARLEY_CORS_ORIGINS) } };
  if (env.PARLEY_ADMIN_PASSWORD) out.auth = { adminPassword: env.PARLEY_ADMIN_PASSWORD };
  if (env.PARLEY_ALLOW_GUESTS) {
    out.auth = {
      ...out.auth,
      allowGuests: env.PARLEY_ALLOW_GUESTS !== 'false' && env.PARLEY_ALLOW_GUESTS !== '0',
    };
  }
  return out;
}

/** Reads a JSON config file. */
export function configFromFile(path: string): ConfigOverrides {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as ConfigOverrides;
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

export interface ParsedFlags {
  overrides: ConfigOverrides;
  configFile: string | undefined;
  help: boolean;
}

/** Parses command-line flags; unknown flags are an error. */
export function configFromArgv(argv: readonly string[]): ParsedFlags {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        host: { type: 'string' },
        'http-port': { type: 'string' },
        'udp-port': { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        channel: { type: 'string', multiple: true },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'trust-proxy': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const v = parsed.values;
  const overrides: ConfigOverrides = {};
  if (v.host !== undefined) overrides.host = v.host;
  const hp = intFrom('--http-port', v['http-port']);
  if (hp !== undefined) overrides.httpPort = hp;
  const up = intFrom('--udp-port', v['udp-port']);
  if (up !== undefined) overrides.udpPort = up;
  if (v['data-dir'] !== undefined) overrides.dataDir = v['data-dir'];
  if (v['database-url'] !== undefined) overrides.databaseUrl = v['database-url'];
  if (v.channel !== undefined) overrides.channels = v.channel;
  if (v['log-level'] !== undefined) overrides.logLevel = v['log-level'] as ParleyConfig['logLevel'];
  if (v['tls-cert'] !== undefined) overrides.tls = { certFile: v['tls-cert'] };
  if (v['tls-key'] !== undefined) overrides.tls = { ...overrides.tls, keyFile: v['tls-key'] };
  const tp = trustProxyFrom(v['trust-proxy']);
  if (tp !== undefined) overrides.trustProxy = tp;
  return { overrides, configFile: v.config, help: v.help === true };
}

/** defaults ← file ← env ← flags, validated and frozen. */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): { config: ParleyConfig; help: boolean } {
  const flags = configFromArgv(argv);
  const file = flags.configFile ?? env.PARLEY_CONFIG;
  const fileLayer = file ? configFromFile(resolve(cwd, file)) : {};
  const envLayer = configFromEnv(env);
  // TLS files, like dataDir, are relative to the working directory.
  const tlsFiles: { certFile?: unknown; keyFile?: unknown } = {
    ...fileLayer.tls,
    ...envLayer.tls,
    ...flags.overrides.tls,
  };
  const tlsLayer: ConfigOverrides = { tls: {} };
  for (const k of ['certFile', 'keyFile'] as const) {
    const f = tlsFiles[k];
    if (typeof f === 'string' && f !== '') tlsLayer.tls = { ...tlsLayer.tls, [k]: resolve(cwd, f) };
  }
  const config = finalizeConfig(fileLayer, envLayer, flags.overrides, tlsLayer);
  // Channels from every layer add up: a flag adds to the file's list.
  const channels = [
    ...new Set([
      ...(fileLayer.channels ?? []),
      ...(envLayer.channels ?? []),
      ...(flags.overrides.channels ?? []),
    ]),
  ];
  return {
    config: finalizeConfig({ ...config, channels, dataDir: resolve(cwd, config.dataDir) }),
    help: flags.help,
  };
}

export const HELP = `Usage: parley-server [options]   (npm start -- [options])

  --host HOST          interface to listen on (default 127.0.0.1)
  --http-port PORT     HTTP + WebSocket port, 0 = any free (default 8710)
  --udp-port PORT      UDP voice port, 0 = any free (default 8710)
  --data-dir DIR       where the SQLite database lives (default ./data)
  --database-url URL   postgres://user:pass@host/db: PostgreSQL instead of SQLite
  --channel NAME       a channel that exists at start (repeatable)
  --config FILE        JSON config file (see docs/config.md)
  --log-level LEVEL    fatal|error|warn|info|debug|trace|silent (default info)
  --tls-cert FILE      PEM certificate (chain): serve HTTPS + WSS (with --tls-key)
  --tls-key FILE       PEM private key of --tls-cert
  --trust-proxy VALUE  reverse proxies whose X-Forwarded-For counts: true, or a
                       comma list of addresses / CIDRs (default: none)
  -h, --help           this help

Every option also reads from PARLEY_* environment variables; see docs/config.md.
`;
