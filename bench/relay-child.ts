// The relay under test, in its own process (its own core): either Parley's
// media plane or a bare Node `dgram` forwarder (no crypto, no routing).
// Driven over IPC by bench/relay.ts (bench/dist/relay-child.js, forked by
// bench/dist/relay.js); reports its own CPU time.
import { createSocket } from 'node:dgram';
import { DEFAULT_CONFIG, MediaPlane, numericLookup } from '@parley/server';
import type { RelayCipher, RelayCommand, RelayMode, RelayReply, RelayStats } from './relay-ipc.js';

const mode = process.argv[2] as RelayMode;
const cipher = (process.argv[3] ?? 'chacha20-poly1305') as RelayCipher;
let cpuStart = process.cpuUsage();
let onStop = (): Pick<RelayStats, 'packetsIn' | 'packetsOut' | 'drops'> => ({ packetsIn: 0, packetsOut: 0 });

function reply(m: RelayReply): void {
  process.send?.(m);
}

process.on('message', (msg: RelayCommand) => void handle(msg));

async function handle(msg: RelayCommand): Promise<void> {
  if (msg.cmd === 'setup') {
    if (mode === 'bare') {
      // The same socket set-up as the media plane's (synchronous numeric
      // lookup, no send callback), so the ratio measures only what Parley adds.
      const sock = createSocket({
        type: 'udp4',
        recvBufferSize: 4 << 20,
        sendBufferSize: 4 << 20,
        lookup: numericLookup,
      });
      const outs = msg.listeners;
      let packetsIn = 0;
      let packetsOut = 0;
      sock.on('message', (m) => {
        packetsIn++;
        for (let i = 0; i < outs.length; i++) {
          sock.send(m, outs[i], '127.0.0.1');
          packetsOut++;
        }
      });
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
      onStop = () => ({ packetsIn, packetsOut });
      reply({ ready: true, port: sock.address().port });
    } else {
      if (cipher === 'none') throw new Error('relay-child: Parley needs a cipher');
      const media = { ...DEFAULT_CONFIG.media, maxPacketsPerSecond: 10000, burstPackets: 10000 };
      // The server's wiring: the router inside its UDP shell (MediaPlane).
      const plane = new MediaPlane({ media });
      const { router } = plane;
      const port = await plane.listenUdp('127.0.0.1', 0);
      const speaker = plane.createSession(null, cipher);
      router.setChannel(speaker, 1);
      speaker.canSpeak = true;
      // The speaker's address is bound by a sealed HELLO from the parent.
      for (const p of msg.listeners) {
        const s = plane.createSession(null, cipher);
        router.setChannel(s, 1);
        router.bindUdp(s, '127.0.0.1', p);
      }
      onStop = () => ({
        packetsIn: plane.stats.packetsIn,
        packetsOut: plane.stats.packetsOut,
        drops: plane.stats.dropped,
      });
      reply({
        ready: true,
        port,
        speaker: { ssrc: speaker.ssrc, key: Buffer.from(speaker.key).toString('base64') },
      });
    }
  } else if (msg.cmd === 'start') {
    cpuStart = process.cpuUsage();
    reply({ started: true });
  } else if (msg.cmd === 'stop') {
    const cpu = process.cpuUsage(cpuStart);
    reply({
      stopped: true,
      cpuUs: cpu.user + cpu.system,
      userUs: cpu.user,
      systemUs: cpu.system,
      ...onStop(),
    });
  } else {
    process.exit(0);
  }
}
