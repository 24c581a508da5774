import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '@parley/tools';
import { startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { account, loginAdmin } from '../helpers/ws.js';

/** Runs the CLI in-process, collecting what it writes. */
function cli(argv: string[], env: Record<string, string | undefined> = {}) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stderr = '';
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = runCli(
    argv,
    { out: out as unknown as typeof process.stdout, err: err as unknown as typeof process.stderr },
    env,
  );
  let finished = false;
  void code.finally(() => (finished = true));
  return { code, stderr: () => stderr, finished: () => finished };
}

describe('parley CLI --token / PARLEY_TOKEN', () => {
  let t: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-token-'));
  beforeEach(async () => {
    t = await startServer();
  });
  afterEach(async () => {
    await t.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const accountPeer = (name: string) =>
    t.server.hub.allPeers().find((p) => p.actor.name === name && p.actor.userId !== null);

  it('logs a bot in as its account with --token, and with PARLEY_TOKEN', { timeout: 90_000 }, async () => {
    const admin = await loginAdmin(t.server);
    const bot = await account(t.server, admin, 'recorder-bot', 'member');
    const args = [
      'record',
      join(dir, 'a.wav'),
      '--server',
      t.info.url,
      '--channel',
      'Lobby',
      '--seconds',
      '1',
    ];

    const run = cli([...args, '--token', bot.token, '--name', 'ignored']);
    // The CLI (in this process) loads the Opus WebAssembly first: an honest bound on a busy 2-core machine.
    // If it ends without ever showing up, say how it ended.
    await waitFor(
      () => accountPeer('recorder-bot') !== undefined || run.finished(),
      'the bot session',
      25_000,
    );
    expect(accountPeer('recorder-bot')?.actor.role, `parley ended first: ${run.stderr()}`).toBe('member');
    expect(await run.code).toBe(0);
    await waitFor(() => accountPeer('recorder-bot') === undefined, 'the first session to end', 25_000);

    const viaEnv = cli(args, { PARLEY_TOKEN: bot.token });
    await waitFor(
      () => accountPeer('recorder-bot') !== undefined || viaEnv.finished(),
      'the bot session (env)',
      25_000,
    );
    expect(accountPeer('recorder-bot'), `parley ended first: ${viaEnv.stderr()}`).toBeDefined();
    expect(await viaEnv.code).toBe(0);
  });

  it('reports a bad token in one line, exit 1', async () => {
    const rec = cli([
      'record',
      join(dir, 'b.wav'),
      '--server',
      t.info.url,
      '--channel',
      'Lobby',
      '--seconds',
      '1',
      '--token',
      'nope',
    ]);
    expect(await rec.code).toBe(1);
    expect(rec.stderr()).toMatch(/^parley: the token is not valid/);
    expect(rec.stderr().trim().split('\n')).toHaveLength(1);
  });
});
