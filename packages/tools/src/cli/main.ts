import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ErrorCode, frameSamples as samplesInFrame, SAMPLE_RATE } from '@parley/protocol';
import { createNodeAead, NODE_CIPHERS } from '@parley/protocol/node';
import {
  parseWav,
  MAX_WAV_SAMPLES,
  resampleTo48k,
  floatToInt16,
  OpusEncoder,
  Impairment,
  StreamSender,
  BufferSource,
  Listener,
  TalkGate,
  DEFAULT_VAD_THRESHOLD_DB,
  TraceRecorder,
  ParleyClientError,
  ClientErrorCode,
  VoiceClient,
  type RedundancyDepth,
} from '@parley/client';
import { loadOpusNode, openUdpTransport, nodeWebSocketFactory, WavFileWriter } from '@parley/client/node';
import { runNetem } from '../netem/netem-cli.js';
import { runLoadtestCli } from '../loadtest/cli.js';
import { isUsageError, UsageError } from './usage-error.js';

const USAGE = `Usage:
  parley send FILE.wav [--server URL] --channel NAME [--name NICK | --token TOKEN] [--loop] [--bitrate BPS] [--vad [DBFS]] [--redundancy auto|0|1|2] [--loss P] [--jitter MS] [--seed N] [--transport udp|ws] [--trace FILE]
  parley record OUT.wav [--server URL] --channel NAME --seconds N [--name NICK | --token TOKEN] [--transport udp|ws] [--trace FILE]
  parley netem --target HOST:PORT [--loss P] [--delay MS] [--jitter MS] …   (parley netem --help)
  parley loadtest [--clients N] [--channels N] [--seconds N] [--json] …   (parley loadtest --help)

  --server URL     Parley server (default http://127.0.0.1:8710)
  --channel NAME   channel name or numeric id
  --name NICK      guest nickname shown to others (default parley-send / parley-record)
  --token TOKEN    log in as an account with this token (POST /api/v1/auth/login); default $PARLEY_TOKEN
  --loop           repeat the file until interrupted
  --bitrate BPS    Opus bitrate, 6000..510000 (default: the server's defaultBitrate setting)
  --vad [DBFS]     voice activation: send only while the file is louder than DBFS (frame RMS,
                   default ${DEFAULT_VAD_THRESHOLD_DB}), with 300 ms of hangover; silence sends nothing
  --redundancy R   copies of the previous frames in each packet: 0 (off, default), 1, 2, or auto
                   (chosen from what the listeners report; docs/protocol.md, "Redundancy")
  --loss P         drop this fraction (0..1) of the packets sent (impairment for tests/demos)
  --jitter MS      delay each packet sent by a random 0..MS milliseconds
  --seed N         seed of --loss/--jitter, to repeat the same impairment pattern
  --seconds N      length of the recording (48 kHz mono 16-bit WAV, silence where nobody speaks), written
                   to disk as it records; at most 44739.24 s (12 h 25 min), the most a WAV file holds
  --transport T    media over udp (default; falls back to the WebSocket) or ws
  --trace FILE     (send, record) write a per-frame timing trace, JSON lines (docs/benchmarks.md,
                   "Mouth-to-ear latency"); at most 100,000 events
`;

const options = {
  server: { type: 'string', default: 'http://127.0.0.1:8710' },
  channel: { type: 'string' },
  name: { type: 'string' },
  token: { type: 'string' },
  loop: { type: 'boolean', default: false },
  loss: { type: 'string' },
  jitter: { type: 'string' },
  seed: { type: 'string' },
  bitrate: { type: 'string' },
  vad: { type: 'string' },
  redundancy: { type: 'string', default: '0' },
  seconds: { type: 'string' },
  transport: { type: 'string', default: 'udp' },
  trace: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

/** Runs the CLI; resolves with the process exit code. Prints one line per error. */
export async function main(
  argv: readonly string[],
  io = { out: process.stdout, err: process.stderr },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  if (argv[0] === 'netem') return runNetem(argv.slice(1), io);
  if (argv[0] === 'loadtest') return runLoadtestCli(argv.slice(1), io, env);
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: vadValue(argv), options, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    const [command, file, ...extra] = positionals;
    if (values.help || command === undefined || command === 'help') {
      io.out.write(USAGE);
      return 0;
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
    const token = values.token ?? (env.PARLEY_TOKEN || undefined);
    const opts = { ...values, ...(token === undefined ? {} : { token }) };
    if (command === 'send') return await send(file, opts, io.err);
    if (command === 'record') return await record(file, opts, io.err);
    throw new UsageError(`unknown command ${command}`);
  } catch (err) {
    if (isUsageError(err)) {
      io.err.write(`parley: ${err.message}\n${USAGE}`);
      return 2;
    }
    io.err.write(`parley: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/**
 * `--vad` takes an optional value, and that value is negative (`--vad -40`),
 * which parseArgs would read as an option: `--vad N` becomes `--vad=N`, and
 * a bare `--vad` the default threshold.
 */
function vadValue(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a !== '--vad') {
      out.push(a);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && /^-?\d+(\.\d+)?$/.test(next)) {
      out.push(`--vad=${next}`);
      i++;
    } else out.push(`--vad=${DEFAULT_VAD_THRESHOLD_DB}`);
  }
  return out;
}

function numberOption(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a number in [${min}, ${max}], got "${raw}"`);
  return n;
}

function channelRef(raw: string | undefined): string | number {
  if (raw === undefined || raw === '') throw new UsageError('--channel is required');
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

async function connect(values: Values, defaultName: string): Promise<VoiceClient> {
  if (values.transport !== 'udp' && values.transport !== 'ws')
    throw new UsageError('--transport must be udp or ws');
  let server: URL;
  try {
    server = new URL(values.server);
  } catch {
    throw new UsageError(`--server must be a URL like http://HOST:PORT, got "${values.server}"`);
  }
  try {
    return await VoiceClient.connect({
      server: server.toString(),
      ...(values.token === undefined ? { name: values.name ?? defaultName } : { token: values.token }),
      webSocket: nodeWebSocketFactory,
      aead: createNodeAead,
      ciphers: NODE_CIPHERS,
      ...(values.transport === 'udp' ? { udp: openUdpTransport } : {}),
    });
  } catch (err) {
    if (err instanceof ParleyClientError && err.code === ClientErrorCode.Unreachable) {
      throw new Error(`cannot reach server ${server.origin}: ${err.detail?.reason ?? 'no answer'}`, {
        cause: err,
      });
    }
    throw err;
  }
}

async function joinOrExplain(client: VoiceClient, ref: string | number): Promise<void> {
  try {
    await client.join(ref);
  } catch (err) {
    if (err instanceof ParleyClientError && err.code === ErrorCode.UnknownChannel) {
      throw new Error(`unknown channel ${JSON.stringify(ref)}`, { cause: err });
    }
    throw err;
  }
}

/** Samples per frame at SAMPLE_RATE: the channel's frame length from `joined.media.frameMs` (the server's runtime setting). */
function frameSamplesOf(client: VoiceClient): number {
  return samplesInFrame(client.joined?.media.frameMs);
}

async function loadWav(file: string): Promise<Int16Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new Error(`cannot read ${file}${code ? ` (${code})` : ''}`, { cause: err });
  }
  const wav = parseWav(bytes);
  if (!wav.ok) throw new Error(`${file}: ${wav.reason}`);
  return floatToInt16(resampleTo48k(wav.value.samples, wav.value.sampleRate));
}

/** `--redundancy auto|0|1|2`. */
function redundancyOption(raw: string | undefined): RedundancyDepth | 'auto' {
  if (raw === undefined || raw === 'auto') return 'auto';
  if (raw === '0' || raw === '1' || raw === '2') return Number(raw) as RedundancyDepth;
  throw new UsageError(`--redundancy must be auto, 0, 1 or 2, got ${JSON.stringify(raw)}`);
}

async function send(file: string | undefined, values: Values, err: NodeJS.WritableStream): Promise<number> {
  if (file === undefined) throw new UsageError('send needs a WAV file');
  const ref = channelRef(values.channel);
  const loss = numberOption('loss', values.loss, 0, 1) ?? 0;
  const jitterMs = numberOption('jitter', values.jitter, 0, 5000) ?? 0;
  const seed = numberOption('seed', values.seed, 0, 2 ** 32 - 1);
  const pcm = await loadWav(file);
  const opus = await loadOpusNode();
  const client = await connect(values, 'parley-send');
  try {
    await joinOrExplain(client, ref);
    // The server's runtime setting defaultBitrate, unless --bitrate says otherwise.
    const asked = numberOption('bitrate', values.bitrate, 6000, 510000);
    const bitrate = asked === undefined ? client.joined?.media.bitrate : Math.round(asked);
    const encoder = new OpusEncoder(opus, bitrate === undefined ? {} : { bitrate });
    const impairment =
      loss > 0 || jitterMs > 0
        ? new Impairment({ loss, jitterMs, ...(seed === undefined ? {} : { seed }) })
        : undefined;
    const tracer = values.trace === undefined ? undefined : new TraceRecorder();
    const frameSamples = frameSamplesOf(client);
    const vad = numberOption('vad', values.vad, -120, 0);
    const redundancy = redundancyOption(values.redundancy);
    const maxPacketSize = client.joined?.media.maxPacketSize;
    const sender = new StreamSender(client, encoder, new BufferSource(pcm, frameSamples, values.loop), {
      frameSamples,
      redundancy,
      ...(maxPacketSize === undefined ? {} : { maxPacketSize }),
      ...(vad === undefined ? {} : { gate: new TalkGate({ mode: 'voice-activity', thresholdDb: vad }) }),
      ...(impairment ? { impairment } : {}),
      ...(tracer ? { tracer } : {}),
    });
    const stop = (): void => sender.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await sender.run();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    // Let delayed (jittered) packets and the last frames leave before closing.
    await new Promise((r) => setTimeout(r, Math.max(100, jitterMs + 50)));
    encoder.destroy?.();
    err.write(
      `parley: sent ${sender.stats.framesSent} frames (${sender.stats.framesDroppedByImpairment} dropped by --loss${vad === undefined ? '' : `, ${sender.stats.framesGated} silent ones held back by --vad`}) over ${client.transportKind}\n`,
    );
    if (tracer) await writeTrace(values.trace!, tracer, 'send', client.transportKind, frameSamples, err);
    return 0;
  } finally {
    client.close();
  }
}

/** Writes a --trace file after the run (nothing is written while the audio runs). */
async function writeTrace(
  file: string,
  tracer: TraceRecorder,
  role: 'send' | 'record',
  transport: string | null,
  frameSamples: number,
  err: NodeJS.WritableStream,
): Promise<void> {
  await writeFile(file, tracer.toJsonLines({ role, transport, frameSamples, sampleRate: SAMPLE_RATE }));
  const over = tracer.dropped > 0 ? `, ${tracer.dropped} over the limit not kept` : '';
  err.write(`parley: trace of ${tracer.size} events to ${file}${over}\n`);
}

/** Most seconds `parley record` writes: what a WAV file's 32-bit sizes hold at 48 kHz, 16-bit mono. */
const MAX_RECORD_SECONDS = MAX_WAV_SAMPLES / SAMPLE_RATE;

function recordSeconds(raw: string | undefined): number {
  if (raw === undefined) throw new UsageError('--seconds is required');
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`--seconds must be a number ≥ 0, got "${raw}"`);
  if (Math.round(n * SAMPLE_RATE) > MAX_WAV_SAMPLES)
    throw new UsageError(
      `--seconds ${raw} is too long: a WAV file holds at most ${MAX_RECORD_SECONDS.toFixed(2)} s (12 h 25 min) of 48 kHz 16-bit mono`,
    );
  return n;
}

async function openWav(file: string): Promise<WavFileWriter> {
  try {
    return await WavFileWriter.open(file, SAMPLE_RATE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new Error(`cannot write ${file}${code ? ` (${code})` : ''}`, { cause: err });
  }
}

async function record(file: string | undefined, values: Values, err: NodeJS.WritableStream): Promise<number> {
  if (file === undefined) throw new UsageError('record needs an output file');
  const ref = channelRef(values.channel);
  const seconds = recordSeconds(values.seconds);
  const opus = await loadOpusNode();
  const client = await connect(values, 'parley-record');
  try {
    await joinOrExplain(client, ref);
    const tracer = values.trace === undefined ? undefined : new TraceRecorder();
    const frameSamples = frameSamplesOf(client);
    const listener = new Listener(client, { opus, frameSamples, receiver: tracer ? { tracer } : {} });
    const wav = await openWav(file);
    try {
      await listener.record(seconds, (frame) => wav.write(frame));
    } catch (e) {
      await wav.close().catch(() => undefined);
      throw e;
    } finally {
      listener.close();
    }
    await wav.close();
    const s = listener.stats();
    err.write(
      `parley: recorded ${seconds} s to ${file} (received ${client.stats.packetsReceived} packets, lost ${s.lost}, concealed ${s.concealed}, accelerated ${s.accelerated}, stretched ${s.stretched}) over ${client.transportKind}\n`,
    );
    if (tracer) await writeTrace(values.trace!, tracer, 'record', client.transportKind, frameSamples, err);
    return 0;
  } finally {
    client.close();
  }
}
