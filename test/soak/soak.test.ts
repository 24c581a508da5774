/**
 * Soak: for PARLEY_SOAK_SECONDS (npm run soak: 30 min; .ci/run: 2 min),
 * participants keep joining, talking, switching channels and leaving on a
 * real server (in this process, real sockets). After a warm-up the heap
 * (after a full GC) and the RSS stay flat; at the end no session, timer or
 * socket is left and the counters add up. Skipped when PARLEY_SOAK_SECONDS
 * is not set, so `npm test` does not run it.
 */
import { describe, expect, it } from 'vitest';
import { FRAME_MS, FRAME_SAMPLES } from '@parley/protocol';
import { FrameClock, mulberry32, type VoiceClient } from '@parley/client';
import { connectClient } from '../helpers/clients.js';
import { settledResourceBaseline } from '../helpers/leaks.js';
import { startServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const SECONDS = Number(process.env.PARLEY_SOAK_SECONDS ?? 0);
const CLIENTS = Number(process.env.PARLEY_SOAK_CLIENTS ?? 24);
const CHANNELS = ['Lobby', 'Games', 'Music', 'Quiet'];
/** Memory is compared after the first fifth of the run. */
const WARMUP_FRACTION = 0.2;
const SAMPLE_MS = 2_000;

interface Sample {
  at: number;
  heap: number;
  rss: number;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** The median of a list of numbers. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

describe.skipIf(SECONDS <= 0)(`soak: ${CLIENTS} participants for ${SECONDS} s`, () => {
  it(
    'keeps memory flat, leaves nothing behind, and its counters add up',
    async () => {
      expect(typeof (globalThis as { gc?: unknown }).gc, 'run with --expose-gc (npm run soak)').toBe(
        'function',
      );
      const baseline = await settledResourceBaseline({ timers: true });
      const t = await startServer({ channels: CHANNELS.slice(1) });
      const rand = mulberry32(0x50a1c);
      const stats = t.server.plane.stats;
      const start = performance.now();
      const end = start + SECONDS * 1000;
      const samples: Sample[] = [];
      let audioSent = 0;
      let joins = 0;
      let switches = 0;
      let leaves = 0;
      const voice = new Uint8Array(60).fill(0x33);

      /** One participant's life, over and over until the end: connect, join, talk, maybe switch, leave. */
      const life = async (k: number): Promise<void> => {
        while (performance.now() < end - 2_000) {
          // No keepalive HELLOs: the counters below account for every packet as audio (a
          // keepalive in flight when a participant leaves is dropped as unknown_session).
          // Keepalives have their own test (test/integration/nat-rebinding.test.ts).
          const client: VoiceClient = await connectClient(
            t.info.url,
            `soak-${k}`,
            rand() < 0.8 ? 'udp' : 'ws',
            undefined,
            { udpKeepaliveMs: 0 },
          );
          try {
            await client.join(CHANNELS[Math.floor(rand() * CHANNELS.length)]!);
            joins++;
            const turns = 1 + Math.floor(rand() * 3);
            for (let turn = 0; turn < turns && performance.now() < end - 2_000; turn++) {
              // Talk for 1–4 s, one sealed frame per 20 ms on a drift-free clock.
              const frames = Math.round((1000 + rand() * 3000) / FRAME_MS);
              await new Promise<void>((resolve) => {
                const clock = new FrameClock({
                  periodMs: FRAME_MS,
                  onTick: (i) => {
                    if (i >= frames) {
                      clock.stop();
                      resolve();
                      return;
                    }
                    client.sendPacket(client.sealAudio(voice, i * FRAME_SAMPLES));
                    audioSent++;
                  },
                });
                clock.start();
              });
              if (turn + 1 < turns) {
                await client.join(CHANNELS[Math.floor(rand() * CHANNELS.length)]!);
                switches++;
              }
            }
          } finally {
            client.close();
            leaves++;
          }
        }
      };

      const sampler = setInterval(() => {
        gc();
        const m = process.memoryUsage();
        samples.push({ at: performance.now() - start, heap: m.heapUsed, rss: m.rss });
      }, SAMPLE_MS);
      try {
        await Promise.all(Array.from({ length: CLIENTS }, (_, k) => life(k)));
      } finally {
        clearInterval(sampler);
      }

      // Everyone left: no session on the server, and every audio packet sent was routed.
      await waitFor(
        () => t.server.plane.sessionCount === 0,
        () => `sessions to end (${t.server.plane.sessionCount})`,
      );
      await waitFor(
        () => stats.audioIn + stats.dropped >= audioSent,
        () => `the server to count every packet (${stats.audioIn} + ${stats.dropped} of ${audioSent})`,
      );
      // Memory: after the warm-up, the heap floor and the RSS stay within 5 %.
      const warm = samples.filter((s) => s.at >= SECONDS * 1000 * WARMUP_FRACTION);
      const third = Math.max(1, Math.floor(warm.length / 3));
      const early = warm.slice(0, third);
      const late = warm.slice(-third);
      const heapGrowth = Math.min(...late.map((s) => s.heap)) / Math.min(...early.map((s) => s.heap)) - 1;
      const rssGrowth = median(late.map((s) => s.rss)) / median(early.map((s) => s.rss)) - 1;
      console.log(
        `soak: ${SECONDS} s, ${joins} joins, ${switches} switches, ${leaves} leaves, ${audioSent} frames sent, ` +
          `${stats.packetsOut} copies out, drops ${JSON.stringify(Object.fromEntries(Object.entries(stats.drops).filter(([, n]) => n > 0)))}; ` +
          `heap ${(Math.min(...early.map((s) => s.heap)) / 2 ** 20).toFixed(1)} → ${(Math.min(...late.map((s) => s.heap)) / 2 ** 20).toFixed(1)} MiB ` +
          `(${(heapGrowth * 100).toFixed(1)} %), RSS ${(median(early.map((s) => s.rss)) / 2 ** 20).toFixed(0)} → ${(median(late.map((s) => s.rss)) / 2 ** 20).toFixed(0)} MiB (${(rssGrowth * 100).toFixed(1)} %)`,
      );
      // Packets still on their way when a participant switched channel or left are the only
      // audio drops. Every participant is on 127.0.0.1, one address: when many handshake at
      // once on a busy machine, some HELLOs go over the per-address limit (source_rate_limited)
      // and are sent again (docs/protocol.md, "Per-source limit") — a delay, not a loss.
      const drops = Object.entries(stats.drops).filter(([, n]) => n > 0);
      const allowed = new Set(['not_in_channel', 'unknown_session', 'not_bound', 'source_rate_limited']);
      expect(drops.filter(([reason]) => !allowed.has(reason))).toEqual([]);
      const helloDrops = stats.drops.source_rate_limited ?? 0;
      expect(helloDrops).toBeLessThan(joins);
      expect(stats.audioIn + stats.dropped - helloDrops).toBe(audioSent);
      expect(stats.dropped - helloDrops).toBeLessThan(audioSent * 0.001 + 50);

      expect(warm.length).toBeGreaterThanOrEqual(6);
      expect(heapGrowth).toBeLessThan(0.05);
      expect(rssGrowth).toBeLessThan(0.05);

      await t.close();
      await baseline.expectNothingLeft('the soak');
    },
    (SECONDS + 120) * 1000,
  );
});
