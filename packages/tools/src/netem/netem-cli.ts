/**
 * `parley netem`: runs the UDP impairment proxy (netem-proxy.ts) in front
 * of a server's voice port, for demos and manual tests. Clients send their
 * UDP media to the proxy instead of the server (`--udp-via HOST:PORT`).
 */
import { parseArgs } from 'node:util';
import type { NetworkModelOptions } from './network-model.js';
import { NetemProxy } from './netem-proxy.js';
import { isUsageError, UsageError } from '../cli/usage-error.js';

export const NETEM_USAGE = `Usage:
  parley netem --target HOST:PORT [--listen [HOST:]PORT] [--direction both|up|down] [--seconds N]
               [--loss P] [--burst-loss P] [--burst-length N] [--delay MS] [--jitter MS]
               [--reorder P] [--reorder-ms MS] [--duplicate P] [--seed N]

  --target HOST:PORT   the server's UDP voice port
  --listen [HOST:]PORT where clients send instead (default 127.0.0.1, any free port; printed)
  --direction D        impair client→server (up), server→client (down) or both (default)
  --loss P             random loss, 0..1
  --burst-loss P       bursty loss rate (Gilbert–Elliott), 0..1, mean burst --burst-length packets (default 3)
  --delay MS           one-way delay; --jitter MS adds a uniform 0..MS
  --reorder P          hold back this share of packets by --reorder-ms (default 40) so later ones overtake them
  --duplicate P        send this share twice
  --seconds N          stop after N seconds (default: until interrupted), then print what was done
`;

/** A bad `parley netem` flag (PARLEY_ERR_USAGE): exit code 2. */
export class NetemUsageError extends UsageError {}

const num = (name: string, raw: string | undefined, min: number, max: number): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new NetemUsageError(`--${name} must be a number in [${min}, ${max}], got "${raw}"`);
  return n;
};

function hostPort(name: string, raw: string, defaultHost?: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(raw);
  const host = m?.[1] ?? defaultHost;
  const port = Number(m?.[2]);
  if (m === null || host === undefined || host === '' || port > 65535)
    throw new NetemUsageError(`--${name} must be HOST:PORT, got "${raw}"`);
  return { host, port };
}

/** Parses `parley netem` flags into proxy options (exported for tests). */
export function parseNetemArgs(argv: readonly string[]): {
  target: { host: string; port: number };
  listen: { host: string; port: number };
  up: NetworkModelOptions;
  down: NetworkModelOptions;
  seconds: number | undefined;
} {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        target: { type: 'string' },
        listen: { type: 'string' },
        direction: { type: 'string', default: 'both' },
        loss: { type: 'string' },
        'burst-loss': { type: 'string' },
        'burst-length': { type: 'string' },
        delay: { type: 'string' },
        jitter: { type: 'string' },
        reorder: { type: 'string' },
        'reorder-ms': { type: 'string' },
        duplicate: { type: 'string' },
        seed: { type: 'string' },
        seconds: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new NetemUsageError((err as Error).message);
  }
  if (values.target === undefined) throw new NetemUsageError('--target HOST:PORT is required');
  const dir = values.direction;
  if (dir !== 'both' && dir !== 'up' && dir !== 'down')
    throw new NetemUsageError(`--direction must be both, up or down, got "${dir}"`);
  const model: NetworkModelOptions = {};
  const set = <K extends keyof NetworkModelOptions>(k: K, v: number | undefined): void => {
    if (v !== undefined) model[k] = v;
  };
  set('loss', num('loss', values.loss, 0, 1));
  set('burstLoss', num('burst-loss', values['burst-loss'], 0, 0.99));
  set('burstLength', num('burst-length', values['burst-length'], 1, 1000));
  set('delayMs', num('delay', values.delay, 0, 10_000));
  set('jitterMs', num('jitter', values.jitter, 0, 10_000));
  set('reorder', num('reorder', values.reorder, 0, 1));
  set('reorderMs', num('reorder-ms', values['reorder-ms'], 0, 10_000));
  set('duplicate', num('duplicate', values.duplicate, 0, 1));
  set('seed', num('seed', values.seed, 0, 2 ** 32 - 1));
  return {
    target: hostPort('target', values.target),
    listen:
      values.listen === undefined
        ? { host: '127.0.0.1', port: 0 }
        : hostPort('listen', values.listen, '127.0.0.1'),
    up: dir === 'down' ? {} : model,
    // The way back gets its own random sequence.
    down: dir === 'up' ? {} : { ...model, ...(model.seed === undefined ? {} : { seed: model.seed + 1 }) },
    seconds: num('seconds', values.seconds, 0.1, 86_400),
  };
}

/** Runs the proxy until --seconds elapse or the process is interrupted; resolves with an exit code. */
export async function runNetem(
  argv: readonly string[],
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
  stop: Promise<void> = new Promise<void>((resolve) => process.once('SIGINT', () => resolve())),
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out.write(NETEM_USAGE);
    return 0;
  }
  let opts;
  try {
    opts = parseNetemArgs(argv);
  } catch (err) {
    if (isUsageError(err)) {
      io.err.write(`parley: ${err.message}\n${NETEM_USAGE}`);
      return 2;
    }
    throw err;
  }
  const proxy = await NetemProxy.open({
    target: opts.target,
    listen: opts.listen,
    up: opts.up,
    down: opts.down,
  });
  const a = proxy.address;
  io.out.write(`parley netem: ${a.host}:${a.port} → ${opts.target.host}:${opts.target.port}\n`);
  const timer =
    opts.seconds === undefined ? null : new Promise<void>((r) => setTimeout(r, opts.seconds! * 1000));
  await (timer === null ? stop : Promise.race([stop, timer]));
  await proxy.close();
  const line = (name: string, s: typeof proxy.up): string =>
    `${name}: ${s.received} received, ${s.dropped} dropped, ${s.sent} sent (${s.duplicated} duplicated, ${s.reordered} held back, ${s.overflow} overflow)\n`;
  io.out.write(line('up', proxy.up) + line('down', proxy.down));
  return 0;
}
