// Mouth-to-ear latency, CLI → server → CLI. Starts a server, runs
// `parley record --trace` and `parley send --trace` with a generated click
// train (10 ms 1 kHz bursts every 500 ms), then measures the delay of each
// click from the audio (its onset in the source against its onset in the
// recording) and splits it into stages from the per-frame traces (matched
// by ssrc and sequence number): encode, send, network, server (the relay's
// forwarding time from GET /api/v1/metrics), jitter buffer, decode, playout.
// Format of the traces and results: docs/benchmarks.md "Mouth-to-ear latency".
//
// Usage: node bench/dist/latency.js [--transport udp|ws|udp,ws] [--seconds S] [--keep]
// (npm run build first: the CLI and the server run from dist/.)
import { spawn, type ChildProcessByStdio, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { OpusDecoder, OpusEncoder, encodeWav } from '@parley/client';
import {
  clickLatencies,
  clickTrain,
  codecDelayMs,
  findOnsets,
  latencyReport,
  matchFrames,
  parseTrace,
  stageFigures,
  type ClickLatency,
  type LatencyReport,
  type ServerTime,
  type StageFigures,
} from '@parley/tools';
import { loadOpusNode } from '@parley/client/node';
import { FRAME_SAMPLES, SAMPLE_RATE } from '@parley/protocol';
import { CLI_BIN as CLI, ROOT, SERVER_BIN as SERVER } from './paths.js';
const FRAME = FRAME_SAMPLES;
const RATE = SAMPLE_RATE;
const FRAME_MS = (FRAME / RATE) * 1000;

const { values } = parseArgs({
  options: {
    transport: { type: 'string', default: 'udp' },
    seconds: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const transports = values.transport.split(',');
type Transport = 'udp' | 'ws';
const isTransport = (t: string): t is Transport => t === 'udp' || t === 'ws';
for (const t of transports) if (!isTransport(t)) throw new Error(`--transport: udp or ws, not ${t}`);

/** How a script ended. */
interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running script: its process, its end, and its output so far. */
interface Running {
  child: ChildProcessByStdio<null, Readable, Readable>;
  done: Promise<Exit>;
  out: () => string;
}

/** Runs a node script; resolves with its exit code and output. */
function run(script: string, args: string[], opts: Pick<SpawnOptions, 'env'> = {}): Running {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, out: () => stdout };
}

/** The real server binary on free ports; the ports are read from its log. */
async function startServer(
  dataDir: string,
  adminPassword: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const p = run(
    SERVER,
    ['--http-port', '0', '--udp-port', '0', '--data-dir', dataDir, '--log-level', 'info'],
    {
      env: { ...process.env, PARLEY_ADMIN_PASSWORD: adminPassword },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 30 s')), 30_000);
    p.child.stdout.on('data', () => {
      for (const line of p.out().split('\n')) {
        if (!line.includes('"httpPort"')) continue;
        const rec = JSON.parse(line) as { host: string; httpPort: number };
        clearTimeout(timer);
        resolve(`http://${rec.host}:${rec.httpPort}`);
        return;
      }
    });
    void p.done.then((r) => reject(new Error(`server exited with ${String(r.code)}: ${r.stderr}`)));
  });
  return {
    url,
    stop: async () => {
      p.child.kill('SIGTERM');
      await p.done;
    },
  };
}

/** Re-checks `cond` every 20 ms until true (bounded). */
async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function membersOf(url: string, channel: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/channels`);
  const body = (await res.json()) as { items: { name: string; members: number }[] };
  return body.items.find((c) => c.name === channel)?.members ?? 0;
}

/** The relay's forwarding time (ms) from the admin-only metrics. */
async function serverTime(url: string, password: string): Promise<ServerTime & { count: number }> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'admin', password }),
  });
  if (!login.ok) throw new Error(`admin login: ${login.status}`);
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(`${url}/api/v1/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`metrics: ${res.status}`);
  const h = (
    (await res.json()) as {
      media: { forwardUs: { sumUs: number; count: number; p50Us: number; p95Us: number } };
    }
  ).media.forwardUs;
  return { mean: h.sumUs / h.count / 1000, p50: h.p50Us / 1000, p95: h.p95Us / 1000, count: h.count };
}

/** Samples of our own 48 kHz mono 16-bit WAV. */
function readWav16(bytes: Uint8Array): Int16Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = 12; off + 8 <= bytes.length;) {
    const id = String.fromCharCode(...bytes.subarray(off, off + 4));
    const size = v.getUint32(off + 4, true);
    if (id === 'data') return new Int16Array(new Uint8Array(bytes.subarray(off + 8, off + 8 + size)).buffer); // a copy: aligned, header left out
    off += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

/** One transport's measurement. */
interface Measured {
  transport: Transport;
  /** The transports the sender's and the recorder's traces say they used. */
  kinds: [string, string];
  report: LatencyReport;
  clicks: ClickLatency[];
  figures: StageFigures;
  server: ServerTime & { count: number };
  sent: string;
  recorded: string;
}

async function measure(
  transport: Transport,
  dir: string,
  train: { samples: Int16Array; onsets: number[] },
  codecMs: number,
): Promise<Measured> {
  const password = randomBytes(12).toString('base64url');
  const server = await startServer(join(dir, `data-${transport}`), password);
  try {
    const wav = join(dir, 'clicks.wav');
    const rec = join(dir, `rec-${transport}.wav`);
    const recTrace = join(dir, `record-${transport}.jsonl`);
    const sendTrace = join(dir, `send-${transport}.jsonl`);
    const common = ['--server', server.url, '--channel', 'Lobby', '--transport', transport];
    // The recorder joins first and records past the end of the clicks.
    const recording = run(CLI, [
      'record',
      rec,
      ...common,
      '--name',
      'ear',
      '--seconds',
      String(SECONDS + 4),
      '--trace',
      recTrace,
    ]);
    await until(async () => (await membersOf(server.url, 'Lobby')) >= 1, 'the recorder to join');
    const sent = await run(CLI, ['send', wav, ...common, '--name', 'mouth', '--trace', sendTrace]).done;
    if (sent.code !== 0) throw new Error(`parley send: ${sent.stderr}`);
    const recorded = await recording.done;
    if (recorded.code !== 0) throw new Error(`parley record: ${recorded.stderr}`);
    const server_ = await serverTime(server.url, password);

    const s = parseTrace(readFileSync(sendTrace, 'utf8'));
    const r = parseTrace(readFileSync(recTrace, 'utf8'));
    const frames = matchFrames([...s.events, ...r.events]);
    const figures = stageFigures(frames);
    const recordedPcm = readWav16(readFileSync(rec));
    const clicks = clickLatencies({
      sourceOnsets: train.onsets,
      recordedOnsets: findOnsets(recordedPcm),
      frames,
    });
    const report = latencyReport({
      figures,
      clicks,
      frameMs: FRAME_MS,
      codecDelayMs: codecMs,
      server: server_,
    });
    const kinds: [string, string] = [String(s.meta[0]?.transport), String(r.meta[0]?.transport)];
    return {
      transport,
      kinds,
      report,
      clicks,
      figures,
      server: server_,
      sent: sent.stderr.trim(),
      recorded: recorded.stderr.trim(),
    };
  } finally {
    await server.stop();
  }
}

const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 1 ? 3 : 1) : '–');

function print(res: Measured & { nClicks: number }): void {
  const { report: rep, clicks } = res;
  console.log(
    `\n── ${res.transport.toUpperCase()} (send over ${res.kinds[0]}, record over ${res.kinds[1]}) ──`,
  );
  console.log(
    `frames traced ${rep.frames}, with all 7 events ${rep.complete}, out of order ${rep.disordered}; clicks heard ${clicks.length} of ${res.nClicks}`,
  );
  console.log('');
  console.log(
    `${'stage'.padEnd(16)}${'measured as'.padEnd(46)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}${'mean ms'.padStart(9)}${'share'.padStart(8)}`,
  );
  for (const row of rep.rows) {
    console.log(
      `${row.stage.padEnd(16)}${row.how.padEnd(46)}${f1(row.p50).padStart(9)}${f1(row.p95).padStart(9)}${f1(row.mean).padStart(9)}${`${(100 * row.share).toFixed(1)} %`.padStart(8)}`,
    );
  }
  console.log(
    `${'sum of stages'.padEnd(16)}${'(means)'.padEnd(46)}${''.padStart(18)}${f1(rep.sumOfStages).padStart(9)}`,
  );
  console.log(
    `${'from the audio'.padEnd(16)}${'click onset in the recording − in the source'.padEnd(46)}${f1(rep.audio.p50).padStart(9)}${f1(rep.audio.p95).padStart(9)}${f1(rep.audio.mean).padStart(9)}`,
  );
  console.log(
    `per click, audio − (its frame's capture→played + framing + codec): median ${f1(rep.residual.p50)} ms, range ${f1(rep.residual.min)} … ${f1(rep.residual.max)} ms`,
  );
  console.log(
    `jitter buffer = the target (97th percentile of the delay against the fastest packet + 2 ms) and the wait for the 10 ms output tick that needs the frame (docs/playout.md)`,
  );
  console.log(`server: ${res.server.count} packets forwarded; ${res.sent}; ${res.recorded}`);
}

const dir = mkdtempSync(join(os.tmpdir(), 'parley-latency-'));
try {
  const train = clickTrain({ seconds: SECONDS });
  writeFileSync(join(dir, 'clicks.wav'), encodeWav(train.samples, RATE));
  const opus = await loadOpusNode();
  const enc = new OpusEncoder(opus);
  const dec = new OpusDecoder(opus);
  const codecMs = codecDelayMs(enc, dec, train);
  enc.destroy();
  dec.destroy();
  console.log(
    `Mouth-to-ear latency — parley send → server → parley record on loopback; node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${new Date().toISOString()}`,
  );
  console.log(
    `${train.onsets.length} clicks (10 ms of 1 kHz, −6 dBFS) every 500 ms over ${SECONDS} s; Opus 32 kbps, 20 ms frames; codec delay measured offline ${codecMs.toFixed(2)} ms`,
  );
  const results: Measured[] = [];
  for (const t of transports.filter(isTransport)) {
    const res = { ...(await measure(t, dir, train, codecMs)), nClicks: train.onsets.length };
    results.push(res);
    print(res);
  }
  console.log(`
Fixed costs, CLI against a real-time device: "framing" is the 20 ms a microphone frame takes to
fill (a file sender has it at once; the figure counts it as a live source would). The recorder
pulls 10 ms every 10 ms on its own clock, so a frame waits 0–10 ms for the tick that needs it
(inside "jitter buffer"; time-scaling moves a frame's start within a tick, not across one); a
sound card pulls the same way and then adds its own output buffer (~10–40 ms), which "played"
here (written to the WAV) leaves out.`);
  if (values.keep) console.log(`\ntraces and recordings kept in ${dir}`);
  if (process.env.BENCH_JSON)
    console.log(
      JSON.stringify(results.map((r) => ({ transport: r.transport, ...r.report, server: r.server }))),
    );
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
