// Mouth-to-ear latency, browser → server → browser, on loopback: two
// Chromiums with @parley/client/browser (BrowserVoice: capture worklet,
// WebCodecs or wasm Opus, WebSocket media, then the playout worklet: jitter
// buffer, decoder and mix on the audio thread). Browser A's fake microphone
// plays a click train (10 ms bursts of 1 kHz every 500 ms); browser B
// listens. Each click's onset in what A captured (its input tap: a frame's
// time is when its last sample was in) is matched with its onset in what B
// played (its output tap: when the frame's first sample was rendered by the
// playout worklet). The device's own output latency
// (`AudioContext.outputLatency`) is printed apart: the fake device Chromium
// uses here reports a fixed figure. B's frame trace splits each click's
// latency: mouth → arrival in B's worklet, the jitter buffer's wait, and
// from its pop to the ear.
//
// Usage: node bench/dist/browser-latency.js [--seconds S] [--encoder auto|webcodecs|wasm]
//        [--min-delay-ms MS] (the listener's jitter-buffer floor; default the engine's) (after npm run build)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { encodeWav } from '@parley/client';
import { clickTrain, findOnsets, parseTrace } from '@parley/tools';
import { quantile } from '@parley/protocol';
import { ROOT, SERVER_BIN } from './paths.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '12' },
    encoder: { type: 'string', default: 'auto' },
    'min-delay-ms': { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);

const dir = mkdtempSync(join(tmpdir(), 'parley-bench-browser-latency-'));
const ENTRY = `
import { VoiceClient, TraceRecorder } from '@parley/client';
import { BrowserVoice } from '@parley/client/browser';
import { loadWasmAead, WASM_CIPHERS } from '@parley/protocol';
let voice = null;
let recording = false;
let atRecord = null;
const tracer = new TraceRecorder();
const input = [], output = [], packets = [];
globalThis.startVoice = async (server, name, mode, encoder, minDelayMs) => {
  const client = await VoiceClient.connect({ server, name, webSocket: (u) => new WebSocket(u), aead: await loadWasmAead(), ciphers: WASM_CIPHERS });
  await client.join('Lobby');
  client.onAudio((p) => { if (recording && packets.length < 5000) packets.push([p.extSeq, p.timestamp, performance.timeOrigin + performance.now()]); });
  const jitterBuffer = minDelayMs === null ? {} : { jitterBuffer: { minDelayMs } };
  voice = await BrowserVoice.start(client, { opusWasmUrl: './opus.wasm', tracer, mode, encoder, echoCancellation: false, noiseSuppression: false, autoGainControl: false, ...jitterBuffer });
  voice.tapInput((pcm, info) => { if (recording && input.length < 5000) input.push({ t: info.t, pcm: Array.from(pcm, (s) => Math.round(s * 32767)) }); });
  voice.tapOutput((frame, info) => { if (recording && output.length < 5000) output.push({ t: info.t + info.aheadMs, pcm: Array.from(frame) }); });
  return { encoder: voice.stats().encoder, outputLatencyMs: voice.audioContext.outputLatency * 1000, baseLatencyMs: voice.audioContext.baseLatency * 1000 };
};
globalThis.record = () => { recording = true; voice.stats(); atRecord = voice.counts().playout; };
globalThis.stop = () => { recording = false; };
globalThis.take = () => ({ input: input.splice(0), output: output.splice(0), packets: packets.splice(0), stats: voice.stats(), counts: voice.counts(), atRecord, trace: tracer.toJsonLines({ role: 'record', transport: 'ws', frameSamples: 960, sampleRate: 48000 }) });
`;
writeFileSync(join(dir, 'entry.js'), ENTRY);
writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./entry.js"></script>');
await build({
  configFile: false,
  logLevel: 'error',
  root: dir,
  resolve: {
    alias: {
      '@parley/protocol': join(ROOT, 'packages/protocol/dist/index.js'),
      '@parley/client/browser': join(ROOT, 'packages/client/dist/browser/index.js'),
      '@parley/client': join(ROOT, 'packages/client/dist/index.js'),
    },
  },
  build: { outDir: join(dir, 'dist'), minify: false, target: 'es2022' },
});
copyFileSync(join(ROOT, 'node_modules/@evan/opus/wasm/opus.wasm'), join(dir, 'dist', 'opus.wasm'));
const clicks = clickTrain({ seconds: 2 });
writeFileSync(join(dir, 'clicks.wav'), encodeWav(clicks.samples, 48000));

const TYPES: Record<string, string> = { js: 'text/javascript', html: 'text/html', wasm: 'application/wasm' };
const site = createServer((req, res) => {
  const path = req.url === undefined || req.url === '/' ? 'index.html' : (req.url.split('?')[0] ?? '');
  const f = join(dir, 'dist', path);
  readFile(f).then(
    (b) =>
      res
        .writeHead(200, { 'content-type': TYPES[f.split('.').pop() ?? ''] ?? 'application/octet-stream' })
        .end(b),
    () => res.writeHead(404).end(),
  );
});
await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

const server = spawn(
  process.execPath,
  [SERVER_BIN, '--http-port', '0', '--udp-port', '0', '--data-dir', join(dir, 'data'), '--log-level', 'info'],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PARLEY_CORS_ORIGINS: siteUrl } },
);
const serverUrl = await new Promise<string>((resolve, reject) => {
  let buf = '';
  server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  server.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (const line of buf.split('\n')) {
      if (!line.includes('"httpPort"')) continue;
      const rec = JSON.parse(line) as { host: string; httpPort: number };
      resolve(`http://${rec.host}:${rec.httpPort}`);
    }
  });
});

function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      ...(process.env.PARLEY_BENCH_FLAGS ?? '').split(' ').filter((f) => f !== ''),
      `--use-file-for-fake-audio-capture=${join(dir, 'clicks.wav')}`,
    ],
  });
}

interface Started {
  encoder: string;
  outputLatencyMs: number;
  baseLatencyMs: number;
}
interface Taken {
  input: { t: number; pcm: number[] }[];
  output: { t: number; pcm: number[] }[];
  /** Packets as B's page got them: extended sequence number, timestamp, wall-clock ms. */
  packets: [seq: number, timestamp: number, t: number][];
  stats: Record<string, unknown>;
  counts: { playout: Record<string, number> | null };
  /** The listener's playout counters when the measurement began. */
  atRecord: Record<string, number> | null;
  trace: string;
}
type PageFns = {
  startVoice: (s: string, n: string, m: string, e: string, minDelayMs: number | null) => Promise<Started>;
  take: () => Taken;
  record: () => void;
  stop: () => void;
};

async function open(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${siteUrl}/`);
  await page.waitForFunction(() => 'startVoice' in globalThis);
  return page;
}

/** Onset times (wall-clock ms) of the clicks in frames of 960 samples stamped with `at(frame)`. */
function onsetTimes(
  frames: { t: number; pcm: number[] }[],
  frameTime: (f: { t: number }) => number,
): number[] {
  const all = Int16Array.from(frames.flatMap((f) => f.pcm));
  return findOnsets(all).map((i) => {
    const f = frames[Math.floor(i / 960)]!;
    return frameTime(f) + ((i % 960) / 48000) * 1000;
  });
}

const [ba, bb] = await Promise.all([launch(), launch()]);
try {
  const [a, b] = await Promise.all([open(ba), open(bb)]);
  const call = <K extends keyof PageFns>(p: Page, k: K, ...args: Parameters<PageFns[K]>) =>
    p.evaluate(
      ([key, xs]) => (globalThis as unknown as Record<string, (...y: unknown[]) => unknown>)[key]!(...xs),
      [k, args] as const,
    ) as Promise<Awaited<ReturnType<PageFns[K]>>>;
  const minDelay = values['min-delay-ms'] === undefined ? null : Number(values['min-delay-ms']);
  const listener = await call(b, 'startVoice', serverUrl, 'ears', 'push-to-talk', values.encoder, minDelay);
  const talker = await call(a, 'startVoice', serverUrl, 'mouth', 'open', values.encoder, null);
  const startedAt = Date.now();
  // Warm-up: the first clicks set the jitter buffer. Nothing is kept before `record` (handing
  // seconds of audio to the test would stall the page's main thread in the middle of the run).
  await new Promise((r) => setTimeout(r, 2000));
  await call(a, 'record');
  await call(b, 'record');
  while (Date.now() - startedAt < (SECONDS + 2) * 1000) await new Promise((r) => setTimeout(r, 250));
  await call(a, 'stop');
  await call(b, 'stop');
  // The listener first: handing over A's seconds of microphone stalls A's main thread, which
  // B would hear as a gap (and count in its figures) if it were still measuring.
  const tb = await call(b, 'take');
  const ta = await call(a, 'take');
  // A frame of the microphone is complete when its last sample is in: sample i of it is 20 ms − i earlier.
  const mouth = onsetTimes(ta.input, (f) => f.t - 20);
  const ear = onsetTimes(tb.output, (f) => f.t);
  const lat: number[] = [];
  const pairs: [mouth: number, ear: number][] = [];
  for (const m of mouth) {
    const e = ear.find((x) => x >= m && x < m + 400);
    if (e === undefined) continue;
    lat.push(e - m);
    pairs.push([m, e]);
  }
  lat.sort((x, y) => x - y);
  const fmt = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(1)} ms`);
  console.log(
    `mouth-to-ear, browser → server → browser (WebSocket media, ${talker.encoder} Opus), loopback, ${SECONDS} s` +
      (minDelay === null ? '' : `, listener's jitter-buffer floor ${minDelay} ms`),
  );
  console.log(`  clicks matched      ${lat.length} of ${mouth.length}`);
  console.log(`  median              ${fmt(quantile(lat, 0.5))}`);
  console.log(`  p95                 ${fmt(quantile(lat, 0.95))}`);
  console.log(`  min / max           ${fmt(lat[0])} / ${fmt(lat.at(-1))}`);
  console.log(
    `  + the device's own output latency (AudioContext.outputLatency): ${listener.outputLatencyMs.toFixed(1)} ms; baseLatency ${listener.baseLatencyMs.toFixed(1)} ms`,
  );
  // The listener's side, from its trace: arrived → popped (jitter buffer) → played (handed to the output ring).
  const ev = parseTrace(tb.trace).events;
  const arrived = new Map<number, number>();
  const popped = new Map<number, number>();
  for (const e of ev) {
    if (e.ev === 'arrived') arrived.set(e.seq, e.t);
    else if (e.ev === 'popped') popped.set(e.seq, e.t);
  }
  const jb: number[] = [];
  for (const e of ev)
    if (e.ev === 'played' && arrived.has(e.seq) && popped.has(e.seq))
      jb.push(popped.get(e.seq)! - arrived.get(e.seq)!);
  jb.sort((x, y) => x - y);
  console.log(
    `  listener's jitter buffer (arrived → popped): median ${fmt(quantile(jb, 0.5))}, p95 ${fmt(quantile(jb, 0.95))} over ${jb.length} frames`,
  );
  // Each click, split at the frame that played its onset: mouth → arrived → popped → ear.
  const plays = ev.filter((e) => e.ev === 'played').sort((x, y) => x.t - y.t);
  const toArrive: number[] = [];
  const waited: number[] = [];
  const toEar: number[] = [];
  for (const [m, e] of pairs) {
    const p = plays.findLast((x) => x.t <= e + 0.01);
    const at = p === undefined ? undefined : arrived.get(p.seq);
    const pop = p === undefined ? undefined : popped.get(p.seq);
    if (at === undefined || pop === undefined) continue;
    toArrive.push(at - m);
    waited.push(pop - at);
    toEar.push(e - pop);
  }
  // Where the jitter comes from: each packet's delay beyond the fastest of the run (its arrival
  // minus its send time), when B's page got it and when B's worklet did.
  const ts0 = tb.packets[0]?.[1] ?? 0;
  const sendMs = (ts: number): number => ((ts - ts0) >>> 0) / 48;
  const relative = (xs: number[]): string => {
    const min = Math.min(...xs);
    const r = xs.map((x) => x - min).sort((x, y) => x - y);
    return `q50 ${fmt(quantile(r, 0.5))}, q97 ${fmt(quantile(r, 0.97))}, max ${fmt(r.at(-1))}`;
  };
  const atPage = tb.packets.map(([, ts, t]) => t - sendMs(ts));
  const atWorklet = tb.packets.flatMap(([seq, ts]) => {
    const t = arrived.get(seq);
    return t === undefined ? [] : [t - sendMs(ts)];
  });
  console.log(`  relative delay of the packets at B's page:    ${relative(atPage)}`);
  console.log(`  relative delay of the packets in B's worklet: ${relative(atWorklet)}`);
  const med = (xs: number[]): string =>
    fmt(
      quantile(
        [...xs].sort((x, y) => x - y),
        0.5,
      ),
    );
  console.log(
    `  per click (median of ${toArrive.length}): mouth → in B's worklet ${med(toArrive)}, jitter buffer ${med(waited)}, popped → ear ${med(toEar)}`,
  );
  const during = (k: string): number => (tb.counts.playout?.[k] ?? 0) - (tb.atRecord?.[k] ?? 0);
  console.log(
    `  listener, while measured: ${during('played')} frames played, ${during('concealed')} concealed, ` +
      `${during('accelerated')} accelerated, ${during('stretched')} stretched (${((during('samplesRemoved') - during('samplesAdded')) / 48).toFixed(0)} ms net removed)`,
  );
  console.log(`  listener: ${JSON.stringify(tb.stats)}`);
  console.log(`  listener: ${JSON.stringify(tb.counts)}`);
} finally {
  await Promise.all([ba.close(), bb.close()]);
  server.kill('SIGTERM');
  site.close();
  rmSync(dir, { recursive: true, force: true });
}
