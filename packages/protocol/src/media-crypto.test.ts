import { describe, expect, it } from 'vitest';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Direction, PacketType } from './constants.js';
import { parsePacket, type MediaPacketView } from './packet.js';
import { InboundStream, OutboundStream, sealPacket } from './media-crypto.js';
import { CIPHERS, DEFAULT_CIPHER, pickCipher } from './aead.js';
import { loadWasmAead, WASM_CIPHERS } from './aead-wasm.js';
import { createNodeAead, hasFastChaCha } from './node/aead-node.js';

const key = randomBytes(32);
const aead = createNodeAead(key);
const SSRC = 99;

function packet(ext: number, body = Uint8Array.of(ext & 0xff)): MediaPacketView {
  const p = sealPacket(
    aead,
    Direction.ServerToClient,
    { type: PacketType.Audio, flags: 0, seq: ext & 0xffff, timestamp: 0, ssrc: SSRC },
    ext,
    body,
  );
  const r = parsePacket(p);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

const open = (s: InboundStream, v: MediaPacketView) => s.open(aead, Direction.ServerToClient, v);

describe('InboundStream', () => {
  it('opens in order and reordered within the window, then rejects duplicates', () => {
    const s = new InboundStream();
    for (const ext of [100, 101, 103, 102, 104]) {
      const r = open(s, packet(ext));
      expect(r).toMatchObject({ ok: true, value: { extSeq: ext } });
    }
    expect(open(s, packet(102))).toEqual({ ok: false, reason: 'replayed' });
  });

  it('rejects packets older than the window', () => {
    const s = new InboundStream();
    open(s, packet(5000));
    expect(open(s, packet(5000 - 2000))).toEqual({ ok: false, reason: 'too_old' });
  });

  it('reports auth_failed for another key and leaves the window untouched', () => {
    const s = new InboundStream();
    open(s, packet(10));
    const other = createNodeAead(randomBytes(32));
    const forged = parsePacket(
      sealPacket(
        other,
        Direction.ServerToClient,
        { type: PacketType.Audio, flags: 0, seq: 11, timestamp: 0, ssrc: SSRC },
        11,
        Uint8Array.of(1),
      ),
    );
    if (!forged.ok) throw new Error('fixture');
    expect(open(s, forged.value)).toEqual({ ok: false, reason: 'auth_failed' });
    expect(s.highest).toBe(10);
    expect(open(s, packet(11)).ok).toBe(true);
  });

  it('rejects a packet sealed for the other direction', () => {
    const s = new InboundStream();
    const v = packet(1);
    expect(s.open(aead, Direction.ClientToServer, v)).toEqual({ ok: false, reason: 'auth_failed' });
  });

  it('lets a late joiner open a sender whose counter wrapped 3 times', () => {
    const s = new InboundStream();
    const ext = 3 * 65536 + 1234;
    expect(open(s, packet(ext))).toMatchObject({ ok: true, value: { extSeq: ext } });
    expect(open(s, packet(ext + 1))).toMatchObject({ ok: true, value: { extSeq: ext + 1 } });
  });

  it('resumes after a gap of 40 000 and of 200 000 packets (a long deafen)', () => {
    const s = new InboundStream();
    open(s, packet(1000));
    expect(open(s, packet(41_000))).toMatchObject({ ok: true, value: { extSeq: 41_000 } });
    expect(open(s, packet(241_000))).toMatchObject({ ok: true, value: { extSeq: 241_000 } });
    expect(open(s, packet(241_001))).toMatchObject({ ok: true, value: { extSeq: 241_001 } });
  });

  it('the WebAssembly ChaCha20-Poly1305 (browsers) seals the same bytes as sodium-native and opens them', async () => {
    const wasm = (await loadWasmAead())(key, 'chacha20-poly1305');
    const native = createNodeAead(key, 'chacha20-poly1305');
    expect(WASM_CIPHERS).toEqual(['chacha20-poly1305']);
    const header = { type: PacketType.Audio, flags: 0, seq: 7, timestamp: 0, ssrc: SSRC } as const;
    for (const len of [1, 60, 400]) {
      const payload = new Uint8Array(len).map((_, i) => (i * 31 + len) & 0xff);
      const pkt = sealPacket(wasm, Direction.ServerToClient, header, 7, payload);
      expect(Buffer.from(pkt)).toEqual(
        Buffer.from(sealPacket(native, Direction.ServerToClient, header, 7, payload)),
      );
      const v = parsePacket(pkt);
      if (!v.ok) throw new Error('fixture');
      expect(new InboundStream().open(native, Direction.ServerToClient, v.value)).toMatchObject({ ok: true });
      const opened = new InboundStream().open(wasm, Direction.ServerToClient, v.value);
      expect(opened.ok && Buffer.from(opened.value.payload)).toEqual(Buffer.from(payload));
      // One flipped bit anywhere is refused, never thrown.
      const bad = Uint8Array.from(pkt);
      bad[bad.length - 1]! ^= 1;
      const vb = parsePacket(bad);
      if (!vb.ok) throw new Error('fixture');
      expect(new InboundStream().open(wasm, Direction.ServerToClient, vb.value)).toEqual({
        ok: false,
        reason: 'auth_failed',
      });
    }
  });

  it('the WebAssembly AEAD refuses a cipher it lacks and a key of the wrong size', async () => {
    const make = await loadWasmAead();
    expect(() => make(key, 'aes-256-gcm')).toThrow(RangeError);
    expect(() => make(key.subarray(1), 'chacha20-poly1305')).toThrow(/32 bytes/);
  });
});

describe('OutboundStream', () => {
  it('counts up, wraps the 16-bit seq and keeps the extended value', () => {
    const o = new OutboundStream(65534);
    expect(o.next()).toEqual({ seq16: 65534, extSeq: 65534 });
    expect(o.next()).toEqual({ seq16: 65535, extSeq: 65535 });
    expect(o.next()).toEqual({ seq16: 0, extSeq: 65536 });
  });

  it('starts at wrap count 0', () => {
    for (let i = 0; i < 100; i++) expect(new OutboundStream().peek()).toBeLessThan(65536);
  });
});

describe('cipher negotiation and ChaCha20-Poly1305', () => {
  it('picks the first cipher of the client’s list the server knows, AES-256-GCM when none', () => {
    expect(pickCipher(['chacha20-poly1305', 'aes-256-gcm'])).toBe('chacha20-poly1305');
    expect(pickCipher(['rot13', 'aes-256-gcm'])).toBe('aes-256-gcm');
    expect(pickCipher(undefined)).toBe('aes-256-gcm');
    expect(pickCipher([])).toBe(DEFAULT_CIPHER);
  });

  it('seals with libsodium and opens with node:crypto (and back): the same IETF ChaCha20-Poly1305', () => {
    expect(hasFastChaCha()).toBe(true);
    const key = new Uint8Array(32).map((_, i) => i * 7);
    const fast = createNodeAead(key, 'chacha20-poly1305');
    const nonce = new Uint8Array(12).fill(3);
    const aad = new Uint8Array(12).fill(9);
    const pt = new Uint8Array(60).map((_, i) => i);
    const sealed = fast.seal(nonce, aad, pt);
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: 60 });
    d.setAuthTag(sealed.subarray(60));
    expect(Buffer.concat([d.update(sealed.subarray(0, 60)), d.final()])).toEqual(Buffer.from(pt));
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: 60 });
    const other = Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
    expect(fast.open(nonce, aad, other)).toEqual(pt);
    // Tampering with a ciphertext byte, the tag or the header (AAD) is refused, never thrown.
    for (const [i, where] of [
      [5, sealed],
      [70, sealed],
      [0, aad],
    ] as const) {
      where[i] = (where[i] ?? 0) ^ 1;
      expect(fast.open(nonce, aad, sealed)).toBeNull();
      where[i] = (where[i] ?? 0) ^ 1;
    }
    expect(fast.open(nonce, aad, sealed.subarray(0, 10))).toBeNull();
  });

  it('round-trips media packets under both ciphers, sealed in place behind the header', () => {
    for (const cipher of CIPHERS) {
      const aead = createNodeAead(new Uint8Array(32).fill(1), cipher);
      const payload = new Uint8Array(40).fill(0x5a);
      const pkt = sealPacket(
        aead,
        Direction.ServerToClient,
        { type: PacketType.Audio, flags: 0, seq: 9, timestamp: 960, ssrc: 77 },
        9,
        payload,
      );
      const view = parsePacket(pkt);
      expect(view.ok).toBe(true);
      if (!view.ok) return;
      const opened = new InboundStream().open(aead, Direction.ServerToClient, view.value);
      expect(opened).toMatchObject({ ok: true, value: { extSeq: 9 } });
      if (opened.ok) expect(new Uint8Array(opened.value.payload)).toEqual(payload);
    }
  });
});
