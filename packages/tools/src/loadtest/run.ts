/**
 * `runLoadTest`: simulated participants join a server for real, speak on
 * one shared drift-free clock for a fixed time, and the run reports what
 * they measured next to what the server measured (docs/loadtest.md).
 *
 * The phases, each in phases/ and each bounded, share one `RunState`
 * (phases/state.ts) and hand their results on as values:
 *
 *   prepareRun    plan.ts      options, the server answers, the admin token, the tone, the UDP target
 *   joinAll       join.ts      the ramp-up: connect, hello, create or join the channels
 *   arrange       window.ts    who sends and pings on which tick
 *   takeBaseline  window.ts    the server's metrics, the host's UDP counters, the participants' counters
 *   measureWindow window.ts    speakers send, everyone pings, the sampler records the timeline
 *   drain         drain.ts     the last copies arrive; the server's metrics again, until both sides agree
 *   assembleReport assemble.ts the report, from the above alone (pure)
 *   teardown      (below)      every participant closed, the last background metrics read awaited
 */
import type { LoadTestOptions } from './options.js';
import type { LoadReport } from './report.js';
import { assembleReport } from './phases/assemble.js';
import { drain } from './phases/drain.js';
import { joinAll } from './phases/join.js';
import { prepareRun } from './phases/plan.js';
import { countersOf, createRunState, type LoadTestHooks, type RunState } from './phases/state.js';
import { arrange, LOOP_RESOLUTION_MS, measureWindow, takeBaseline } from './phases/window.js';

export type { LoadProgress, LoadTestHooks } from './phases/state.js';

/** Runs one load test against a running server; resolves with its report once every participant has left. */
export async function runLoadTest(options: LoadTestOptions, hooks: LoadTestHooks = {}): Promise<LoadReport> {
  const { setup, metrics } = await prepareRun(options);
  const state = createRunState(setup, metrics, hooks);
  try {
    const joinSeconds = await joinAll(state);
    const schedule = arrange(state);
    const baseline = await takeBaseline(state);
    const window = await measureWindow(state, schedule, baseline);
    const drained = await drain(state, baseline, window.seconds);
    return assembleReport({
      options: setup.options,
      startedAt: setup.startedAt,
      serverVersion: setup.serverVersion,
      joined: state.roster.joined,
      speakers: schedule.speakers,
      failed: state.roster.failed,
      failures: state.roster.failures,
      joinSeconds,
      counters: { base: baseline.counters, end: countersOf(state.totals) },
      latencyUs: state.totals.latency,
      rttUs: state.totals.rtt,
      window,
      server: {
        before: baseline.server,
        end: window.serverEnd,
        after: drained.serverAfter,
        polls: window.serverPolls,
        skipped: metrics.skippedReason,
      },
      hostUdp: { before: baseline.udp, after: drained.udp },
      generator: {
        cpu: window.cpu,
        loopDelayNs: window.loopDelayNs,
        loopResolutionMs: LOOP_RESOLUTION_MS,
        rssBytes: process.memoryUsage().rss,
      },
    });
  } finally {
    await teardown(state);
  }
}

/** Closes every participant (joined or not) and waits for a metrics read still in flight: no socket or timer is left. */
async function teardown(state: RunState): Promise<void> {
  state.progress({ phase: 'closing' });
  await Promise.all(state.roster.all.map((p) => p.close()));
  await state.metrics.idle();
}
