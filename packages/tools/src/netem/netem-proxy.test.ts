import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { quantileOf } from '@parley/protocol';
import { settledResourceBaseline } from '../../../../test/helpers/leaks.js';
import { waitFor, type WakeSource } from '../../../../test/helpers/wait.js';
import { NetemProxy } from './netem-proxy.js';

interface Arrival {
  seq: number;
  delayMs: number;
}

/** A UDP sink on loopback that records each numbered packet's arrival and echoes it. */
async function sink(
  echo: boolean,
): Promise<{ socket: Socket; port: number; arrivals: Arrival[]; sources: Set<number> }> {
  const socket = createSocket('udp4');
  const arrivals: Arrival[] = [];
  const sources = new Set<number>();
  socket.on('message', (msg, rinfo) => {
    sources.add(rinfo.port);
    const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    arrivals.push({ seq: view.getUint32(0), delayMs: performance.now() - view.getFloat64(4) });
    if (echo) socket.send(msg, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, arrivals, sources };
}

function packet(seq: number): Buffer {
  const b = Buffer.alloc(60);
  b.writeUInt32BE(seq, 0);
  b.writeDoubleBE(performance.now(), 4);
  return b;
}

/** Sends `n` numbered packets, `perTick` every `tickMs`, and resolves when all are out. */
async function sendPaced(
  client: Socket,
  port: number,
  n: number,
  perTick: number,
  tickMs: number,
): Promise<void> {
  let seq = 0;
  while (seq < n) {
    for (let i = 0; i < perTick && seq < n; i++) client.send(packet(seq++), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, tickMs));
  }
}

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

describe('NetemProxy (UDP impairment proxy)', () => {
  it('imposes the asked loss, delay, jitter and duplication on real UDP traffic', async () => {
    const server = await sink(false);
    open.push({ close: () => new Promise<void>((r) => server.socket.close(() => r())) });
    const proxy = await NetemProxy.open({
      target: { host: '127.0.0.1', port: server.port },
      up: { loss: 0.1, delayMs: 30, jitterMs: 20, duplicate: 0.03, seed: 7 },
    });
    open.push(proxy);
    const client = createSocket('udp4');
    open.push({ close: () => new Promise<void>((r) => client.close(() => r())) });
    const N = 3000;
    await sendPaced(client, proxy.address.port, N, 30, 5);
    // Wait for the delay line to drain: every packet that was kept has been sent.
    const expected = (): number => proxy.up.received - proxy.up.dropped + proxy.up.duplicated;
    await waitFor(
      () => proxy.up.received === N && server.arrivals.length >= expected(),
      () => `the delay line to drain (${server.arrivals.length} arrivals of ${expected()})`,
      { on: [[server.socket, 'message']] },
    );

    const seqs = new Set(server.arrivals.map((a) => a.seq));
    const lossRate = 1 - seqs.size / N;
    // ±4.5 σ of a binomial proportion around 10 %.
    expect(Math.abs(lossRate - 0.1)).toBeLessThan(4.5 * Math.sqrt((0.1 * 0.9) / N));
    expect(lossRate).toBeCloseTo(proxy.up.dropped / N, 6);

    const dupRate = (server.arrivals.length - seqs.size) / seqs.size;
    expect(Math.abs(dupRate - 0.03)).toBeLessThan(4.5 * Math.sqrt((0.03 * 0.97) / seqs.size));

    // Delay: never earlier than asked; on average the asked mean (30 + 10 ms)
    // plus what a shared 2-core machine adds to timers (generous upper margin).
    const delays = server.arrivals.map((a) => a.delayMs);
    expect(delays.reduce((a, b) => Math.min(a, b), Infinity)).toBeGreaterThanOrEqual(29);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(38);
    expect(mean).toBeLessThan(40 + 30);
    // Jitter spreads arrivals over the asked 20 ms window.
    expect(quantileOf(delays, 0.9) - quantileOf(delays, 0.1)).toBeGreaterThan(10);
  });

  it('holds back the asked share of packets so that later ones overtake them', async () => {
    const server = await sink(false);
    open.push({ close: () => new Promise<void>((r) => server.socket.close(() => r())) });
    const proxy = await NetemProxy.open({
      target: { host: '127.0.0.1', port: server.port },
      up: { delayMs: 5, reorder: 0.05, reorderMs: 60, seed: 8 },
    });
    open.push(proxy);
    const client = createSocket('udp4');
    open.push({ close: () => new Promise<void>((r) => client.close(() => r())) });
    const N = 3000;
    await sendPaced(client, proxy.address.port, N, 20, 5);
    await waitFor(
      () => server.arrivals.length === N,
      () => `every packet to arrive (${server.arrivals.length} of ${N})`,
      { on: [[server.socket, 'message']] },
    );
    let overtaken = 0;
    let highest = -1;
    for (const a of server.arrivals) {
      if (a.seq < highest) overtaken++;
      highest = Math.max(highest, a.seq);
    }
    expect(Math.abs(proxy.up.reordered / N - 0.05)).toBeLessThan(4.5 * Math.sqrt((0.05 * 0.95) / N));
    // Every held-back packet is overtaken, except perhaps the last few of the stream.
    expect(overtaken).toBeLessThanOrEqual(proxy.up.reordered);
    expect(overtaken).toBeGreaterThanOrEqual(proxy.up.reordered - 3);
  });

  it('impairs the way back separately, and maps each client to its own upstream port', async () => {
    const server = await sink(true);
    open.push({ close: () => new Promise<void>((r) => server.socket.close(() => r())) });
    const proxy = await NetemProxy.open({
      target: { host: '127.0.0.1', port: server.port },
      down: { loss: 0.5, seed: 9 },
    });
    open.push(proxy);
    const back: number[] = [];
    const clients = await Promise.all(
      [0, 1].map(async () => {
        const c = createSocket('udp4');
        c.on('message', (m) => back.push(m.readUInt32BE(0)));
        await new Promise<void>((r) => c.bind(0, '127.0.0.1', r));
        open.push({ close: () => new Promise<void>((r) => c.close(() => r())) });
        return c;
      }),
    );
    const N = 1000;
    for (const c of clients) await sendPaced(c, proxy.address.port, N, 20, 5);
    await waitFor(
      () => proxy.down.received === 2 * N && back.length === proxy.down.sent,
      () => `the way back (${proxy.down.received} received, ${back.length} back)`,
      { on: clients.map((c): WakeSource => [c, 'message']) },
    );
    expect(server.arrivals).toHaveLength(2 * N); // nothing lost on the way up
    expect(server.sources.size).toBe(2); // one upstream port per client
    expect(Math.abs(back.length / (2 * N) - 0.5)).toBeLessThan(4.5 * Math.sqrt(0.25 / (2 * N)));
  });

  it('leaves no socket or timer behind after close(), with packets still in its delay line', async () => {
    const server = await sink(false);
    const client = createSocket('udp4');
    const before = await settledResourceBaseline();
    const proxy = await NetemProxy.open({
      target: { host: '127.0.0.1', port: server.port },
      up: { delayMs: 500 },
    });
    for (let seq = 0; seq < 5; seq++) client.send(packet(seq), proxy.address.port, '127.0.0.1');
    await waitFor(() => proxy.up.received === 5, 'the proxy to hold five packets');
    await proxy.close();
    await proxy.close(); // idempotent
    await before.expectNothingLeft('NetemProxy.close()');
    expect(server.arrivals).toHaveLength(0);
    await new Promise<void>((r) => client.close(() => r()));
    await new Promise<void>((r) => server.socket.close(() => r()));
  });
});
