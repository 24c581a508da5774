/**
 * The server serving the web app (packages/server/src/http/web.ts) on a
 * build of its own: files with their cache policy, index.html for the app's
 * routes, the server's prefixes never shadowed, and a server without a build
 * that still starts, says so, and answers 404 at `/`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer, finalizeConfig } from '@parley/server';
import { startServer, type TestServer } from '../helpers/server.js';
import { isAppRoute } from '../../packages/server/src/http/web.js';

function fakeBuild(under?: string): string {
  const dir = under ?? mkdtempSync(join(tmpdir(), 'parley-web-dist-'));
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>app</title><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'export {};');
  writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  writeFileSync(join(dir, 'manifest.webmanifest'), '{"name":"Parley"}');
  return dir;
}

describe('the web app at /', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('serves the build: hashed assets for a year, the rest revalidated, index.html for app routes', async () => {
    t = await startServer({}, { webDir: fakeBuild() });
    const url = t.info.url;
    const root = await fetch(`${url}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('<div id="root">');
    expect(root.headers.get('cache-control')).toBe('no-cache');
    expect(root.headers.get('content-security-policy')).toContain("default-src 'self'");

    const asset = await fetch(`${url}/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);

    const sw = await fetch(`${url}/sw.js`);
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    expect(sw.headers.get('service-worker-allowed')).toBe('/');

    for (const route of ['/login', '/admin/users', '/settings?tab=audio', '/design']) {
      const res = await fetch(`${url}${route}`, { headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(res.status, route).toBe(200);
      expect(res.headers.get('content-type'), route).toMatch(/text\/html/);
      expect(res.headers.get('cache-control'), route).toBe('no-cache');
      expect(await res.text(), route).toContain('<div id="root">');
    }
  });

  it('caches by the path inside the build: an install directory named assets changes nothing', async () => {
    const install = join(mkdtempSync(join(tmpdir(), 'parley-web-')), 'assets', 'dist');
    mkdirSync(install, { recursive: true });
    t = await startServer({}, { webDir: fakeBuild(install) });
    for (const path of ['/', '/sw.js', '/manifest.webmanifest'])
      expect((await fetch(`${t.info.url}${path}`)).headers.get('cache-control'), path).toBe('no-cache');
    expect((await fetch(`${t.info.url}/assets/index-abc123.js`)).headers.get('cache-control')).toBe(
      'public, max-age=31536000, immutable',
    );
  });

  it('never takes over the API, the WebSocket, the docs or the metrics, nor a missing file', async () => {
    t = await startServer({}, { webDir: fakeBuild() });
    const url = t.info.url;
    for (const path of [
      '/api/v1/nope',
      '/api',
      '/ws/x',
      '/docs/nope',
      '/metrics',
      '/assets/missing-1.js',
      '/favicon.ico',
    ]) {
      const res = await fetch(`${url}${path}`, { headers: { accept: 'text/html' } });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/application\/problem\+json/);
    }
    expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);
    // A write to an app path is not a page.
    expect((await fetch(`${url}/login`, { method: 'POST' })).status).toBe(404);
  });

  it('starts without a build, says so in its log, and answers 404 at /', async () => {
    const lines: string[] = [];
    const config = finalizeConfig({ host: '127.0.0.1', httpPort: 0, udpPort: 0, dataDir: ':memory:' });
    const missing = join(tmpdir(), 'parley-no-such-build');
    const server = await buildServer(config, {
      logger: { level: 'warn', stream: { write: (l: string) => void lines.push(l) } },
      webDir: missing,
    });
    const info = await server.listen();
    t = { server, info, close: () => server.close() };
    expect(lines.some((l) => l.includes('web app not built') && l.includes(missing))).toBe(true);
    const res = await fetch(`${info.url}/`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('isAppRoute: pages only', () => {
    expect(isAppRoute('GET', '/admin/users?x=1', 'text/html')).toBe(true);
    expect(isAppRoute('HEAD', '/', undefined)).toBe(true);
    expect(isAppRoute('GET', '/api/v1/users', 'text/html')).toBe(false);
    expect(isAppRoute('GET', '/apiary', 'text/html')).toBe(true);
    expect(isAppRoute('GET', '/docs', 'text/html')).toBe(false);
    expect(isAppRoute('GET', '/app.js', 'text/html')).toBe(false);
    expect(isAppRoute('GET', '/login', 'application/json')).toBe(false);
    expect(isAppRoute('DELETE', '/login', 'text/html')).toBe(false);
  });
});
