/**
 * Audio through a bad network, end to end, for the "Audio under bad
 * networks" benchmarks (bench/bad-network.ts: a tone; bench/speech.ts:
 * espeak-ng speech) and tests: a speaker (the SDK's StreamSender, Opus,
 * optional redundancy) talks `source` through the impairment proxy
 * (NetemProxy) on its uplink to a server; a listener (the SDK's Listener:
 * jitter buffer, Opus, FEC, concealment) records what it plays. Seeded by
 * `up.seed`: the same seed gives the same losses. Bounded: the recording
 * lasts the source's length + `tailSeconds`; everything opened is closed.
 */
import { median, SAMPLE_RATE } from '@parley/protocol';
import { createNodeAead, NODE_CIPHERS } from '@parley/protocol/node';
import {
  BufferSource,
  Listener,
  OpusEncoder,
  StreamSender,
  VoiceClient,
  type OpusModule,
  type ReceiverStats,
  type RedundancyDepth,
} from '@parley/client';
import { nodeWebSocketFactory, openUdpTransport } from '@parley/client/node';
import { NetemProxy } from './netem-proxy.js';
import type { NetworkModelOptions } from './network-model.js';

export interface SpeakThroughOptions {
  /** The server: its HTTP(S) URL and its UDP media port (on 127.0.0.1). */
  server: { url: string; udpPort: number };
  opus: OpusModule;
  /** The speaker's uplink (give a `seed` for repeatable losses). */
  up: NetworkModelOptions;
  /** Redundancy depth of the sender (default 0). */
  redundancy?: RedundancyDepth;
  /** 48 kHz mono: what the speaker says. */
  source: Int16Array;
  /** The recording goes on this long after the source's length (default 2 s). */
  tailSeconds?: number;
}

export interface SpokenThrough {
  /** What the listener played, from the moment it started recording (before the speaker started). */
  pcm: Int16Array;
  /** Samples per played frame. */
  frameSamples: number;
  stats: ReceiverStats;
  /** The jitter buffer's target delay (ms), median of samples every 250 ms while the source plays. */
  targetMs: number;
  /** Packets the proxy dropped. */
  dropped: number;
}

/** Speaks `source` through the impaired path, in a temporary channel, and returns what the listener played. */
export async function speakThrough(opts: SpeakThroughOptions): Promise<SpokenThrough> {
  const proxy = await NetemProxy.open({
    target: { host: '127.0.0.1', port: opts.server.udpPort },
    up: opts.up,
  });
  const redundancy = opts.redundancy ?? 0;
  const clients: VoiceClient[] = [];
  const connect = async (name: string, viaProxy: boolean): Promise<VoiceClient> => {
    const c = await VoiceClient.connect({
      server: opts.server.url,
      name,
      webSocket: nodeWebSocketFactory,
      aead: createNodeAead,
      ciphers: NODE_CIPHERS,
      udp: viaProxy ? () => openUdpTransport('127.0.0.1', proxy.address.port) : openUdpTransport,
    });
    clients.push(c);
    return c;
  };
  const encoder = new OpusEncoder(opts.opus);
  let ears: Listener | undefined;
  let sampler: ReturnType<typeof setInterval> | undefined;
  try {
    const speaker = await connect(`speaker-${redundancy}`, true);
    const listener = await connect(`listener-${redundancy}`, false);
    const channel = `netem-${Math.random().toString(36).slice(2, 8)}`;
    await speaker.createTemp(channel);
    await listener.join(channel);
    ears = new Listener(listener, { opus: opts.opus, reportEveryMs: 0 });
    const frames: Int16Array[] = [];
    const recording = ears.record(opts.source.length / SAMPLE_RATE + (opts.tailSeconds ?? 2), (f) =>
      frames.push(f.slice()),
    );
    const sender = new StreamSender(speaker, encoder, new BufferSource(opts.source), { redundancy });
    // The jitter buffer's target while the source plays (its end, with nothing more coming, grows it).
    const targets: number[] = [];
    const receiver = ears.receiver;
    sampler = setInterval(() => targets.push(receiver.delays().targetDelayMs), 250);
    await sender.run();
    clearInterval(sampler);
    await recording;
    const frameSamples = frames[0]?.length ?? 960;
    const pcm = new Int16Array(frames.length * frameSamples);
    frames.forEach((f, i) => pcm.set(f, i * frameSamples));
    return {
      pcm,
      frameSamples,
      stats: ears.stats(),
      targetMs: median(targets.slice(2)),
      dropped: proxy.up.dropped,
    };
  } finally {
    clearInterval(sampler);
    ears?.close();
    encoder.destroy();
    for (const c of clients) c.close();
    await proxy.close();
  }
}
