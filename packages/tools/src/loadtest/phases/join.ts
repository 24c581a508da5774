/**
 * Phase 2, the ramp-up: every participant connects, says hello and joins
 * its channel (the first of each channel creates it), spread over the ramp
 * and at most `joinConcurrency` at a time. Bounded even when the server
 * stops answering: no join starts after ramp + 60 s + 20 ms per client.
 */
import { Participant } from '../participant.js';
import { plan } from './plan.js';
import { sleep, type RunState } from './state.js';

const JOIN_PHASE_BASE_MS = 60_000;
const JOIN_PHASE_PER_CLIENT_MS = 20;
/** Participants' control requests and UDP handshakes. */
const REQUEST_TIMEOUT_MS = 15_000;
const HANDSHAKE_MS = 5_000;

/** A channel id to come: its creator resolves it, the others wait for it. */
interface ChannelSlot {
  promise: Promise<number>;
  resolve: (id: number) => void;
  reject: (err: unknown) => void;
}

function channelSlot(): ChannelSlot {
  let resolve!: (id: number) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Error code of a failed join (the message when there is none). */
function failureReason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : (err as Error).message;
}

/** Participant i joins (or fails, counted by reason, and is closed at once). */
async function joinOne(state: RunState, slots: readonly ChannelSlot[], i: number): Promise<void> {
  const { options: o, udp, wsUrl, runId } = state.setup;
  const pl = plan(o, i);
  const p = new Participant({
    index: i,
    name: `${o.namePrefix}${i}`,
    wsUrl,
    transport: o.transport,
    udpHost: udp.address,
    udpFamily: udp.family,
    ...(o.udpTarget === undefined ? {} : { udpPort: o.udpTarget.port }),
    totals: state.totals,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    handshakeMs: HANDSHAKE_MS,
  });
  state.roster.add(p);
  const slot = slots[pl.channel];
  try {
    await p.connect();
    if (pl.creator) slot?.resolve(await p.createChannel(`${o.namePrefix}${runId}-${pl.channel}`));
    else await p.join(await (slot?.promise ?? Promise.reject(new Error('no channel'))));
    state.roster.admit(p, pl.speaker);
  } catch (err) {
    if (pl.creator) slot?.reject(err);
    state.roster.fail(failureReason(err));
    await p.close();
  }
  state.progress({ phase: 'joining' });
}

/**
 * Joins every participant; resolves with the seconds it took (first
 * connection to last join). Rejects when nobody could join, naming the
 * most frequent reason.
 */
export async function joinAll(state: RunState): Promise<number> {
  const o = state.setup.options;
  const signal = state.signal;
  const slots = Array.from({ length: o.channels }, channelSlot);
  const joinStart = performance.now();
  const deadline =
    joinStart + o.rampSeconds * 1000 + JOIN_PHASE_BASE_MS + o.clients * JOIN_PHASE_PER_CLIENT_MS;
  const tasks: Promise<void>[] = [];
  let inFlight = 0;
  const waiters: (() => void)[] = [];
  for (let i = 0; i < o.clients && signal?.aborted !== true; i++) {
    if (o.rampSeconds > 0) {
      const due = joinStart + (i * o.rampSeconds * 1000) / o.clients;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait, signal);
    }
    while (inFlight >= o.joinConcurrency) await new Promise<void>((r) => waiters.push(r));
    if (performance.now() > deadline) {
      state.roster.fail('join_phase_timeout', o.clients - i);
      break;
    }
    inFlight++;
    tasks.push(
      joinOne(state, slots, i).finally(() => {
        inFlight--;
        waiters.shift()?.();
      }),
    );
  }
  await Promise.all(tasks);
  const joinSeconds = (performance.now() - joinStart) / 1000;
  if (state.roster.joined.length === 0) {
    const top = state.roster.topFailure();
    throw new Error(`no participant could join${top === undefined ? '' : `: ${top[0]} (${top[1]}×)`}`);
  }
  return joinSeconds;
}
