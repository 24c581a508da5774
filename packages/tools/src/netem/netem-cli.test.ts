import { createSocket } from 'node:dgram';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../../test/helpers/wait.js';
import { parseNetemArgs, runNetem } from './netem-cli.js';

const text = (s: PassThrough): string => String(s.read() ?? '');

describe('parley netem', () => {
  it('parses its flags into per-direction network models', () => {
    const o = parseNetemArgs(['--target', '127.0.0.1:8710', '--loss', '0.1', '--delay', '20', '--seed', '5']);
    expect(o.target).toEqual({ host: '127.0.0.1', port: 8710 });
    expect(o.listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(o.up).toEqual({ loss: 0.1, delayMs: 20, seed: 5 });
    expect(o.down).toEqual({ loss: 0.1, delayMs: 20, seed: 6 });
    const up = parseNetemArgs([
      '--target',
      '[::1]:9',
      '--direction',
      'up',
      '--listen',
      '7000',
      '--burst-loss',
      '0.2',
    ]);
    expect(up.target).toEqual({ host: '::1', port: 9 });
    expect(up.listen).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(up.up).toEqual({ burstLoss: 0.2 });
    expect(up.down).toEqual({});
    for (const bad of [
      [],
      ['--target', 'nohost'],
      ['--target', 'h:1', '--loss', '2'],
      ['--target', 'h:1', '--direction', 'sideways'],
      ['--target', 'h:1', '--fly'],
    ]) {
      expect(() => parseNetemArgs(bad)).toThrow();
    }
  });

  it('forwards through the proxy with the asked impairment and reports it; usage errors exit 2', async () => {
    const sink = createSocket('udp4');
    let got = 0;
    sink.on('message', () => got++);
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    const out = new PassThrough();
    const err = new PassThrough();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const done = runNetem(
      ['--target', `127.0.0.1:${sink.address().port}`, '--loss', '0.5', '--seed', '3'],
      { out, err },
      stopped,
    );
    // The first line names the proxy's address.
    const port = await new Promise<number>((resolve) => {
      out.once('readable', () => resolve(Number(/:(\d+) →/.exec(text(out))?.[1])));
    });
    const client = createSocket('udp4');
    // Paced, so that no kernel buffer overflows on a busy machine: 20 packets every 5 ms.
    for (let i = 0; i < 400; i += 20) {
      for (let k = i; k < i + 20; k++) client.send(Buffer.alloc(20, k), port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 5));
    }
    // Done when the count has stopped moving for 200 ms: nothing says "the last one" (loss is random).
    let last = -1;
    let since = performance.now();
    await waitFor(
      () => {
        if (got !== last) {
          last = got;
          since = performance.now();
        }
        return got > 0 && performance.now() - since > 200;
      },
      () => `the count to settle (${got} arrived)`,
    );
    stop();
    expect(await done).toBe(0);
    const report = text(out);
    const m = /up: (\d+) received, (\d+) dropped, (\d+) sent/.exec(report);
    expect(m).not.toBeNull();
    expect(Number(m?.[1])).toBe(400);
    expect(Number(m?.[3])).toBe(got);
    expect(got / 400).toBeGreaterThan(0.35);
    expect(got / 400).toBeLessThan(0.65);
    client.close();
    sink.close();
    expect(await runNetem(['--loss', '0.1'], { out, err })).toBe(2);
    expect(text(err)).toMatch(/--target HOST:PORT is required/);
  });
});
