/**
 * The first start a person meets: `npm start` creates `admin` with a
 * generated password and shows it once. It must be shown whatever the log
 * level — with `--log-level silent` the log shows nothing, and a password
 * never seen could not be recovered (a first-time user found that).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, SERVER_BIN, spawnServer, type SpawnedServer } from '../helpers/processes.js';

/** Starts the server binary silent, on ports 0, until it has printed the password on stderr; then stops it. */
function firstStartSilent(dataDir: string): Promise<{ stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.PARLEY_ADMIN_PASSWORD;
    const child = spawn(
      process.execPath,
      [SERVER_BIN, '--http-port', '0', '--udp-port', '0', '--log-level', 'silent', '--data-dir', dataDir],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env },
    );
    let stderr = '';
    let stdout = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('it is not shown again\n')) child.kill('SIGTERM');
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ stderr, stdout });
    });
  });
}

describe('first start: the admin password is shown once, whatever the log level', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-first-start-'));
  let server: SpawnedServer | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it('prints it on stderr with the log silent, and it signs in after a restart', async () => {
    const first = await firstStartSilent(join(dir, 'data'));
    expect(first.stdout).toBe(''); // the log is silent…
    const m = /created the account "admin" with password (\S+)\n/.exec(first.stderr);
    expect(m, first.stderr).not.toBeNull(); // …and the password is shown anyway
    // The same data again: the account is there, and that password opens it.
    server = await spawnServer(['--data-dir', join(dir, 'data')]);
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'admin', password: m![1] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { token?: unknown }).token).toEqual(expect.any(String));
  }, 60_000);
});
