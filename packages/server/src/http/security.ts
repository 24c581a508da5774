/**
 * Security headers (@fastify/helmet) and CORS (@fastify/cors) for every
 * HTTP answer. Call `registerSecurity` before any route is added: the CSP
 * of a route is chosen when the route is registered.
 */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { ParleyConfig } from '../config.js';

/** Where the API browser (Swagger UI) lives; its pages get `DOCS_CSP`. */
export const DOCS_PREFIX = '/docs';

type Directives = Record<string, string[]>;

/**
 * Content-Security-Policy of the server's own pages (the browser app):
 * everything from this origin only. `connect-src 'self'` covers the REST
 * API and the WebSocket (CSP Level 3 matches ws:/wss: of the same host and
 * port to 'self'); `'wasm-unsafe-eval'` lets the page compile the Opus
 * WebAssembly module; blob: for audio worklets (the SDK's browser engine
 * loads its worklet from a Blob URL: `script-src-elem`, which governs
 * worklet modules and <script> elements, never eval) and recorded audio.
 */
export const APP_CSP: Directives = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'script-src-elem': ["'self'", 'blob:'],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'media-src': ["'self'", 'blob:'],
  'worker-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'frame-ancestors': ["'self'"],
  'form-action': ["'self'"],
};

/** The same for /docs, plus the inline styles and scripts Swagger UI needs. */
export const DOCS_CSP: Directives = {
  ...APP_CSP,
  'script-src': ["'self'", "'unsafe-inline'"],
  'script-src-elem': ["'self'", "'unsafe-inline'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
};

function isDocsRoute(url: string): boolean {
  return url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`);
}

/** Registers helmet (when `http.securityHeaders`) and CORS (when `http.cors.origins` is not empty). */
export async function registerSecurity(app: FastifyInstance, config: ParleyConfig): Promise<void> {
  if (config.http.securityHeaders) {
    // Added before helmet's own onRoute hook, which turns `route.helmet` into the route's settings.
    app.addHook('onRoute', (route) => {
      if (route.helmet === undefined && isDocsRoute(route.url)) {
        route.helmet = { contentSecurityPolicy: { useDefaults: false, directives: DOCS_CSP } };
      }
    });
    await app.register(helmet, {
      // No upgrade-insecure-requests: it would break the pages on a plain-HTTP loopback server.
      contentSecurityPolicy: { useDefaults: false, directives: APP_CSP },
      // Browsers ignore HSTS on plain HTTP; over HTTPS (direct or via a proxy) it pins HTTPS for a year.
      strictTransportSecurity: { maxAge: 365 * 24 * 3600, includeSubDomains: false },
    });
  }
  const origins = config.http.cors.origins;
  if (origins.length > 0) {
    // Tokens travel in the Authorization header, never in cookies: no credentials mode.
    await app.register(cors, {
      origin: origins.includes('*') ? '*' : [...origins],
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      maxAge: 600,
    });
  }
}
