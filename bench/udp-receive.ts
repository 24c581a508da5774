// The floor under any Node load generator: the CPU a Node process spends to
// receive one UDP datagram and hand it to a JavaScript callback that does
// nothing but count, spread over many sockets as a generator's listeners
// are. One sender (this process) paces datagrams round-robin to the
// sockets of a receiver child; the receiver reports its CPU time.
// Usage: node bench/dist/udp-receive.js [--sockets 1000] [--rate 45000] [--seconds 4]
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** Receiver → sender, in order: its ports, 'started', then its figures. */
type ReceiverMessage = { ports: number[] } | 'started' | { cpu: NodeJS.CpuUsage; received: number };
/** Sender → receiver. */
type SenderMessage = 'start' | 'stop';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '45000' },
    seconds: { type: 'string', default: '4' },
    child: { type: 'boolean', default: false },
  },
});
const SOCKETS = Number(values.sockets);

function reply(m: ReceiverMessage): void {
  process.send?.(m);
}

if (values.child) {
  let received = 0;
  const ports: number[] = [];
  for (let i = 0; i < SOCKETS; i++) {
    const s = createSocket('udp4');
    s.on('message', () => received++);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    ports.push(s.address().port);
  }
  let cpu0 = process.cpuUsage();
  let received0 = 0;
  process.on('message', (m: SenderMessage) => {
    if (m === 'start') {
      cpu0 = process.cpuUsage();
      received0 = received;
      reply('started');
    } else {
      reply({ cpu: process.cpuUsage(cpu0), received: received - received0 });
      process.exit(0);
    }
  });
  reply({ ports });
} else {
  const RATE = Number(values.rate);
  const SECONDS = Number(values.seconds);
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child', '--sockets', String(SOCKETS)]);
  const next = (): Promise<ReceiverMessage> =>
    new Promise((r) => child.once('message', (m) => r(m as ReceiverMessage)));
  const first = await next();
  if (typeof first !== 'object' || !('ports' in first))
    throw new Error('udp-receive: no ports from the receiver');
  const { ports } = first;
  const tx = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', r));
  const datagram = Buffer.alloc(88, 1); // a sealed 60-byte Opus frame
  child.send('start' satisfies SenderMessage);
  await next();
  const t0 = performance.now();
  let sent = 0;
  while (performance.now() - t0 < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
    for (; sent < due; sent++) tx.send(datagram, ports[sent % SOCKETS], '127.0.0.1');
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 300)); // the last datagrams land
  child.send('stop' satisfies SenderMessage);
  const last = await next();
  if (typeof last !== 'object' || !('cpu' in last))
    throw new Error('udp-receive: no figures from the receiver');
  const { cpu, received } = last;
  tx.close();
  const us = cpu.user + cpu.system;
  console.log(
    `UDP receive floor — ${SOCKETS} sockets, ${RATE} datagrams/s for ${SECONDS} s: ${received} of ${sent} received, ` +
      `${(us / received).toFixed(1)} µs CPU per datagram (user ${(cpu.user / received).toFixed(1)}, kernel ${(cpu.system / received).toFixed(1)}), ` +
      `the receiver at ${((100 * us) / (SECONDS * 1e6)).toFixed(0)} % of a core`,
  );
}
