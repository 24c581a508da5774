/** Writes a 16-bit PCM WAV with any rate and channel count (test fixtures). */
export function wav16(channels: Float32Array[], sampleRate: number): Uint8Array {
  const n = channels[0]?.length ?? 0;
  const ch = channels.length;
  const data = n * ch * 2;
  const out = new Uint8Array(44 + data);
  const v = new DataView(out.buffer);
  const text = (o: number, s: string): void => {
    for (let i = 0; i < s.length; i++) out[o + i] = s.charCodeAt(i);
  };
  text(0, 'RIFF');
  v.setUint32(4, 36 + data, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, ch, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * ch * 2, true);
  v.setUint16(32, ch * 2, true);
  v.setUint16(34, 16, true);
  text(36, 'data');
  v.setUint32(40, data, true);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < ch; c++) {
      const s = Math.max(-1, Math.min(1, channels[c]![i]!));
      v.setInt16(44 + (i * ch + c) * 2, Math.round(s * 32767), true);
    }
  }
  return out;
}

export function sine(freq: number, seconds: number, sampleRate: number, amplitude: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / sampleRate);
  return out;
}

/** Reads our own 48 kHz mono 16-bit recordings. */
export function readMono16(bytes: Uint8Array): { sampleRate: number; samples: Int16Array } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 12;
  let sampleRate = 0;
  while (off + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(off, off + 4));
    const size = v.getUint32(off + 4, true);
    if (id === 'fmt ') sampleRate = v.getUint32(off + 12, true);
    if (id === 'data') {
      const samples = new Int16Array(size / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = v.getInt16(off + 8 + i * 2, true);
      return { sampleRate, samples };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}
