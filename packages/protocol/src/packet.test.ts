import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AudioFlag, Direction, HEADER_SIZE, PacketType } from './constants.js';
import { parsePacket, readHeaderInto, writeHeader, type MediaHeader } from './packet.js';
import { sealPacket, InboundStream } from './media-crypto.js';
import { writeNonce } from './aead.js';
import { createNodeAead } from './node/aead-node.js';

const hex = (b: Uint8Array): string =>
  Buffer.from(b)
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 1 : 0));

// The example of docs/protocol.md, byte for byte.
const EXAMPLE: MediaHeader = {
  type: PacketType.Audio,
  flags: AudioFlag.TalkStart,
  seq: 258,
  timestamp: 48000,
  ssrc: 7,
};
const EXAMPLE_HEADER = '41 20 01 02 00 00 bb 80 00 00 00 07';
const EXAMPLE_NONCE = '00 01 00 00 00 07 00 00 00 00 01 02';
const EXAMPLE_PACKET =
  '41 20 01 02 00 00 bb 80 00 00 00 07 75 55 92 d9 e3 49 fa 60 cc 4b 96 4d a9 23 6f b8 a9 9f 22';

describe('media header codec', () => {
  it('writes the documented example exactly', () => {
    const b = new Uint8Array(HEADER_SIZE);
    expect(writeHeader(b, 0, EXAMPLE)).toBe(12);
    expect(hex(b)).toBe(EXAMPLE_HEADER);
    expect(hex(writeNonce(new Uint8Array(12), Direction.ClientToServer, PacketType.Audio, 7, 258))).toBe(
      EXAMPLE_NONCE,
    );
  });

  it('seals the documented example exactly (AES-256-GCM fixture)', () => {
    const pkt = sealPacket(
      createNodeAead(KEY),
      Direction.ClientToServer,
      EXAMPLE,
      258,
      Uint8Array.of(0xf8, 0xff, 0xfe),
    );
    expect(hex(pkt)).toBe(EXAMPLE_PACKET);
  });

  it('round-trips every header (property)', () => {
    const header = fc.record({
      type: fc.constantFrom(...Object.values(PacketType)),
      flags: fc.integer({ min: 0, max: 0x3f }),
      seq: fc.integer({ min: 0, max: 0xffff }),
      timestamp: fc.integer({ min: 0, max: 0xffffffff }),
      ssrc: fc.integer({ min: 1, max: 0xffffffff }),
    });
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 200 }), (h, body) => {
        const bytes = new Uint8Array(HEADER_SIZE + 16 + body.length);
        writeHeader(bytes, 0, h);
        const r = parsePacket(bytes);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.value.header).toEqual(h);
          expect(r.value.sealed.length).toBe(16 + body.length);
          expect(r.value.sealed.buffer).toBe(bytes.buffer); // a view, not a copy
        }
      }),
    );
  });

  it('names the reason for each rejection', () => {
    const good = new Uint8Array(40);
    writeHeader(good, 0, EXAMPLE);
    const out: MediaHeader = { ...EXAMPLE };
    expect(readHeaderInto(good.subarray(0, 27), out)).toBe('too_short');
    expect(readHeaderInto(new Uint8Array(1201), out)).toBe('too_long');
    expect(readHeaderInto(good, out, 39)).toBe('too_long');
    const v = Uint8Array.from(good);
    v[0] = 0x81;
    expect(readHeaderInto(v, out)).toBe('bad_version');
    v[0] = 0x40 | 9;
    expect(readHeaderInto(v, out)).toBe('unknown_type');
    v[0] = 0x41;
    v[1] = 0x40;
    expect(readHeaderInto(v, out)).toBe('unknown_codec');
    v[1] = 0;
    v.fill(0, 8, 12);
    expect(readHeaderInto(v, out)).toBe('bad_ssrc');
    expect(readHeaderInto(good, out)).toBeUndefined();
  });

  it('never throws on random bytes and never views past them (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
        const r = parsePacket(bytes);
        if (r.ok) {
          expect(r.value.headerBytes.length + r.value.sealed.length).toBe(bytes.length);
          expect(r.value.sealed.byteOffset + r.value.sealed.length).toBeLessThanOrEqual(
            bytes.byteOffset + bytes.length,
          );
        }
      }),
    );
  });
});

describe('sealed packets under mutation', () => {
  const aead = createNodeAead(KEY);
  const pkt = sealPacket(aead, Direction.ClientToServer, EXAMPLE, 258, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));

  it('fails to open after any single-bit flip, or is rejected by the codec', () => {
    for (let bit = 0; bit < pkt.length * 8; bit++) {
      const m = Uint8Array.from(pkt);
      m[bit >> 3]! ^= 1 << (bit & 7);
      const r = parsePacket(m);
      if (!r.ok) continue;
      const opened = new InboundStream().open(aead, Direction.ClientToServer, r.value);
      expect(opened.ok).toBe(false);
    }
  });

  it('never throws on random mutations and truncations (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        (edits, cut) => {
          const m = Uint8Array.from(pkt);
          for (const [i, v] of edits) m[i % m.length] = v;
          const r = parsePacket(m.subarray(0, cut % (m.length + 1)));
          if (r.ok) new InboundStream().open(aead, Direction.ClientToServer, r.value);
        },
      ),
    );
  });
});
