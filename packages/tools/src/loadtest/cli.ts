/**
 * `parley loadtest`: runs `runLoadTest` from the command line. The report
 * goes to stdout (a table, or exactly one JSON object with --json), progress
 * to stderr (a bar on a terminal, else a status line every few seconds),
 * and --html FILE writes a self-contained page with charts.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isUsageError } from '../cli/usage-error.js';
import { renderHtml } from './html.js';
import { DEFAULTS, LIMITS, LoadTestOptionError, type LoadTestOptions } from './options.js';
import { formatTable } from './report.js';
import { runLoadTest, type LoadProgress } from './run.js';

export const LOADTEST_USAGE = `Usage:
  parley loadtest [--server URL] [--clients N] [--channels N] [--speakers-per-channel N] [--seconds N]
                  [--transport udp|ws] [--ramp SECONDS] [--udp-via HOST:PORT]
                  [--token TOKEN | --admin-password PASSWORD] [--json] [--html FILE]

  Simulated participants join as guests, spread over temporary channels; the
  first --speakers-per-channel of each channel speak (pre-encoded Opus on one
  20 ms clock), every participant pings once a second. After --seconds the
  run reports loss, jitter, RTT, packets/s and, with an admin token, the
  server's forwarding time, CPU and memory (GET /api/v1/metrics).

  --server URL               Parley server (default ${DEFAULTS.server})
  --clients N                participants (default ${DEFAULTS.clients}, at most ${LIMITS.clients[1]})
  --channels N               channels they are spread over (default ${DEFAULTS.channels})
  --speakers-per-channel N   speakers in each channel (default ${DEFAULTS.speakersPerChannel})
  --seconds N                measured time, after everyone has joined (default ${DEFAULTS.seconds}, at most ${LIMITS.seconds[1]})
  --transport T              media over udp (default) or ws
  --ramp SECONDS             spread the joins over this time (default 0: ${DEFAULTS.joinConcurrency} at a time)
  --udp-via HOST:PORT        send UDP media there instead (e.g. \`parley netem\` in front of the server)
  --token TOKEN              an admin's token, for the server's figures; default $PARLEY_TOKEN
  --admin-password PASSWORD  or log in as admin; default $PARLEY_ADMIN_PASSWORD
  --json                     print the report as one JSON object on stdout, nothing else
  --html FILE                also write the report as an HTML page with charts
`;

const options = {
  server: { type: 'string', default: DEFAULTS.server },
  clients: { type: 'string' },
  channels: { type: 'string' },
  'speakers-per-channel': { type: 'string' },
  seconds: { type: 'string' },
  transport: { type: 'string', default: DEFAULTS.transport },
  ramp: { type: 'string' },
  'udp-via': { type: 'string' },
  token: { type: 'string' },
  'admin-password': { type: 'string' },
  json: { type: 'boolean', default: false },
  html: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Io = { out: NodeJS.WritableStream; err: NodeJS.WritableStream & { isTTY?: boolean } };

function num(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n)) throw new LoadTestOptionError(`--${flag} must be a number, got "${raw}"`);
  return n;
}

function hostPort(raw: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(raw);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (m === null || host === undefined || port < 1 || port > 65535)
    throw new LoadTestOptionError(`--udp-via must be HOST:PORT, got "${raw}"`);
  return { host, port };
}

/** Parses the flags into runLoadTest options (exported for tests); throws LoadTestOptionError. */
export function parseLoadtestArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): { options: LoadTestOptions; json: boolean; html: string | undefined; help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new LoadTestOptionError((err as Error).message);
  }
  const transport = values.transport;
  if (transport !== 'udp' && transport !== 'ws')
    throw new LoadTestOptionError(`--transport must be udp or ws, got "${transport}"`);
  const token = values.token ?? (env.PARLEY_TOKEN || undefined);
  const adminPassword = values['admin-password'] ?? (env.PARLEY_ADMIN_PASSWORD || undefined);
  if (values.html === '') throw new LoadTestOptionError('--html needs a file name');
  return {
    options: {
      server: values.server,
      clients: num('clients', values.clients, DEFAULTS.clients),
      channels: num('channels', values.channels, DEFAULTS.channels),
      speakersPerChannel: num(
        'speakers-per-channel',
        values['speakers-per-channel'],
        DEFAULTS.speakersPerChannel,
      ),
      seconds: num('seconds', values.seconds, DEFAULTS.seconds),
      transport,
      rampSeconds: num('ramp', values.ramp, DEFAULTS.rampSeconds),
      ...(values['udp-via'] === undefined ? {} : { udpTarget: hostPort(values['udp-via']) }),
      ...(token === undefined ? {} : { token }),
      ...(token !== undefined || adminPassword === undefined ? {} : { adminPassword }),
    },
    json: values.json,
    html: values.html,
    help: values.help,
  };
}

const k = (n: number): string => (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : Math.round(n).toString());

function statusText(p: LoadProgress): string {
  if (p.phase === 'joining')
    return `joining ${p.joined}/${p.clients}${p.failed > 0 ? ` (${p.failed} failed)` : ''}`;
  if (p.phase !== 'measuring') return p.phase;
  return (
    `${Math.min(p.seconds, p.elapsedS).toFixed(0)}/${p.seconds} s  ${p.joined} in  sent ${k(p.sentPerSecond)}/s` +
    `  recv ${k(p.receivedPerSecond)}/s  loss ${p.lossPercent.toFixed(2)} %  RTT p50 ${p.rttP50Ms.toFixed(1)} ms`
  );
}

/** Progress on stderr: a redrawn bar on a terminal, else one line every 5 s (and at phase changes). */
function progressPrinter(err: Io['err']): { update: (p: LoadProgress) => void; end: () => void } {
  const tty = err.isTTY === true;
  let lastAt = 0;
  let lastPhase = '';
  let drawn = false;
  return {
    update(p) {
      const now = performance.now();
      const phaseChanged = p.phase !== lastPhase;
      if (tty) {
        if (!phaseChanged && now - lastAt < 100) return;
        const done = p.phase === 'joining' ? (p.joined + p.failed) / p.clients : p.elapsedS / p.seconds;
        const filled = Math.round(
          Math.max(0, Math.min(1, p.phase === 'measuring' || p.phase === 'joining' ? done : 1)) * 24,
        );
        err.write(`\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(24 - filled)}] ${statusText(p)}`);
        drawn = true;
      } else {
        if (!phaseChanged && now - lastAt < 5000) return;
        err.write(`parley loadtest: ${statusText(p)}\n`);
      }
      lastAt = now;
      lastPhase = p.phase;
    },
    end() {
      if (drawn) err.write('\r\x1b[K');
    },
  };
}

/** `parley loadtest …`; resolves with the exit code (2 = usage error, 1 = the run failed). */
export async function runLoadtestCli(
  argv: readonly string[],
  io: Io = { out: process.stdout, err: process.stderr },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  let parsed;
  try {
    parsed = parseLoadtestArgs(argv, env);
    if (parsed.help) {
      io.out.write(LOADTEST_USAGE);
      return 0;
    }
  } catch (err) {
    if (isUsageError(err)) {
      io.err.write(`parley: ${err.message}\n${LOADTEST_USAGE}`);
      return 2;
    }
    throw err;
  }
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const printer = progressPrinter(io.err);
  try {
    const report = await runLoadTest(parsed.options, { onProgress: printer.update, signal: abort.signal });
    printer.end();
    if (parsed.html !== undefined) {
      await writeFile(parsed.html, renderHtml(report));
      io.err.write(`parley loadtest: wrote ${parsed.html}\n`);
    }
    io.out.write(parsed.json ? `${JSON.stringify(report)}\n` : formatTable(report));
    return 0;
  } catch (err) {
    printer.end();
    if (isUsageError(err)) {
      io.err.write(`parley: ${err.message}\n${LOADTEST_USAGE}`);
      return 2;
    }
    io.err.write(`parley: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
