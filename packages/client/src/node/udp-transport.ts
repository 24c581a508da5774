import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import type { MediaTransport } from '../core/media-transport.js';

/**
 * A UDP media path to the server's voice port. The socket is connected, so
 * the kernel delivers only datagrams that come from the server's address.
 */
export async function openUdpTransport(host: string, port: number): Promise<MediaTransport> {
  const { address, family } = await lookup(host);
  const sock = createSocket({ type: family === 6 ? 'udp6' : 'udp4', recvBufferSize: 1 << 20 });
  let receiver: (p: Uint8Array) => void = () => undefined;
  sock.on('message', (msg) => receiver(msg));
  // ICMP "port unreachable" after the server goes away surfaces here; the
  // control connection reports the failure, the media path just goes quiet.
  sock.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(port, address, () => {
        sock.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    sock.close(); // a socket that could not connect (a bad port, an unreachable address) is ours to release
    throw err;
  }
  let closed = false;
  return {
    kind: 'udp',
    send(packet) {
      if (!closed) sock.send(packet);
    },
    onPacket(fn) {
      receiver = fn;
    },
    close() {
      if (closed) return;
      closed = true;
      sock.close();
    },
  };
}
