/** Options of a load test, their defaults and their bounds (absurd values are refused). */
import { UsageError } from '../cli/usage-error.js';

export interface LoadTestOptions {
  /** Server base URL, e.g. http://127.0.0.1:8710 */
  server: string;
  /** Simulated participants (guests). */
  clients: number;
  /** Temporary channels they are spread over (round robin). */
  channels: number;
  /** Participants of each channel that speak (the first ones to join it); the others listen. */
  speakersPerChannel: number;
  /** Length of the measured window. */
  seconds: number;
  /** Media over UDP (default) or the control WebSocket. */
  transport?: 'udp' | 'ws';
  /** Joins are spread over this many seconds (default 0: as fast as `joinConcurrency` allows). */
  rampSeconds?: number;
  /** Send UDP media here instead of the server's voice port (an impairment proxy). */
  udpTarget?: { host: string; port: number };
  /** Admin login token, for the server's figures (GET /api/v1/metrics). */
  token?: string;
  /** Or the `admin` account's password: the run logs in (POST /api/v1/auth/login). */
  adminPassword?: string;
  /** Joins in flight at most (default 32). */
  joinConcurrency?: number;
  /** Guest nicknames are `${namePrefix}${index}` (default `lt-`). */
  namePrefix?: string;
  /** Time series resolution (default 1000 ms). */
  sampleMs?: number;
}

export type ResolvedOptions = Required<Omit<LoadTestOptions, 'udpTarget' | 'token' | 'adminPassword'>> &
  Pick<LoadTestOptions, 'udpTarget' | 'token' | 'adminPassword'>;

export const LIMITS = {
  clients: [1, 10_000],
  channels: [1, 1_000],
  speakersPerChannel: [1, 100],
  seconds: [1, 3_600],
  rampSeconds: [0, 600],
  joinConcurrency: [1, 1_000],
  sampleMs: [100, 60_000],
} as const;

export const DEFAULTS = {
  server: 'http://127.0.0.1:8710',
  clients: 100,
  channels: 10,
  speakersPerChannel: 1,
  seconds: 10,
  transport: 'udp',
  rampSeconds: 0,
  joinConcurrency: 32,
  namePrefix: 'lt-',
  sampleMs: 1000,
} as const;

/** A value outside its bounds or an inconsistent combination (PARLEY_ERR_USAGE); the CLI exits with 2. */
export class LoadTestOptionError extends UsageError {}

function bounded(name: string, flag: string, v: number, integer: boolean): number {
  const [min, max] = LIMITS[name as keyof typeof LIMITS];
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)))
    throw new LoadTestOptionError(
      `--${flag} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(v)}`,
    );
  return v;
}

/** Fills in defaults and checks every value; throws LoadTestOptionError. */
export function resolveOptions(o: LoadTestOptions): ResolvedOptions {
  let url: URL;
  try {
    url = new URL(o.server);
  } catch {
    throw new LoadTestOptionError(`--server must be a URL like http://HOST:PORT, got "${o.server}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new LoadTestOptionError(`--server must be http:// or https://, got "${o.server}"`);
  const transport = o.transport ?? DEFAULTS.transport;
  if (transport !== 'udp' && transport !== 'ws')
    throw new LoadTestOptionError(`--transport must be udp or ws, got "${String(transport)}"`);
  const clients = bounded('clients', 'clients', o.clients, true);
  const channels = bounded('channels', 'channels', o.channels, true);
  const speakersPerChannel = bounded(
    'speakersPerChannel',
    'speakers-per-channel',
    o.speakersPerChannel,
    true,
  );
  if (channels > clients)
    throw new LoadTestOptionError(`--channels (${channels}) cannot exceed --clients (${clients})`);
  const smallest = Math.floor(clients / channels);
  if (speakersPerChannel > smallest)
    throw new LoadTestOptionError(
      `--speakers-per-channel (${speakersPerChannel}) cannot exceed the participants of a channel (${smallest} with ${clients} clients in ${channels} channels)`,
    );
  if (o.udpTarget !== undefined) {
    if (transport !== 'udp') throw new LoadTestOptionError('--udp-via needs --transport udp');
    const { host, port } = o.udpTarget;
    if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535)
      throw new LoadTestOptionError(`--udp-via must be HOST:PORT, got ${host}:${port}`);
  }
  const prefix = o.namePrefix ?? DEFAULTS.namePrefix;
  if (prefix.length > 20) throw new LoadTestOptionError('namePrefix is at most 20 characters');
  return {
    server: url.toString(),
    clients,
    channels,
    speakersPerChannel,
    seconds: bounded('seconds', 'seconds', o.seconds, false),
    transport,
    rampSeconds: bounded('rampSeconds', 'ramp', o.rampSeconds ?? DEFAULTS.rampSeconds, false),
    joinConcurrency: bounded(
      'joinConcurrency',
      'concurrency',
      o.joinConcurrency ?? DEFAULTS.joinConcurrency,
      true,
    ),
    namePrefix: prefix,
    sampleMs: bounded('sampleMs', 'sample-ms', o.sampleMs ?? DEFAULTS.sampleMs, true),
    ...(o.udpTarget === undefined ? {} : { udpTarget: o.udpTarget }),
    ...(o.token === undefined || o.token === '' ? {} : { token: o.token }),
    ...(o.adminPassword === undefined || o.adminPassword === '' ? {} : { adminPassword: o.adminPassword }),
  };
}
