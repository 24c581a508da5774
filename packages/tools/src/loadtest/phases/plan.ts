/**
 * Phase 1, before anyone joins: resolve and check the options, check that
 * the server answers (and the admin token, if any), encode the tone every
 * speaker sends, resolve the UDP media target; and the plan of who goes
 * where (`plan`).
 */
import { lookup } from 'node:dns/promises';
import { randomBytes } from 'node:crypto';
import { FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE } from '@parley/protocol';
import { toneInt16, OpusEncoder, toWsUrl } from '@parley/client';
import { loadOpusNode } from '@parley/client/node';
import { resolveOptions, type LoadTestOptions, type ResolvedOptions } from '../options.js';
import { checkHealth } from '../server-metrics.js';
import { MetricsReader } from './metrics-reader.js';
import type { RunSetup } from './state.js';

/** Frames of tone (2 s) pre-encoded once and shared by every speaker. */
const TONE_FRAMES = 100;

/** Where participant i goes and what it does. */
export interface Plan {
  channel: number;
  speaker: boolean;
  /** The first participant of a channel creates it (a temporary channel). */
  creator: boolean;
}

/** Participant i: channel i mod C; the first `speakersPerChannel` of each channel speak; the very first creates it. */
export function plan(o: ResolvedOptions, i: number): Plan {
  return {
    channel: i % o.channels,
    speaker: Math.floor(i / o.channels) < o.speakersPerChannel,
    creator: i < o.channels,
  };
}

/** Encodes 2 s of a tone once with the wasm encoder; speakers loop over these bytes. */
async function preEncodedFrames(): Promise<Uint8Array[]> {
  const enc = new OpusEncoder(await loadOpusNode(), { complexity: 5 });
  try {
    const pcm = toneInt16(440, (TONE_FRAMES * FRAME_MS) / 1000, SAMPLE_RATE, -12);
    const frames: Uint8Array[] = [];
    for (let k = 0; k < TONE_FRAMES; k++) {
      frames.push(enc.encode(pcm.subarray(k * FRAME_SAMPLES, (k + 1) * FRAME_SAMPLES)));
    }
    return frames;
  } finally {
    enc.destroy();
  }
}

/**
 * Resolves everything the run needs before the first join; rejects (before
 * anyone joins) on bad options, a server that does not answer, or a token
 * that is not an admin's.
 */
export async function prepareRun(
  options: LoadTestOptions,
): Promise<{ setup: RunSetup; metrics: MetricsReader }> {
  const o = resolveOptions(options);
  const startedAt = new Date().toISOString();
  const serverVersion = await checkHealth(o.server);
  const metrics = await MetricsReader.open(o);
  const frames = await preEncodedFrames();
  const serverHost = new URL(o.server).hostname.replace(/^\[|\]$/g, '');
  const udp =
    o.transport === 'udp' ? await lookup(o.udpTarget?.host ?? serverHost) : { address: '', family: 4 };
  return {
    setup: {
      options: o,
      startedAt,
      serverVersion,
      frames,
      wsUrl: toWsUrl(o.server),
      udp: { address: udp.address, family: udp.family === 6 ? 6 : 4 },
      runId: randomBytes(3).toString('hex'),
    },
    metrics,
  };
}
