import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MediaPlane, numericLookup, udpBufferShortfall, UDP_BUFFER_BYTES } from './plane.js';
import { DEFAULT_CONFIG } from '../config.js';

describe('numericLookup', () => {
  it('answers a numeric address at once, with its family', () => {
    const answers: unknown[][] = [];
    numericLookup('127.0.0.1', 4, (...a) => answers.push(a));
    numericLookup('::1', 6, (...a) => answers.push(a));
    expect(answers).toEqual([
      [null, '127.0.0.1', 4],
      [null, '::1', 6],
    ]);
  });

  it('resolves a name through the system resolver', async () => {
    const [err, address, family] = await new Promise<unknown[]>((resolve) =>
      numericLookup('localhost', 4, (...a) => resolve(a)),
    );
    expect(err).toBeNull();
    expect(address).toBe('127.0.0.1');
    expect(family).toBe(4);
  });
});

describe('UDP buffer check', () => {
  it('warns with the size granted when the kernel gave less than asked, and names the sysctl', () => {
    const w = udpBufferShortfall({ receive: 425_984 });
    expect(w?.message).toMatch(
      /^the UDP receive buffer is 416 KiB \(asked for 4096 KiB\).*net\.core\.rmem_max/,
    );
    expect(w?.details).toEqual({ udpReceiveBufferBytes: 425_984, asked: UDP_BUFFER_BYTES });
    expect(udpBufferShortfall({ receive: 2 * UDP_BUFFER_BYTES })).toBeNull();
    expect(udpBufferShortfall(null)).toBeNull();
  });

  it('reads what the kernel really granted to the bound socket', async () => {
    const plane = new MediaPlane({ media: DEFAULT_CONFIG.media });
    expect(plane.udpBufferBytes()).toBeNull();
    await plane.listenUdp('127.0.0.1', 0);
    const limit = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    // Linux grants min(asked, rmem_max) and reports twice that.
    expect(plane.udpBufferBytes()?.receive).toBe(2 * Math.min(UDP_BUFFER_BYTES, limit));
    await plane.close();
  });
});
