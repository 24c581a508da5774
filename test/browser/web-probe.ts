/**
 * The web app's measuring point (apps/web/src/voice/probe.ts) on the test
 * side: `installProbe` defines `window.parleyProbe` in every page of a
 * context before the app starts, and keeps (bounded) what the app hands it —
 * each frame given to the output (its level, when, how much output was
 * queued ahead of it, and its samples), each captured frame, the receiver's
 * per-frame trace — and every click, with the time of its input event. Times
 * are `performance.timeOrigin + performance.now()` (ms); `clockOffset`
 * checks that a page's clock agrees with this process's.
 */
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { SpawnedServer } from '../helpers/processes.js';
import { joinAsGuest, launchWithWav, newAppPage, RAW_AUDIO, soxSilence, startAppServer } from './web-app.js';

export type ProbeSource = 'call' | 'mic-test';

/** One frame handed to an output. */
export interface ProbedFrame {
  source: ProbeSource;
  /** When it was handed to the output (wall-clock ms). */
  t: number;
  /** Output already queued ahead of it (ms): it is heard about this much after `t`. */
  aheadMs: number;
  /** RMS level, dBFS (−200 for digital silence). */
  db: number;
}

/** One captured frame of the call's microphone (after RNNoise). */
export interface ProbedInput {
  t: number;
  sent: boolean;
  db: number;
}

export interface ProbedTrace {
  ev: string;
  ssrc: number;
  seq: number;
  t: number;
}

export interface ProbedClick {
  /** `performance.timeOrigin + event.timeStamp`: when the input event was made. */
  t: number;
  /** The accessible name of the button clicked ('' for anything else). */
  label: string;
}

/** Frames, inputs and trace events kept at most per page (the oldest go first): 60 s of 20 ms frames. */
const MAX_KEPT = 3000;

interface Probed {
  out: ProbedFrame[];
  samples: Int16Array[];
  inputs: ProbedInput[];
  trace: ProbedTrace[];
  clicks: ProbedClick[];
}

/** Installs the probe in every page `context` opens from now on. */
export async function installProbe(context: BrowserContext): Promise<void> {
  await context.addInitScript((max: number) => {
    const wall = () => performance.timeOrigin + performance.now();
    const keep = <T>(list: T[], v: T) => {
      list.push(v);
      if (list.length > max + 500) list.splice(0, 500);
    };
    const dbOf = (x: ArrayLike<number>, scale: number) => {
      let sum = 0;
      for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
      const rms = Math.sqrt(sum / Math.max(1, x.length)) / scale;
      return rms > 0 ? 20 * Math.log10(rms) : -200;
    };
    const probed: Probed = { out: [], samples: [], inputs: [], trace: [], clicks: [] };
    const g = globalThis as unknown as { parleyProbe: unknown; parleyProbed: Probed };
    g.parleyProbed = probed;
    g.parleyProbe = {
      output(source: ProbeSource, frame: Int16Array, info: { t: number; aheadMs: number }) {
        keep(probed.out, { source, t: info.t, aheadMs: info.aheadMs, db: dbOf(frame, 32768) });
        keep(probed.samples, frame.slice());
      },
      input(pcm: Float32Array, info: { t: number; sent: boolean }) {
        keep(probed.inputs, { t: info.t, sent: info.sent, db: dbOf(pcm, 1) });
      },
      tracer: {
        now: wall,
        mark(ev: string, ssrc: number, seq: number, t?: number) {
          keep(probed.trace, { ev, ssrc, seq, t: t ?? wall() });
        },
      },
    };
    addEventListener(
      'click',
      (e) => {
        const b = (e.target as Element | null)?.closest?.('button');
        const label = b?.getAttribute('aria-label') ?? b?.textContent ?? '';
        keep(probed.clicks, { t: performance.timeOrigin + e.timeStamp, label: label.trim() });
      },
      true,
    );
  }, MAX_KEPT);
}

/** The frames `page` handed to `source`'s output at or after `since`. */
export function outputFrames(
  page: Page,
  since: number,
  source: ProbeSource = 'call',
): Promise<ProbedFrame[]> {
  return page.evaluate(
    ([s, src]) =>
      (globalThis as unknown as { parleyProbed: Probed }).parleyProbed.out.filter(
        (f) => f.t >= s && f.source === src,
      ),
    [since, source] as const,
  );
}

/** The samples of the frames `page` handed to `source`'s output in [from, to) (wall-clock ms). */
export async function outputSamples(
  page: Page,
  from: number,
  to: number,
  source: ProbeSource = 'call',
): Promise<Int16Array> {
  const b64 = await page.evaluate(
    ([f, t, src]) => {
      const p = (globalThis as unknown as { parleyProbed: Probed }).parleyProbed;
      const picked = p.out
        .map((o, i) => ({ o, x: p.samples[i]! }))
        .filter(({ o }) => o.source === src && o.t >= f && o.t < t);
      const all = new Int16Array(picked.reduce((n, { x }) => n + x.length, 0));
      let at = 0;
      for (const { x } of picked) {
        all.set(x, at);
        at += x.length;
      }
      const bytes = new Uint8Array(all.buffer);
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000)
        s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    },
    [from, to, source] as const,
  );
  const buf = Buffer.from(b64, 'base64');
  return new Int16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

/** The call's captured frames at or after `since`. */
export function inputFrames(page: Page, since: number): Promise<ProbedInput[]> {
  return page.evaluate(
    (s) => (globalThis as unknown as { parleyProbed: Probed }).parleyProbed.inputs.filter((f) => f.t >= s),
    since,
  );
}

/** The receiver's trace events at or after `since`. */
export function traceEvents(page: Page, since: number): Promise<ProbedTrace[]> {
  return page.evaluate(
    (s) => (globalThis as unknown as { parleyProbed: Probed }).parleyProbed.trace.filter((e) => e.t >= s),
    since,
  );
}

/** The clicks made in `page`, oldest first. */
export function clicks(page: Page): Promise<ProbedClick[]> {
  return page.evaluate(() => (globalThis as unknown as { parleyProbed: Probed }).parleyProbed.clicks);
}

/** This process's wall clock, as the pages compute theirs. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A page's wall clock now (ms). */
export function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => performance.timeOrigin + performance.now());
}

/**
 * How far `page`'s clock is from this process's: read between two readings
 * of ours, several times; the tightest bracket gives `offset` (page − ours)
 * within ± `uncertainty`.
 */
export async function clockOffset(page: Page, tries = 8): Promise<{ offset: number; uncertainty: number }> {
  let best = { offset: 0, uncertainty: Infinity };
  for (let i = 0; i < tries; i++) {
    const t0 = wallMs();
    const tp = await pageNow(page);
    const t1 = wallMs();
    if ((t1 - t0) / 2 < best.uncertainty) best = { offset: tp - (t0 + t1) / 2, uncertainty: (t1 - t0) / 2 };
  }
  return best;
}

/** Waits until `page` has handed `n` frames to `source`'s output after `after` (its clock); returns them. */
export async function waitOutputFrames(
  page: Page,
  source: ProbeSource,
  after: number,
  n: number,
  timeout = 20_000,
): Promise<ProbedFrame[]> {
  await page.waitForFunction(
    ([src, a, k]) =>
      (globalThis as unknown as { parleyProbed: Probed }).parleyProbed.out.filter(
        (f) => f.source === src && f.t > a,
      ).length >= k,
    [source, after, n] as const,
    { timeout },
  );
  return (await outputFrames(page, after, source)).filter((f) => f.t > after).slice(0, n);
}

/** Two people in Lobby, each in a Chromium of its own, both probed. */
export interface ProbedCall {
  server: SpawnedServer;
  /** Talks all the time (voice mode "open"): its microphone plays the WAV given. */
  ana: Page;
  /** Listens: its microphone is silent. */
  bob: Page;
  close(): Promise<void>;
}

/** A server with the app, and ana (microphone `micWav`) and bob (silence) joined as guests; the browser's own processing off. */
export async function startProbedCall(dir: string, micWav: string): Promise<ProbedCall> {
  const server = await startAppServer(join(dir, 'data'));
  const browsers: Browser[] = await Promise.all([
    launchWithWav(micWav),
    launchWithWav(soxSilence(join(dir, 'silence.wav'))),
  ]);
  const open = async (b: Browser, name: string, prefs: Record<string, unknown>): Promise<Page> => {
    const { page, context } = await newAppPage(b, { prefs });
    await installProbe(context);
    await joinAsGuest(page, server.url, name);
    return page;
  };
  const bob = await open(browsers[1]!, 'bob', RAW_AUDIO);
  const ana = await open(browsers[0]!, 'ana', { ...RAW_AUDIO, mode: 'open' });
  return {
    server,
    ana,
    bob,
    close: async () => {
      for (const b of browsers) await b.close();
      await server.stop();
    },
  };
}
