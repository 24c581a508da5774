import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { Direction, OutboundStream, PacketType, sealPacket } from '@parley/protocol';
import { createNodeAead } from '@parley/protocol/node';
import { activeResources, settledResourceBaseline } from '../../../../test/helpers/leaks.js';
import { clientOf } from '../../../../test/helpers/media-router.js';
import { waitFor } from '../../../../test/helpers/wait.js';
import { DEFAULT_CONFIG } from '../config.js';
import { MediaPlane, SPEAKING_SWEEP_MS } from './plane.js';
import { numericLookup, udpBufferShortfall, UDP_BUFFER_BYTES } from './udp-shell.js';

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

describe('UDP send failures', () => {
  it('are counted once detected, every one while they last, and the other listeners still get their copies', async () => {
    const plane = new MediaPlane({ media: DEFAULT_CONFIG.media });
    const sinks: Socket[] = [];
    try {
      await plane.listenUdp('127.0.0.1', 0);
      const { router } = plane;
      const speaker = plane.createSession(null, 'chacha20-poly1305');
      speaker.canSpeak = true;
      router.bindUdp(speaker, '127.0.0.1', 40_000);
      // The kernel refuses a datagram to the broadcast address on a socket without SO_BROADCAST (EACCES).
      const refused = plane.createSession(null, 'chacha20-poly1305');
      router.bindUdp(refused, '255.255.255.255', 9);
      const ok = plane.createSession(null, 'chacha20-poly1305');
      const counts = [0, 0];
      for (const i of [0, 1]) {
        const sink = createSocket('udp4');
        await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
        sink.on('message', () => counts[i]!++);
        sinks.push(sink);
      }
      router.bindUdp(ok, '127.0.0.1', sinks[0]!.address().port);
      for (const s of [speaker, refused, ok]) router.setChannel(s, 1);

      const aead = createNodeAead(speaker.key, 'chacha20-poly1305');
      const out = new OutboundStream(0);
      const speak = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++) {
          const { seq16, extSeq } = out.next();
          const packet = sealPacket(
            aead,
            Direction.ClientToServer,
            { type: PacketType.Audio, flags: 0, seq: seq16, timestamp: extSeq * 960, ssrc: speaker.ssrc },
            extSeq,
            new Uint8Array(40).fill(i),
          );
          plane.handleUdp(packet, '127.0.0.1', 40_000);
          await new Promise((r) => setImmediate(r)); // one packet per turn of the loop, as at 50 packets/s
        }
      };
      await speak(40);
      await waitFor(() => counts[0] === 40, '40 copies to the good listener');
      // Send 16 is the first checked; it fails, and from then on every send to that session is checked.
      expect(plane.stats.sendFailures.udp_send_error).toBe(40 - 15);
      expect(refused.udpFailing).toBe(true);
      expect(counts[0]).toBe(40);

      // The path comes back: the next checked send succeeds, and checks are sparse again.
      router.bindUdp(refused, '127.0.0.1', sinks[1]!.address().port);
      await speak(20);
      await waitFor(() => counts[0] === 60 && counts[1] === 20, '20 more copies to each listener');
      expect(counts).toEqual([60, 20]);
      expect(refused.udpFailing).toBe(false);
      expect(plane.stats.sendFailures.udp_send_error).toBe(25);
    } finally {
      for (const s of sinks) s.close();
      await plane.close();
    }
  });
});

describe('MediaPlane shell', () => {
  it('sweeps speaking on its own timer: a speaker silent for speakingHoldMs stops speaking', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let t = 0;
    const plane = new MediaPlane({ media: { ...DEFAULT_CONFIG.media, speakingHoldMs: 300 }, now: () => t });
    try {
      const s = plane.createSession({ send: () => undefined, bufferedAmount: 0 }, 'chacha20-poly1305');
      s.canSpeak = true;
      plane.router.setChannel(s, 1);
      const edges: boolean[] = [];
      plane.router.on('speaking', (_s, on) => edges.push(on));
      plane.handleWs(clientOf(s).audio(), s);
      expect(edges).toEqual([true]);
      t = 300;
      vi.advanceTimersByTime(SPEAKING_SWEEP_MS);
      expect(edges).toEqual([true]);
      t = 301;
      vi.advanceTimersByTime(SPEAKING_SWEEP_MS);
      expect(edges).toEqual([true, false]);
    } finally {
      void plane.close();
      vi.useRealTimers();
    }
  });

  it('leaves no socket, no timer and no session after close(), which may be called again', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const baseline = await settledResourceBaseline();
      const udpBefore = activeResources().get('UDPWrap') ?? 0;
      const plane = new MediaPlane({ media: DEFAULT_CONFIG.media });
      await plane.listenUdp('127.0.0.1', 0);
      const s = plane.createSession(null);
      plane.router.setChannel(s, 1);
      expect(vi.getTimerCount()).toBe(1);
      expect(activeResources().get('UDPWrap')).toBe(udpBefore + 1);

      await Promise.all([plane.close(), plane.close()]);
      await plane.close();
      expect(plane.status).toBe('closed');
      expect(vi.getTimerCount()).toBe(0);
      expect([plane.udpBufferBytes(), plane.sessionCount, s.closed, s.channelId]).toEqual([
        null,
        0,
        true,
        null,
      ]);
      await baseline.expectNothingLeft('MediaPlane.close()');
      await expect(plane.listenUdp('127.0.0.1', 0)).rejects.toThrow(/closed/);
    } finally {
      vi.useRealTimers();
    }
  });
});
