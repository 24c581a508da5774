/**
 * Builds the web app into apps/web/dist (run by the root `npm run build`,
 * hence by `npm ci`'s prepare). The server serves dist at `/`. The PNG icons
 * of the PWA manifest are drawn here at build time (no binary in git).
 */
import { deflateSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Inside a rounded rectangle (x0,y0)–(x1,y1) of corner radius r? */
function inRoundRect(
  x: number,
  y: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  r: number,
): boolean {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** The icon of public/icon.svg (512 units: an indigo square, four white level bars), as an RGBA PNG. */
export function drawIcon(size: number): Buffer {
  const bars: [number, number, number, number][] = [
    [124, 206, 172, 306],
    [200, 150, 248, 362],
    [276, 116, 324, 396],
    [352, 182, 400, 330],
  ];
  const s = 512 / size;
  const SUB = 4;
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < SUB; sy++) {
        for (let sx = 0; sx < SUB; sx++) {
          const x = (px + (sx + 0.5) / SUB) * s;
          const y = (py + (sy + 0.5) / SUB) * s;
          if (!inRoundRect(x, y, 0, 0, 512, 512, 112)) continue;
          if (bars.some(([a, b, c, d]) => inRoundRect(x, y, a, b, c, d, 24))) fg++;
          else bg++;
        }
      }
      const n = SUB * SUB;
      const alpha = (bg + fg) / n;
      const o = py * (size * 4 + 1) + 1 + px * 4;
      const f = bg + fg === 0 ? 0 : fg / (bg + fg);
      raw[o] = Math.round(0x45 + (0xff - 0x45) * f);
      raw[o + 1] = Math.round(0x47 + (0xff - 0x47) * f);
      raw[o + 2] = Math.round(0xc9 + (0xff - 0xc9) * f);
      raw[o + 3] = Math.round(alpha * 255);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

function pngIcons(): Plugin {
  return {
    name: 'parley-png-icons',
    apply: 'build',
    generateBundle() {
      for (const size of [192, 512]) {
        this.emitFile({ type: 'asset', fileName: `icon-${size}.png`, source: drawIcon(size) });
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), pngIcons()],
  // RNNoise (~1.9 MB, its wasm inlined) is a lazy chunk, loaded only when the option is on.
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2500 },
  // `npm run dev -w apps/web`: the app on Vite's dev server, the API of a server started with `npm start`.
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8710',
      '/ws': { target: 'ws://127.0.0.1:8710', ws: true },
    },
  },
});
