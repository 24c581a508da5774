/**
 * "Mute stops A's audio at B within 100 ms" (issue 11), end to end in the
 * web app: from A's click on Mute, on A's clock, to the end of A's sound in
 * what B plays, on B's clock.
 *
 * What is counted: the click's input event (`event.timeStamp`) → the app's
 * handler → the engine's cut (docs/protocol.md, "Cut by mute": one empty
 * `TALK_END | CUT` packet, sent at once) → the WebSocket → the server's
 * relay → B's WebSocket → B's playout worklet, which drops what it holds of
 * A and fades the frame being played out over 2.5 ms → B's output tap
 * (apps/web/src/voice/probe.ts): the sound ends with the last 1 ms window at
 * or above −60 dBFS, timed from when its frame was handed to the output.
 * Not counted: what B's output had queued ahead (`aheadMs`, reported) and
 * the device's own latency after the AudioContext.
 *
 * Both browsers run on this machine: `performance.timeOrigin +
 * performance.now()` is one wall clock for every process. The test checks
 * it rather than trusting it: each page's clock is read between two readings
 * of this process's, and the offsets found (± half the bracket) are taken
 * out of the difference and their uncertainty added to it. B's sound is
 * timed on its worklet's clock, mapped to the wall clock up to a device
 * callback early (playout/clock-map.ts): that too is added.
 *
 * Before the cut, B played out what its jitter buffer held of A (20–115 ms
 * on a loaded machine), and the issue's bound held for the median only
 * (docs/benchmarks.md, "Mute: click to silence"); it is now held for every
 * cycle, less the time the machine did not run us: a 5 ms heartbeat in
 * each page and in this process records every stall (one CI run, with two
 * other browser suites beside it, had a cycle of 129 ms whose cut spent
 * 127 ms on its way: a starved machine, not the mute). The stalls are
 * printed, and at most a quarter of the cycles may need them.
 *
 *   A "ana": a 440 Hz tone, always, voice mode "open" (talks all the time)
 *   B "bob": silence (listens)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { rmsDbfs } from '@parley/client';
import { adminToken, rest, soxTone } from './web-app.js';
import {
  clicks,
  clockOffset,
  outputFrames,
  outputSamples,
  startProbedCall,
  traceEvents,
  type ProbedCall,
  type ProbedFrame,
} from './web-probe.js';

/** Mute/unmute cycles measured. */
const CYCLES = 12;
/**
 * Frames (20 ms) of A that B plays before the first cycle: 5 s, longer than
 * the jitter buffer's 4 s window (docs/playout.md), so that what is
 * measured is a call's steady state, not what the buffer learned from the
 * pages' start-up (loading, compiling: one CI run held the first cycle's
 * TALK_END 84 ms, the eleven after it 4–60 ms).
 */
const WARMUP_FRAMES = 250;
/** The bound of the issue. */
const BOUND_MS = 100;
/** B's output frames louder than this carry A's tone (−9 dBFS RMS sent). */
const LOUD_DB = -30;
/** Quieter than this, B's output frame (or a 1 ms window of it) is silent. */
const SILENT_DB = -60;
/**
 * The most the sound may go on after the cut reached B's worklet (ms): the
 * render quantum it arrived in (2.7 ms), the fade (2.5 ms), the 1 ms windows
 * of the measure, and 3 ms for the two timings' own rounding. Nothing B
 * held of A is in it: a held frame is 20 ms.
 */
const CUT_TAIL_MS = 10;
/** How early a worklet time can look on the wall clock (one device callback: playout/clock-map.ts). */
const WORKLET_CLOCK_MS = 12;
/** The heartbeat's period, and the lateness from which a firing counts as a stall (ms). */
const HEARTBEAT_MS = 5;
const STALL_MIN_MS = 10;
/** Frames of each state waited for: 500 ms. */
const RUN = 25;
/** Samples per output frame (20 ms at 48 kHz) and per 1 ms window. */
const FRAME = 960;
const MS = 48;

interface Cycle {
  /** Click on Mute → the end of A's sound in B's output (corrected for the clocks' offsets). */
  silentMs: number;
  /** That, plus the clocks' uncertainty (the pages' offsets, the worklet's mapping): what is held to the bound. */
  worstMs: number;
  /** Click → A's cut arriving at B's worklet. */
  arrivedMs: number;
  /** From the cut's arrival to the end of A's sound (the quantum and the fade). */
  tailMs: number;
  /** Frames of A that B started playing after the cut had arrived (none: it dropped what it held). */
  playedAfterCut: number;
  /** Output queued ahead at B when the sound ended (heard that much later; not counted). */
  aheadMs: number;
  /** The longest stall of A's page, B's page or this process during the cycle (ms; 0: none). */
  stallMs: number;
}

/** A heartbeat fired `late` ms after it was due, at `t` (wall clock, ms): nothing of that process ran meanwhile. */
interface Stall {
  t: number;
  late: number;
}

/** A heartbeat in a page, recording its stalls in `parleyStalls`. */
function pageHeartbeat(page: Page): Promise<void> {
  return page.evaluate(
    ([period, min]) => {
      const g = globalThis as unknown as { parleyStalls: { t: number; late: number }[] };
      g.parleyStalls = [];
      let last = performance.now();
      setInterval(() => {
        const now = performance.now();
        const late = now - last - period;
        if (late >= min) g.parleyStalls.push({ t: performance.timeOrigin + now, late });
        last = now;
      }, period);
    },
    [HEARTBEAT_MS, STALL_MIN_MS] as const,
  );
}

/** The longest of `stalls` that overlaps [from, to]. */
function longestStall(stalls: Stall[], from: number, to: number): number {
  let m = 0;
  for (const s of stalls) if (s.t > from && s.t - s.late < to) m = Math.max(m, s.late);
  return m;
}

/** Waits until `page`'s last RUN output frames are all loud, or all silent, and the oldest of them is after `after`. */
async function waitOutputRun(page: Page, state: 'loud' | 'silent', after: number): Promise<void> {
  await page.waitForFunction(
    ([st, n, loud, silent, a]) => {
      const out = (
        globalThis as unknown as { parleyProbed: { out: { source: string; t: number; db: number }[] } }
      ).parleyProbed.out.filter((f) => f.source === 'call');
      const last = out.slice(-n);
      return (
        last.length === n &&
        last[0]!.t > a &&
        last.every((f) => (st === 'loud' ? f.db > loud : f.db < silent))
      );
    },
    [state, RUN, LOUD_DB, SILENT_DB, after] as const,
    { timeout: 10_000 },
  );
}

/**
 * Where the sound ends in `frames` (one output frame each, `FRAME` samples
 * of `x`): the end of the last 1 ms window at or above SILENT_DB, as a time
 * on the output's clock (the frame's `t` plus the samples before it), and
 * the output queued ahead then. −1 when nothing is above.
 */
function soundEnd(
  frames: ProbedFrame[],
  x: Int16Array,
): { t: number; aheadMs: number; frame: number } | null {
  for (let w = Math.floor(x.length / MS) - 1; w >= 0; w--) {
    if (rmsDbfs(x.subarray(w * MS, (w + 1) * MS)) < SILENT_DB) continue;
    const i = Math.floor((w * MS) / FRAME);
    const f = frames[i]!;
    return { t: f.t + ((w + 1) * MS - i * FRAME) / MS, aheadMs: f.aheadMs, frame: i };
  }
  return null;
}

const median = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)]!;
const fmt = (x: number[]) =>
  `min ${Math.min(...x).toFixed(0)} · median ${median(x).toFixed(0)} · max ${Math.max(...x).toFixed(0)} ms`;

describe('web app: mute timing, click to silence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-web-mute-'));
  let call: ProbedCall;
  let ana: Page;
  let bob: Page;

  /** This process's own heartbeat and stalls. */
  const ownStalls: Stall[] = [];
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  beforeAll(async () => {
    call = await startProbedCall(dir, soxTone(join(dir, 'a440.wav'), 440, 20));
    ({ ana, bob } = call);
    await Promise.all([pageHeartbeat(ana), pageHeartbeat(bob)]);
    let last = performance.now();
    heartbeat = setInterval(() => {
      const now = performance.now();
      const late = now - last - HEARTBEAT_MS;
      if (late >= STALL_MIN_MS) ownStalls.push({ t: performance.timeOrigin + now, late });
      last = now;
    }, HEARTBEAT_MS);
  }, 90_000);

  afterAll(async () => {
    clearInterval(heartbeat);
    await call?.close();
  });

  it("both pages' clocks agree with this process's (within the reading's uncertainty)", async () => {
    for (const page of [ana, bob]) {
      const c = await clockOffset(page);
      console.log(`clock offset ${c.offset.toFixed(2)} ± ${c.uncertainty.toFixed(2)} ms`);
      // Chromium rounds performance.now() to 0.1 ms: 1 ms of slack on top of the bracket.
      expect(Math.abs(c.offset)).toBeLessThanOrEqual(c.uncertainty + 1);
    }
  });

  const cycles: Cycle[] = [];

  it(`mute's own part, ${CYCLES} cycles: A's cut reaches B and ends A's sound there at once`, async () => {
    await bob.waitForFunction(
      ([n, loud]) =>
        (
          globalThis as unknown as { parleyProbed: { out: { source: string; db: number }[] } }
        ).parleyProbed.out.filter((f) => f.source === 'call' && f.db > loud).length >= n,
      [WARMUP_FRAMES, LOUD_DB] as const,
      { timeout: 30_000 },
    );
    for (let i = 0; i < CYCLES; i++) cycles.push(await muteOnce());
    const col = (k: keyof Cycle) => cycles.map((c) => c[k]);
    console.log(
      [
        `mute, click → A's sound ends at B's output (${CYCLES} cycles): ${fmt(col('silentMs'))}`,
        `  with the clocks' uncertainty (the pages' offsets, the worklet's ${WORKLET_CLOCK_MS} ms): ${fmt(col('worstMs'))}`,
        `  click → A's cut arrives at B: ${fmt(col('arrivedMs'))}`,
        `  the cut's arrival → the sound ends: ${fmt(col('tailMs'))}`,
        `  B's output queued ahead when the sound ended (not counted): ${fmt(col('aheadMs'))}`,
        `  the longest stall of a page or this process during the cycle: ${fmt(col('stallMs'))}`,
        `  each (arrived + tail): ${cycles.map((c) => `${c.silentMs.toFixed(0)} (${c.arrivedMs.toFixed(1)}+${c.tailMs.toFixed(1)})`).join(', ')}`,
      ].join('\n'),
    );
    // The server dropped none of A's packets as muted: the state went out after the cut.
    const stats = await rest<{ media: { drops: Record<string, number> } }>(
      call.server.url,
      'GET',
      '/stats',
      await adminToken(call.server.url),
    );
    expect(stats.media.drops.muted).toBe(0);
    for (const c of cycles) {
      // The cut got there, nothing B held of A was played after it, and A's sound ended with the
      // fade (no frame played out, nothing concealed: each would be 20 ms more).
      // (The worklet's times reach the wall clock through ClockMap, aligned on the device's
      // callbacks: up to one callback, ~10 ms, early. So the cut may seem to arrive before the click.)
      expect(c.arrivedMs).toBeGreaterThan(-WORKLET_CLOCK_MS);
      expect(c.playedAfterCut).toBe(0);
      // (Its two ends are worklet times mapped to the wall clock in two messages, the map moving
      // by a millisecond or so between them.)
      expect(c.tailMs).toBeGreaterThan(-3);
      expect(c.tailMs).toBeLessThanOrEqual(CUT_TAIL_MS);
    }
  }, 180_000);

  it(`A's click on Mute ends A's sound at B's output within ${BOUND_MS} ms, every time (less the machine's stalls)`, () => {
    expect(cycles).toHaveLength(CYCLES);
    // Counted: everything from the click's input event to the end of the sound B's engine hands
    // its output, plus the clocks' uncertainty; not counted: B's output queue and device (`aheadMs`).
    for (const c of cycles) expect(c.worstMs - c.stallMs).toBeLessThanOrEqual(BOUND_MS);
    const excused = cycles.filter((c) => c.worstMs > BOUND_MS);
    for (const c of excused)
      console.log(`a cycle of ${c.worstMs.toFixed(0)} ms, with a stall of ${c.stallMs.toFixed(0)} ms in it`);
    expect(excused.length).toBeLessThanOrEqual(CYCLES / 4);
  });

  /** Unmuted and heard; click Mute; measure; unmute. */
  async function muteOnce(): Promise<Cycle> {
    const [offA, offB] = await Promise.all([clockOffset(ana), clockOffset(bob)]);
    // A is heard at B: half a second of its tone.
    await waitOutputRun(bob, 'loud', -Infinity);
    const before = (await clicks(ana)).length;
    await ana.getByRole('button', { name: 'Mute', exact: true }).click();
    const click = (await clicks(ana)).slice(before).find((c) => c.label === 'Mute');
    expect(click).toBeDefined();
    // The click on B's clock.
    const clickAtB = click!.t - offA.offset + offB.offset;
    await waitOutputRun(bob, 'silent', clickAtB);
    const frames = await outputFrames(bob, clickAtB - 500);
    const x = await outputSamples(bob, frames[0]!.t, frames.at(-1)!.t + 0.001);
    expect(x.length).toBe(frames.length * FRAME);
    const end = soundEnd(frames, x);
    // A was heard at the click, and the silence after it is the mute's.
    expect(end).not.toBeNull();
    expect(frames[end!.frame]!.t).toBeGreaterThan(clickAtB - 100);
    const silentMs = end!.t - clickAtB;
    // B's side: A's last packets, the cut's two copies (B hears only A), and what of A was played after.
    const trace = await traceEvents(bob, clickAtB - 1000);
    // The cut goes out twice, back to back (seq n, n + 1): it acts on the first to arrive.
    const arrivals = trace.filter((e) => e.ev === 'arrived');
    const last = arrivals.at(-1);
    const cut =
      arrivals.find((e) => last !== undefined && e.ssrc === last.ssrc && e.seq === last.seq - 1) ?? last;
    const playedAfterCut = trace.filter(
      (e) => e.ev === 'played' && cut !== undefined && e.ssrc === cut.ssrc && e.t > cut.t,
    ).length;
    const stalls = await Promise.all(
      [ana, bob].map((p) =>
        p.evaluate(() => (globalThis as unknown as { parleyStalls: Stall[] }).parleyStalls),
      ),
    );
    const stallMs = Math.max(
      ...[...stalls, ownStalls].map((s) => longestStall(s, clickAtB - HEARTBEAT_MS, end!.t)),
    );
    await ana.getByRole('button', { name: 'Unmute' }).click();
    await ana.getByRole('button', { name: 'Mute', exact: true }).waitFor();
    return {
      stallMs,
      silentMs,
      // B's sound is timed on its worklet's clock, which reaches the wall clock up to a device
      // callback early: that is added too, so that what is held to the bound is not less than the truth.
      worstMs: silentMs + offA.uncertainty + offB.uncertainty + WORKLET_CLOCK_MS,
      arrivedMs: cut === undefined ? NaN : cut.t - clickAtB,
      tailMs: cut === undefined ? NaN : end!.t - cut.t,
      playedAfterCut,
      aheadMs: end!.aheadMs,
    };
  }
});
