import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = `${ROOT}packages/tools/bin/parley.js`;
export const SERVER_BIN = `${ROOT}packages/server/bin/parley-server.js`;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Node script to completion (bounded by `timeoutMs`, then killed). */
export function runNode(script: string, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface SpawnedServer {
  child: ChildProcess;
  url: string;
  udpPort: number;
  stop(): Promise<void>;
}

/** Starts the real server binary on ports 0 (with `env` added to ours) and reads the bound ports from its log. */
export function spawnServer(args: string[], env: Record<string, string> = {}): Promise<SpawnedServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [SERVER_BIN, '--http-port', '0', '--udp-port', '0', '--log-level', 'info', ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...env },
      },
    );
    let buf = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        if (!line.includes('"httpPort"')) continue;
        const rec = JSON.parse(line) as { httpPort: number; udpPort: number; host: string };
        clearTimeout(timer);
        resolve({
          child,
          url: `http://${rec.host}:${rec.httpPort}`,
          udpPort: rec.udpPort,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
        return;
      }
    });
  });
}

/** Members of the channel named `channel` as `GET /api/v1/channels` counts them (−1 when there is no such channel). */
export async function channelMembers(serverUrl: string, channel: string): Promise<number> {
  const res = await fetch(`${serverUrl}/api/v1/channels`);
  const body = (await res.json()) as { items: { name: string; members: number }[] };
  return body.items.find((c) => c.name === channel)?.members ?? -1;
}

/**
 * Starts `parley record OUT --seconds N` into `channel` and resolves once the
 * recorder is in the channel (`others` members were there before it; `extra`
 * are more CLI flags); the
 * returned promise is the finished process.
 */
export async function startRecording(
  serverUrl: string,
  channel: string,
  out: string,
  seconds: number,
  opts: { others?: number; extra?: string[] } = {},
): Promise<{ done: Promise<RunResult> }> {
  const { others = 0, extra = [] } = opts;
  const done = runNode(CLI, [
    'record',
    out,
    '--server',
    serverUrl,
    '--channel',
    channel,
    '--seconds',
    String(seconds),
    ...extra,
  ]);
  await waitFor(
    async () => (await channelMembers(serverUrl, channel)) > others,
    `the recorder to join ${channel}`,
  );
  return { done };
}
