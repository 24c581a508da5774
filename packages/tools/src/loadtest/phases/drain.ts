/**
 * Phase 4, the drain: after the last send, wait until the participants
 * have received nothing for a while (bounded), then read the server's
 * metrics again — and, while the server's counts and the participants'
 * still disagree and still move (a stalled relay catching up), read again
 * a few times. Ends with the host's UDP counters.
 */
import { readUdpCounters, type UdpCounters } from '../host.js';
import type { ServerMetrics } from '../server-metrics.js';
import { sleep, type RunState } from './state.js';
import type { Baseline } from './window.js';

const DRAIN_QUIET_MS = 300;
const DRAIN_MAX_MS = 3_000;
/** Extra metrics reads at most while the clients' and the server's counts still converge. */
const SETTLE_READS = 5;

export interface DrainResult {
  /** The server's metrics once the traffic settled (null when the baseline read had none). */
  readonly serverAfter: ServerMetrics | null;
  readonly udp: UdpCounters | null;
}

/** Waits until no packet arrived for DRAIN_QUIET_MS, at most DRAIN_MAX_MS. */
async function untilQuiet(state: RunState): Promise<void> {
  const { totals } = state;
  const start = performance.now();
  let seen = totals.packetsReceived;
  let quietSince = performance.now();
  while (performance.now() - start < DRAIN_MAX_MS) {
    await sleep(50);
    if (totals.packetsReceived !== seen) {
      seen = totals.packetsReceived;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= DRAIN_QUIET_MS) break;
  }
}

/**
 * Re-reads the server's metrics while its packets in/out differ from the
 * participants' sent/received and something still moved (at most SETTLE_READS).
 */
async function settle(
  state: RunState,
  baseline: Baseline,
  first: ServerMetrics | null,
): Promise<ServerMetrics | null> {
  const { totals } = state;
  const before = baseline.server;
  const sent = totals.packetsSent - baseline.counters.packetsSent;
  let after = first;
  for (let k = 0; k < SETTLE_READS && before !== null && after !== null; k++) {
    const m: ServerMetrics = after;
    const received = totals.packetsReceived;
    const agree =
      m.media.packetsIn - before.media.packetsIn === sent &&
      m.media.packetsOut - before.media.packetsOut === received - baseline.counters.packetsReceived;
    if (agree) break;
    await sleep(DRAIN_QUIET_MS);
    const again = await state.metrics.read();
    if (again === null) break;
    after = again;
    const moved =
      again.media.packetsIn !== m.media.packetsIn ||
      again.media.packetsOut !== m.media.packetsOut ||
      totals.packetsReceived !== received;
    if (!moved) break;
  }
  return after;
}

/** Lets the last copies arrive, then takes the closing readings. */
export async function drain(
  state: RunState,
  baseline: Baseline,
  windowSeconds: number,
): Promise<DrainResult> {
  state.progress({ phase: 'draining', elapsedS: windowSeconds });
  await untilQuiet(state);
  const first = baseline.server === null ? null : await state.metrics.read();
  const serverAfter = await settle(state, baseline, first);
  const udp = await readUdpCounters();
  return { serverAfter, udp };
}
