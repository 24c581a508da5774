/**
 * WAV reading (any PCM or float format, any rate, any channel count; down-
 * mixed to mono) and writing (mono 16-bit). Reading never throws on bad
 * bytes: it returns a one-line reason.
 */
import type { Result } from '@parley/protocol';

export interface WavAudio {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  format: 'pcm' | 'float';
  /** Mono, down-mixed (average of the channels), in [−1, 1]. */
  samples: Float32Array;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

function fourcc(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);
}

export function parseWav(bytes: Uint8Array): Result<WavAudio> {
  if (bytes.length < 12 || fourcc(bytes, 0) !== 'RIFF' || fourcc(bytes, 8) !== 'WAVE') {
    return { ok: false, reason: 'not a WAV file (no RIFF/WAVE header)' };
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { format: number; channels: number; rate: number; bits: number; align: number } | undefined;
  let data: Uint8Array | undefined;
  let off = 12;
  while (off + 8 <= bytes.length) {
    const id = fourcc(bytes, off);
    const size = v.getUint32(off + 4, true);
    const body = off + 8;
    const end = Math.min(bytes.length, body + size);
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) return { ok: false, reason: 'WAV fmt chunk is truncated' };
      let format = v.getUint16(body, true);
      if (format === FORMAT_EXTENSIBLE && size >= 26 && body + 26 <= bytes.length)
        format = v.getUint16(body + 24, true);
      fmt = {
        format,
        channels: v.getUint16(body + 2, true),
        rate: v.getUint32(body + 4, true),
        align: v.getUint16(body + 12, true),
        bits: v.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      data = bytes.subarray(body, end);
      if (fmt !== undefined) break;
    }
    off = body + size + (size & 1);
  }
  if (fmt === undefined) return { ok: false, reason: 'WAV file has no fmt chunk' };
  if (data === undefined) return { ok: false, reason: 'WAV file has no data chunk' };
  const { format, channels, rate, bits } = fmt;
  if (channels < 1 || channels > 64) return { ok: false, reason: `unsupported channel count ${channels}` };
  if (rate < 1000 || rate > 768000) return { ok: false, reason: `unsupported sample rate ${rate} Hz` };
  const isFloat = format === FORMAT_FLOAT && (bits === 32 || bits === 64);
  const isPcm = format === FORMAT_PCM && (bits === 8 || bits === 16 || bits === 24 || bits === 32);
  if (!isFloat && !isPcm)
    return {
      ok: false,
      reason: `unsupported WAV encoding (format ${format}, ${bits} bits): use PCM or float`,
    };
  const bytesPer = bits / 8;
  const frameBytes = bytesPer * channels;
  const frames = Math.floor(data.length / frameBytes);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read = (o: number): number => {
    if (isFloat) return bits === 32 ? dv.getFloat32(o, true) : dv.getFloat64(o, true);
    switch (bits) {
      case 8:
        return (dv.getUint8(o) - 128) / 128;
      case 16:
        return dv.getInt16(o, true) / 32768;
      case 24: {
        const x = dv.getUint8(o) | (dv.getUint8(o + 1) << 8) | (dv.getInt8(o + 2) << 16);
        return x / 8388608;
      }
      default:
        return dv.getInt32(o, true) / 2147483648;
    }
  };
  const samples = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read(f * frameBytes + c * bytesPer);
    samples[f] = sum / channels;
  }
  return {
    ok: true,
    value: { sampleRate: rate, channels, bitsPerSample: bits, format: isFloat ? 'float' : 'pcm', samples },
  };
}

/**
 * Largest data chunk a WAV file holds: the RIFF size field (32 bits) counts
 * the data plus the 36 bytes of header after it.
 */
export const MAX_WAV_DATA_BYTES = 0xffffffff - 36;
/** Most 16-bit mono samples a WAV file holds (2,147,483,629: 12 h 25 min at 48 kHz). */
export const MAX_WAV_SAMPLES = Math.floor(MAX_WAV_DATA_BYTES / 2);
/** Size of the header `wavHeader` writes. */
export const WAV_HEADER_BYTES = 44;

/**
 * The 44-byte header of a mono 16-bit PCM WAV file whose data chunk is
 * `dataBytes` long; `dataBytes` = 0xffffffff writes the "length unknown"
 * marker (RIFF and data sizes 0xffffffff) that a file being streamed
 * carries until its sizes are known.
 */
export function wavHeader(dataBytes: number, sampleRate: number): Uint8Array {
  const unknown = dataBytes === 0xffffffff;
  if (!unknown && (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > MAX_WAV_DATA_BYTES))
    throw new RangeError(`a WAV data chunk holds at most ${MAX_WAV_DATA_BYTES} bytes, got ${dataBytes}`);
  const out = new Uint8Array(WAV_HEADER_BYTES);
  const v = new DataView(out.buffer);
  const put = (o: number, s: string): void => {
    for (let i = 0; i < 4; i++) out[o + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  v.setUint32(4, unknown ? 0xffffffff : 36 + dataBytes, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, FORMAT_PCM, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  put(36, 'data');
  v.setUint32(40, dataBytes, true);
  return out;
}

/** Writes 16-bit samples little-endian into `out` at byte `offset`. */
export function putInt16LE(samples: Int16Array, out: Uint8Array, offset: number): void {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < samples.length; i++) v.setInt16(offset + i * 2, samples[i]!, true);
}

/** Encodes mono 16-bit PCM as a WAV file (in memory; node/wav-writer.ts streams one to disk). */
export function encodeWav(samples: Int16Array, sampleRate: number): Uint8Array {
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(WAV_HEADER_BYTES + dataBytes);
  out.set(wavHeader(dataBytes, sampleRate));
  putInt16LE(samples, out, WAV_HEADER_BYTES);
  return out;
}
