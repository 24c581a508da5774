/**
 * Speech through a bad network, judged against its source (docs/benchmarks.md,
 * "Speech (espeak-ng) through 10 % bursty loss", has the figures): espeak-ng
 * says a sentence, a speaker sends it with two frames of redundancy through
 * ~10 % bursty loss (Gilbert–Elliott, mean burst 3) and 20 ms of jitter, a
 * listener records what it plays; the recording, aligned block by block,
 * stays near the source in spectrum, with few holes. A guard against gross
 * breakage, not a measure of fine quality (`bench/speech.ts` measures that):
 * another sentence in the same voice is 19 dB from this one, the sentence
 * 50 ms off 14 dB, a silent recording all holes.
 * Measured on a shared 2-core machine (load 4–12, some runs with three busy
 * loops beside it): 5.0–5.8 dB and 1–1.7 % holes; the worst seen, 6.6 dB
 * and 4.4 %; the clean path's Opus floor is about 5 dB. Bounds: 9 dB, 10 %.
 * Needs espeak-ng (apt-get install espeak-ng; `.ci/run` installs it).
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_RATE } from '@parley/protocol';
import type { OpusModule } from '@parley/client';
import { loadOpusNode } from '@parley/client/node';
import { align, espeakSpeech, speakThrough, spectralDistance, warp } from '@parley/tools';
import { startServer, type TestServer } from '../helpers/server.js';

describe('speech through bursty loss', () => {
  let opus: OpusModule;
  let t: TestServer;
  let source: Int16Array;

  beforeAll(async () => {
    opus = await loadOpusNode();
    source = espeakSpeech('Every word should survive a bad network, even when packets are lost.');
  });
  beforeEach(async () => {
    t = await startServer();
  });
  afterEach(async () => {
    await t.close();
  });

  it('arrives close to its source in spectrum, with almost no holes', async () => {
    const r = await speakThrough({
      server: t.info,
      opus,
      up: { burstLoss: 0.1, burstLength: 3, jitterMs: 20, seed: 11 },
      redundancy: 2,
      source,
      tailSeconds: 1.5,
    });
    // The path did lose packets, and redundancy filled some of them.
    expect(r.dropped).toBeGreaterThan(5);
    expect(r.stats.filled).toBeGreaterThan(0);
    const a = align(source, r.pcm, { maxLagMs: 1500 });
    expect(a.correlation).toBeGreaterThan(0.6);
    const d = spectralDistance(source, warp(r.pcm, a, source.length));
    expect(d.speechFrames).toBeGreaterThan((2 * SAMPLE_RATE) / 480);
    expect(d.holeShare).toBeLessThan(0.1);
    expect(d.lsdDb).toBeLessThan(9);
  }, 60_000);
});
