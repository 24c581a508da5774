// Audio under bad networks (docs/benchmarks.md): a speaker talks a 1 kHz tone
// through the impairment proxy (`parley netem`'s NetemProxy, on the speaker's
// uplink) to a server; a listener (Listener, the SDK's jitter buffer and Opus)
// records what it plays. For each network and redundancy depth: how much of
// the tone's time is present (5 ms windows above −40 dBFS), the longest gap,
// the frames lost / filled from redundancy / concealed, and the jitter
// buffer's median target delay while the tone plays. Seeded: the same command gives the same
// losses. Loopback only; bounded (each run is the tone's length + 2 s).
//
// Usage: node bench/dist/bad-network.js [--seconds 10] [--seed 7]
import { parseArgs } from 'node:util';
import { createNodeAead, NODE_CIPHERS } from '@parley/protocol/node';
import { median, SAMPLE_RATE } from '@parley/protocol';
import {
  BufferSource,
  Listener,
  longestGapMs,
  OpusEncoder,
  rmsDbfs,
  StreamSender,
  toneInt16,
  VoiceClient,
  type RedundancyDepth,
} from '@parley/client';
import { loadOpusNode, nodeWebSocketFactory, openUdpTransport } from '@parley/client/node';
import { NetemProxy, type NetworkModelOptions } from '@parley/tools';
import { startBenchServer } from './server.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, seed: { type: 'string', default: '7' } },
});
const SECONDS = Number(values.seconds);
const SEED = Number(values.seed);

const NETWORKS: { name: string; up: NetworkModelOptions }[] = [
  { name: 'clean loopback', up: {} },
  { name: '5 % random loss, 30 ms jitter', up: { loss: 0.05, jitterMs: 30 } },
  {
    name: '15 % bursty loss (mean burst 3), 30 ms jitter',
    up: { burstLoss: 0.15, burstLength: 3, jitterMs: 30 },
  },
];
const DEPTHS: RedundancyDepth[] = [0, 2];

/** Share of 5 ms windows above −40 dBFS. */
function present(pcm: Int16Array): number {
  const w = SAMPLE_RATE / 200;
  let on = 0;
  let all = 0;
  for (let i = 0; i + w <= pcm.length; i += w, all++) if (rmsDbfs(pcm.subarray(i, i + w)) > -40) on++;
  return all === 0 ? 0 : on / all;
}

const opus = await loadOpusNode();
const server = await startBenchServer({ adminPassword: 'bad-network-bench' });
const udpPort = server.udpPort;

async function run(up: NetworkModelOptions, depth: RedundancyDepth) {
  const proxy = await NetemProxy.open({
    target: { host: '127.0.0.1', port: udpPort },
    up: { ...up, seed: SEED },
  });
  const connect = (name: string, viaProxy: boolean): Promise<VoiceClient> =>
    VoiceClient.connect({
      server: server.url,
      name,
      webSocket: nodeWebSocketFactory,
      aead: createNodeAead,
      ciphers: NODE_CIPHERS,
      udp: viaProxy ? () => openUdpTransport('127.0.0.1', proxy.address.port) : openUdpTransport,
    });
  const speaker = await connect(`speaker-${depth}`, true);
  const listener = await connect(`listener-${depth}`, false);
  const channel = `bench-${Math.random().toString(36).slice(2, 8)}`;
  await speaker.createTemp(channel);
  await listener.join(channel);
  const ears = new Listener(listener, { opus, reportEveryMs: 0 });
  const frames: Int16Array[] = [];
  const recording = ears.record(SECONDS + 2, (f) => frames.push(f.slice()));
  const encoder = new OpusEncoder(opus);
  const sender = new StreamSender(
    speaker,
    encoder,
    new BufferSource(toneInt16(1000, SECONDS, SAMPLE_RATE, -12)),
    { redundancy: depth },
  );
  // The jitter buffer's target while the tone plays (its end, with nothing more coming, grows it).
  const targets: number[] = [];
  const sampler = setInterval(() => targets.push(ears.receiver.delays().targetDelayMs), 250);
  await sender.run();
  clearInterval(sampler);
  await recording;
  const stats = ears.stats();
  const target = median(targets.slice(2));
  ears.close();
  encoder.destroy();
  speaker.close();
  listener.close();
  await proxy.close();
  const loud = frames.map((f) => rmsDbfs(f) > -30);
  const first = loud.indexOf(true);
  const last = loud.lastIndexOf(true);
  const n = frames[0]?.length ?? 960;
  const pcm = new Int16Array(frames.length * n);
  frames.forEach((f, i) => pcm.set(f, i * n));
  const heard = first < 0 ? new Int16Array(0) : pcm.subarray(first * n, (last + 1) * n);
  return {
    present: present(heard),
    gapMs: longestGapMs(heard, SAMPLE_RATE),
    lost: stats.lost,
    filled: stats.filled,
    concealed: stats.concealed,
    fec: stats.recoveredByFec,
    targetMs: target,
    dropped: proxy.up.dropped,
  };
}

console.log(`Audio under bad networks: ${SECONDS} s of 1 kHz, seed ${SEED}, loss on the speaker's uplink`);
console.log(
  '| network | redundancy | present | longest gap | dropped / lost / filled / FEC / concealed | target delay (median) |',
);
console.log('|---|---|---|---|---|---|');
try {
  for (const net of NETWORKS) {
    for (const depth of DEPTHS) {
      const r = await run(net.up, depth);
      console.log(
        `| ${net.name} | ${depth} | ${(r.present * 100).toFixed(1)} % | ${r.gapMs} ms | ${r.dropped} / ${r.lost} / ${r.filled} / ${r.fec} / ${r.concealed} | ${r.targetMs.toFixed(0)} ms |`,
      );
    }
  }
} finally {
  server.child.kill('SIGTERM');
}
