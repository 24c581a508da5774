/**
 * A `parley-server` process for the benchmarks that need one (capacity,
 * flood, join storm), and a speaker and a listener to put in it: free ports, a throwaway data directory, an admin password for
 * `/api/v1/metrics`, and optionally pinned to a core or profiled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createNodeAead, NODE_CIPHERS } from '@parley/protocol/node';
import { VoiceClient } from '@parley/client';
import { nodeWebSocketFactory, openUdpTransport } from '@parley/client/node';
import { SERVER_BIN } from './paths.js';

export interface BenchServer {
  child: ChildProcess;
  url: string;
  udpPort: number;
  dataDir: string;
}

export interface BenchServerOptions {
  adminPassword: string;
  /** Run the server on this core only (taskset). */
  core?: number;
  /** Write a CPU profile of the server into this directory when it exits. */
  cpuProfDir?: string | undefined;
  /** More `parley-server` flags (e.g. `--channel Games`). */
  args?: string[];
}

/** Starts `parley-server` on free ports; resolves once it has logged them. */
export function startBenchServer(opts: BenchServerOptions): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const serverArgs = [
    ...(opts.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir]),
    SERVER_BIN,
    '--http-port',
    '0',
    '--udp-port',
    '0',
    '--data-dir',
    dataDir,
    ...(opts.args ?? []),
  ];
  const pinned = opts.core !== undefined;
  const child = spawn(
    pinned ? 'taskset' : process.execPath,
    pinned ? ['-c', String(opts.core), process.execPath, ...serverArgs] : serverArgs,
    {
      env: { ...process.env, PARLEY_ADMIN_PASSWORD: opts.adminPassword, PARLEY_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error('the server did not start in 30 s'));
    }, 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { httpPort?: unknown; udpPort?: unknown };
        if (typeof rec.httpPort === 'number') {
          clearTimeout(timer);
          resolve({
            child,
            url: `http://127.0.0.1:${rec.httpPort}`,
            udpPort: typeof rec.udpPort === 'number' ? rec.udpPort : 0,
            dataDir,
          });
        }
      } catch {
        // not a log line of ours
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${String(code)}`));
    });
  });
}

/** A speaker and a listener (SDK clients, media over UDP) in `channel` of a bench server. */
export async function speakerAndListener(
  url: string,
  channel: string,
): Promise<{ speaker: VoiceClient; listener: VoiceClient }> {
  const connect = (name: string): Promise<VoiceClient> =>
    VoiceClient.connect({
      server: url,
      name,
      webSocket: nodeWebSocketFactory,
      aead: createNodeAead,
      ciphers: NODE_CIPHERS,
      udp: openUdpTransport,
    });
  const [speaker, listener] = await Promise.all([connect('speaker'), connect('listener')]);
  await speaker.join(channel);
  await listener.join(channel);
  return { speaker, listener };
}
