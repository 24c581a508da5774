/**
 * Server configuration: one validated, frozen object built in `main` from
 * defaults ← config file ← environment (`PARLEY_*`) ← command-line flags.
 * Nothing below `main` reads `process.env`. Every option is listed in
 * docs/config.md.
 */
import { readFileSync } from 'node:fs';
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
  media: {
    maxPacketSize: 1200,
    maxPacketsPerSecond: 150,
    burstPackets: 100,
    frameMs: 20,
    wsMaxBufferedBytes: 256 * 1024,
    speakingHoldMs: 300,
  },
  limits: {
    maxSessions: 5000,
    helloTimeoutMs: 10_000,
    controlMessagesPerSecond: 20,
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
  return deepFreeze(merged);
}

function intFrom(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
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
  if (channels && channels.length > 0) out.channels = channels;
  if (env.PARLEY_LOG_LEVEL) out.logLevel = env.PARLEY_LOG_LEVEL as ParleyConfig['logLevel'];
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
        channel: { type: 'string', multiple: true },
        config: { type: 'string' },
        'log-level': { type: 'string' },
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
  if (v.channel !== undefined) overrides.channels = v.channel;
  if (v['log-level'] !== undefined) overrides.logLevel = v['log-level'] as ParleyConfig['logLevel'];
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
  const config = finalizeConfig(fileLayer, envLayer, flags.overrides);
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
  --channel NAME       a channel that exists at start (repeatable)
  --config FILE        JSON config file (see docs/config.md)
  --log-level LEVEL    fatal|error|warn|info|debug|trace|silent (default info)
  -h, --help           this help

Every option also reads from PARLEY_* environment variables; see docs/config.md.
`;
