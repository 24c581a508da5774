// The relay under test, in its own process (its own core): either Parley's
// media plane or a bare Node `dgram` forwarder (no crypto, no routing).
// Driven over IPC by bench/relay.js; reports its own CPU time.
import { createSocket } from 'node:dgram';
import { DEFAULT_CONFIG, MediaPlane, numericLookup } from '@parley/server';

const mode = process.argv[2];
const cipher = process.argv[3] ?? 'chacha20-poly1305';
let cpuStart = process.cpuUsage();
let onStop = () => ({});

process.on('message', async (msg) => {
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
      await new Promise((r) => sock.bind(0, '127.0.0.1', r));
      onStop = () => ({ packetsIn, packetsOut });
      process.send({ ready: true, port: sock.address().port });
    } else {
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
      process.send({
        ready: true,
        port,
        speaker: { ssrc: speaker.ssrc, key: Buffer.from(speaker.key).toString('base64') },
      });
    }
  } else if (msg.cmd === 'start') {
    cpuStart = process.cpuUsage();
    process.send({ started: true });
  } else if (msg.cmd === 'stop') {
    const cpu = process.cpuUsage(cpuStart);
    process.send({
      stopped: true,
      cpuUs: cpu.user + cpu.system,
      userUs: cpu.user,
      systemUs: cpu.system,
      ...onStop(),
    });
  } else if (msg.cmd === 'exit') {
    process.exit(0);
  }
});
