import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (apt install chromium); `.ci/run` installs it when missing. */
export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

/** The flags every browser test runs with: headless, no network of its own, fake audio devices. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

/** Launches Chromium (fails with a clear message when it is not installed). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set PARLEY_CHROMIUM)`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the files of `dir` on 127.0.0.1:0 (GET only, no listing, nothing outside `dir`). */
export async function serveDir(dir: string): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (req.method !== 'GET' || !file.startsWith(dir)) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) =>
        res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Bundle {
  /** Files written to `outDir`. */
  files: string[];
  /** The JavaScript chunks and the modules in each (absolute paths, or ids such as `node:fs`). */
  chunks: { fileName: string; modules: string[]; bytes: number }[];
}

const SRC = (p: string): string => join(import.meta.dirname, '..', '..', 'packages', p);

/**
 * Bundles `entry` for browsers with Vite (the SDK from its TypeScript
 * sources, as a user's bundler would take the package) into `outDir`.
 */
export async function bundleForBrowser(entry: string, outDir: string): Promise<Bundle> {
  const { build } = await import('vite');
  const result = await build({
    configFile: false,
    logLevel: 'warn',
    root: import.meta.dirname,
    resolve: {
      alias: [
        { find: /^@parley\/protocol$/, replacement: SRC('protocol/src/index.ts') },
        { find: /^@parley\/client$/, replacement: SRC('client/src/index.ts') },
        { find: /^@parley\/client\/browser$/, replacement: SRC('client/src/browser/index.ts') },
      ],
    },
    build: {
      outDir,
      emptyOutDir: false,
      minify: false,
      target: 'es2022',
      lib: { entry, formats: ['es'], fileName: () => 'page.js' },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => ('output' in r ? r.output : []));
  const files: string[] = [];
  const chunks: Bundle['chunks'] = [];
  for (const o of outputs) {
    files.push(o.fileName);
    if (o.type === 'chunk')
      chunks.push({ fileName: o.fileName, modules: [...o.moduleIds], bytes: o.code.length });
  }
  return { files, chunks };
}
