/**
 * Phase 3, the measured window: the schedule (which speaker sends and who
 * pings on which 5 ms tick), the baseline every figure is a difference
 * from (the server's metrics, the host's UDP counters, the participants'
 * counters), then the window itself — speakers send on one drift-free
 * clock, everyone pings once a second, the sampler records the timeline —
 * with the load generator's own CPU and event-loop delay over it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { FRAME_MS } from '@parley/protocol';
import { FrameClock } from '@parley/client';
import { readUdpCounters, type UdpCounters } from '../host.js';
import type { Participant } from '../participant.js';
import type { TimelinePoint } from '../report.js';
import type { ServerMetrics } from '../server-metrics.js';
import { Sampler } from './sampler.js';
import type { ServerPoll } from './server-window.js';
import { countersOf, type Counters, type RunState } from './state.js';

/** Sub-slots of a 20 ms frame (FRAME_MS): speakers are spread over them so they do not all send at the same instant. */
const SLOTS = 4;
const TICK_MS = FRAME_MS / SLOTS;
/** Every participant sends one media PING per second, spread over the ticks. */
const PING_TICKS = 1000 / TICK_MS;
/** Resolution of the generator's event-loop delay monitor (taken off its figures in the report). */
export const LOOP_RESOLUTION_MS = 10;

/** Who sends on which tick. */
export interface Schedule {
  /** The joined speakers, by index. */
  readonly speakers: readonly Participant[];
  /** Speakers by sub-slot of the frame (tick mod SLOTS). */
  readonly speakerSlots: readonly (readonly Participant[])[];
  /** Participants by ping tick (tick mod PING_TICKS). */
  readonly pingSlots: readonly (readonly Participant[])[];
}

/** What every figure of the window is a difference from. */
export interface Baseline {
  /** The server's metrics before the window (null without a token, or when the read failed). */
  readonly server: ServerMetrics | null;
  readonly udp: UdpCounters | null;
  readonly counters: Counters;
}

export interface WindowResult {
  /** Length of the window, > 0. */
  readonly seconds: number;
  /** Cut short by the caller's signal. */
  readonly aborted: boolean;
  readonly clockSkippedTicks: number;
  readonly timeline: TimelinePoint[];
  readonly serverPolls: ServerPoll[];
  /** The server's metrics at the end of the window (its CPU figure covers the sending, not the drain). */
  readonly serverEnd: ServerMetrics | null;
  /** The load generator over the window: its CPU time and event-loop delay (ns, as the monitor gives them). */
  readonly cpu: NodeJS.CpuUsage;
  readonly loopDelayNs: { readonly p99: number; readonly max: number };
}

/** Orders the joined, gives each speaker its starting frame and registers it as a sender, and spreads the sends over the ticks. */
export function arrange(state: RunState): Schedule {
  const speakers = state.roster.arrange();
  const frames = state.setup.frames.length;
  speakers.forEach((s, k) => (s.frameOffset = (k * 37) % frames));
  for (const s of speakers) state.totals.senders.set(s.ssrc, s);
  const speakerSlots: Participant[][] = Array.from({ length: SLOTS }, () => []);
  speakers.forEach((s, k) => speakerSlots[k % SLOTS]?.push(s));
  const pingSlots: Participant[][] = Array.from({ length: PING_TICKS }, () => []);
  state.roster.joined.forEach((p, k) => pingSlots[(k * 7) % PING_TICKS]?.push(p));
  return { speakers, speakerSlots, pingSlots };
}

/** Reads the baseline and starts the RTT period afresh. */
export async function takeBaseline(state: RunState): Promise<Baseline> {
  const server = await state.metrics.read();
  const udp = await readUdpCounters();
  const counters = countersOf(state.totals);
  state.totals.rttPeriod = [];
  return { server, udp, counters };
}

/** Runs the window on one clock; resolves when it is over (or aborted), with the clock stopped. */
export async function measureWindow(
  state: RunState,
  schedule: Schedule,
  baseline: Baseline,
): Promise<WindowResult> {
  const o = state.setup.options;
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const sampler = new Sampler(state, schedule.speakers, baseline.counters);
  const totalTicks = Math.round((o.seconds * 1000) / TICK_MS);
  const ticksPerSample = Math.max(1, Math.round(o.sampleMs / TICK_MS));
  const { clock, aborted } = await runClock(state, schedule, sampler, totalTicks, ticksPerSample);
  const seconds = Math.max(1e-3, (performance.now() - sampler.startedAt) / 1000);
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const serverEnd = await state.metrics.read();
  return {
    seconds,
    aborted,
    clockSkippedTicks: clock.skipped,
    timeline: sampler.timeline,
    serverPolls: sampler.serverPolls,
    serverEnd,
    cpu,
    loopDelayNs: { p99: loop.percentile(99), max: loop.max },
  };
}

/** The clock of the window: tick i sends slot i mod SLOTS's audio and ping slot i mod PING_TICKS's pings. */
function runClock(
  state: RunState,
  schedule: Schedule,
  sampler: Sampler,
  totalTicks: number,
  ticksPerSample: number,
): Promise<{ clock: FrameClock; aborted: boolean }> {
  const { signal } = state;
  const frames = state.setup.frames;
  let sampleIndex = 0;
  return new Promise((resolve) => {
    let done = false;
    const finish = (aborted: boolean): void => {
      if (done) return;
      done = true;
      clock.stop();
      signal?.removeEventListener('abort', onAbort);
      resolve({ clock, aborted });
    };
    const onAbort = (): void => finish(true);
    const clock = new FrameClock({
      periodMs: TICK_MS,
      maxLagFrames: 4 * SLOTS,
      onTick: (i) => {
        if (i >= totalTicks) return finish(false);
        const frame = Math.floor(i / SLOTS);
        for (const s of schedule.speakerSlots[i % SLOTS] ?? []) {
          const f = frames[(frame + s.frameOffset) % frames.length];
          if (f !== undefined) s.sendAudio(f, frame);
        }
        for (const p of schedule.pingSlots[i % PING_TICKS] ?? []) p.sendPing();
        const k = Math.floor((i + 1) / ticksPerSample);
        if (k > sampleIndex) {
          sampleIndex = k;
          sampler.sample();
        }
        if (i + 1 >= totalTicks) finish(false);
      },
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    sampler.start(performance.now());
    if (signal?.aborted === true) onAbort();
    else clock.start();
  });
}
