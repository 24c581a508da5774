/**
 * The browser app (apps/web, built by `npm run build` into apps/web/dist)
 * served at `/` on the API's own origin: its files by @fastify/static, and
 * index.html for the app's client-side routes (`/admin/users`, `/design`, …)
 * so a reload or a shared link works. Never for the server's own prefixes
 * (`/api`, `/ws`, `/docs`, `/metrics`): an unknown route there stays a
 * problem+json 404. Without a build, nothing is registered and `/` is a 404.
 */
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Paths the app never takes over. */
const SERVER_PREFIXES = ['/api', '/ws', '/docs', '/metrics'] as const;

/** Hashed by the build (`assets/index-3f2a….js`): cached for a year. Everything else is revalidated. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** A built web app found on disk. */
export interface WebApp {
  readonly dir: string;
}

/** The built app in `dir`, or null when there is none (no `index.html`). */
export function findWebApp(dir: string | undefined): WebApp | null {
  if (dir === undefined || !existsSync(join(dir, 'index.html'))) return null;
  return { dir };
}

function underServerPrefix(path: string): boolean {
  return SERVER_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * Whether an unmatched request is a client-side route of the app: a GET or
 * HEAD for a page (accepts HTML, last segment without a file extension),
 * outside the server's prefixes.
 */
export function isAppRoute(method: string, url: string, accept: string | undefined): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const path = url.split('?')[0] ?? '/';
  if (underServerPrefix(path)) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (last.includes('.')) return false; // a missing file (/assets/x.js, /favicon.ico): a real 404
  return accept === undefined || accept.includes('text/html') || accept.includes('*/*');
}

/** Registers the app's files at `/` (hashed assets cached long, the rest revalidated). */
export async function registerWebApp(app: FastifyInstance, web: WebApp): Promise<void> {
  await app.register(fastifyStatic, {
    root: web.dir,
    prefix: '/',
    // One route per file found at start (the build is fixed): unknown paths fall to the not-found handler.
    wildcard: false,
    cacheControl: false,
    setHeaders: (reply: FastifyReply, path: string) => {
      // Judged on the path inside the build: an install directory named `assets` must not make
      // index.html and sw.js immutable.
      const inBuild = relative(web.dir, path);
      void reply.header('cache-control', inBuild.startsWith(`assets${sep}`) ? IMMUTABLE : REVALIDATE);
      // The service worker may control the whole origin (it is served from the root anyway).
      if (path.endsWith('/sw.js')) void reply.header('service-worker-allowed', '/');
    },
  });
}

/** The not-found fallback for app routes: index.html, revalidated. */
export function sendAppShell(_req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', REVALIDATE).type('text/html; charset=utf-8').sendFile('index.html');
}
