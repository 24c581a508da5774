import { describe, expect, it } from 'vitest';
import { ParleyError } from '@parley/protocol';
import { LoadTestOptionError, resolveOptions } from '../loadtest/options.js';
import { parseNetemArgs, NetemUsageError } from '../netem/netem-cli.js';
import { main } from './main.js';
import { isUsageError, ToolErrorCode, UsageError } from './usage-error.js';

/** Streams that collect what the CLI writes. */
function capture(): { io: Parameters<typeof main>[1]; err: () => string } {
  let err = '';
  const sink = (add: (s: string) => void) => ({ write: (s: string) => (add(s), true) });
  const io = {
    out: sink(() => undefined),
    err: sink((s) => (err += s)),
  } as unknown as Parameters<typeof main>[1];
  return { io, err: () => err };
}

describe('PARLEY_ERR_USAGE', () => {
  it('is the code of every usage error, whichever subcommand raised it', () => {
    const errors: unknown[] = [];
    try {
      resolveOptions({
        server: 'http://127.0.0.1:1',
        clients: 0,
        channels: 1,
        speakersPerChannel: 1,
        seconds: 1,
      });
    } catch (e) {
      errors.push(e);
    }
    try {
      parseNetemArgs(['--loss', '2']);
    } catch (e) {
      errors.push(e);
    }
    errors.push(new UsageError('--channel is required'));
    expect(errors.map((e) => (e as Error).name)).toEqual([
      'LoadTestOptionError',
      'NetemUsageError',
      'UsageError',
    ]);
    expect(errors[0]).toBeInstanceOf(LoadTestOptionError);
    expect(errors[1]).toBeInstanceOf(NetemUsageError);
    for (const e of errors) {
      expect(e).toBeInstanceOf(ParleyError);
      expect((e as ParleyError<string>).code).toBe(ToolErrorCode.Usage);
      expect(isUsageError(e)).toBe(true);
    }
    expect(isUsageError(new Error('--channel is required'))).toBe(false);
    expect(isUsageError(new ParleyError('PARLEY_ERR_UNKNOWN_CHANNEL', 'x'))).toBe(false);
  });

  it('makes the CLI exit with 2 and print the usage; other errors exit with 1', async () => {
    const usage = capture();
    expect(await main(['send', 'x.wav'], usage.io, {})).toBe(2);
    expect(usage.err()).toMatch(/^parley: --channel is required\nUsage:/);

    const runtime = capture();
    // A runtime error with no socket opened: a server URL the client refuses (PARLEY_ERR_UNREACHABLE).
    const argv = [
      'record',
      'out.wav',
      '--channel',
      'Lobby',
      '--seconds',
      '1',
      '--server',
      'ftp://h',
      '--transport',
      'ws',
    ];
    expect(await main(argv, runtime.io, {})).toBe(1);
    expect(runtime.err()).toBe(
      'parley: cannot reach server ftp://h: unsupported scheme ftp: (use http://HOST:PORT)\n',
    );
  });
});
