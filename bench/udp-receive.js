#!/usr/bin/env node
// The floor under any Node load generator: the CPU a Node process spends to
// receive one UDP datagram and hand it to a JavaScript callback that does
// nothing but count, spread over many sockets as a generator's listeners
// are. One sender (this process) paces datagrams round-robin to the
// sockets of a receiver child; the receiver reports its CPU time.
// Usage: node bench/udp-receive.js [--sockets 1000] [--rate 45000] [--seconds 4]
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '45000' },
    seconds: { type: 'string', default: '4' },
    child: { type: 'boolean', default: false },
  },
});
const SOCKETS = Number(values.sockets);

if (values.child) {
  let received = 0;
  const ports = [];
  for (let i = 0; i < SOCKETS; i++) {
    const s = createSocket('udp4');
    s.on('message', () => received++);
    await new Promise((r) => s.bind(0, '127.0.0.1', r));
    ports.push(s.address().port);
  }
  let cpu0 = process.cpuUsage();
  let received0 = 0;
  process.on('message', (m) => {
    if (m === 'start') {
      cpu0 = process.cpuUsage();
      received0 = received;
      process.send('started');
    } else {
      process.send({ cpu: process.cpuUsage(cpu0), received: received - received0 });
      process.exit(0);
    }
  });
  process.send({ ports });
} else {
  const RATE = Number(values.rate);
  const SECONDS = Number(values.seconds);
  const child = fork(new URL(import.meta.url).pathname, ['--child', '--sockets', String(SOCKETS)]);
  const next = () => new Promise((r) => child.once('message', r));
  const { ports } = await next();
  const tx = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
  await new Promise((r) => tx.bind(0, '127.0.0.1', r));
  const datagram = Buffer.alloc(88, 1); // a sealed 60-byte Opus frame
  child.send('start');
  await next();
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
    for (; sent < due; sent++) tx.send(datagram, ports[sent % SOCKETS], '127.0.0.1');
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 300)); // the last datagrams land
  child.send('stop');
  const { cpu, received } = await next();
  tx.close();
  const us = cpu.user + cpu.system;
  console.log(
    `UDP receive floor — ${SOCKETS} sockets, ${RATE} datagrams/s for ${SECONDS} s: ${received} of ${sent} received, ` +
      `${(us / received).toFixed(1)} µs CPU per datagram (user ${(cpu.user / received).toFixed(1)}, kernel ${(cpu.system / received).toFixed(1)}), ` +
      `the receiver at ${((100 * us) / (SECONDS * 1e6)).toFixed(0)} % of a core`,
  );
}
