import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import WebSocket from 'ws';
import { createNodeAead } from '@parley/protocol/node';
import { VoiceClient, type WebSocketLike } from '@parley/client';
import { buildServer, finalizeConfig, type ConfigOverrides } from '@parley/server';
import { reloadTls } from '../../packages/server/src/http/tls.js';
import { startServer, type TestServer } from '../helpers/server.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP(S) request over a real socket; `ca` makes node verify the server's certificate against it. */
function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; ca?: Buffer } = {},
): Promise<Answer> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      u,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        ...(opts.ca ? { ca: opts.ca } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** A self-signed certificate for localhost and 127.0.0.1, made by the openssl CLI. */
function makeCert(dir: string, name: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-days',
      '1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

const read = (file: string): Buffer => readFileSync(file);

describe('TLS: HTTPS and WSS on the HTTP port', () => {
  let dir: string;
  let files: { certFile: string; keyFile: string };
  let ca: Buffer;
  let t: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
    files = makeCert(dir, 'server');
    ca = read(files.certFile);
    t = await startServer({ tls: files });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports an https:// URL and answers /api/v1/health over verified HTTPS', async () => {
    expect(t.info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await request(`${t.info.url}/api/v1/health`, { ca });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok' });
  });

  it('is really checked: without the CA the certificate is refused', async () => {
    await expect(request(`${t.info.url}/api/v1/health`)).rejects.toThrow(/self.signed|unable to verify/i);
  });

  it('does not speak plain HTTP on the same port', async () => {
    const plain = t.info.url.replace(/^https:/, 'http:');
    const outcome = await request(`${plain}/api/v1/health`).then(
      (res) => `status ${res.status}`,
      (err: Error) => `error ${err.message}`,
    );
    expect(outcome).toMatch(/^error /);
  });

  it('runs the WebSocket control session over wss://', async () => {
    const ws = new WebSocket(`${t.info.url.replace(/^https:/, 'wss:')}/ws`, { ca });
    const first = new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.once('message', (data: Buffer) =>
        resolve(JSON.parse(data.toString('utf8')) as Record<string, unknown>),
      );
      ws.once('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'hello', v: 1, name: 'tls-test' }));
    const welcome = await first;
    expect(welcome.type).toBe('welcome');
    ws.close();
  });

  it('lets the SDK turn the https:// server URL into wss:// and join a channel', async () => {
    const client = await VoiceClient.connect({
      server: t.info.url,
      name: 'tls-sdk',
      webSocket: (u) => new WebSocket(u, { ca }) as unknown as WebSocketLike,
      aead: createNodeAead,
    });
    try {
      const joined = await client.join('Games');
      expect(joined.media.udpPort).toBe(t.info.udpPort);
    } finally {
      client.close();
    }
  });

  it('reloads a renewed certificate for new connections', async () => {
    const renewed = makeCert(dir, 'renewed');
    const fingerprint = (pem: Buffer): string => new X509Certificate(pem).fingerprint256;
    const served = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tlsConnect(
          {
            host: '127.0.0.1',
            port: t.info.httpPort,
            ca: [ca, read(renewed.certFile)],
            servername: 'localhost',
          },
          () => {
            resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
            s.end();
          },
        );
        s.on('error', reject);
      });
    expect(await served()).toBe(fingerprint(ca));
    copyFileSync(renewed.certFile, files.certFile);
    copyFileSync(renewed.keyFile, files.keyFile);
    reloadTls(t.server.app.server, t.server.config);
    expect(await served()).toBe(fingerprint(read(renewed.certFile)));
  });
});

describe('TLS: files that are not a certificate and its key', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-tls-bad-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const build = (tls: { certFile: string; keyFile: string }): Promise<unknown> =>
    buildServer(
      finalizeConfig({
        host: '127.0.0.1',
        httpPort: 0,
        udpPort: 0,
        dataDir: ':memory:',
        logLevel: 'silent',
        tls,
      }),
      { logger: false },
    );

  it('refuses a key that belongs to another certificate', async () => {
    const a = makeCert(dir, 'a');
    const b = makeCert(dir, 'b');
    await expect(build({ certFile: a.certFile, keyFile: b.keyFile })).rejects.toThrow(
      /tls\.keyFile: .*b\.key is not the key of the certificate/,
    );
  });

  it('refuses a file that is not PEM', async () => {
    const a = makeCert(dir, 'c');
    await expect(build({ certFile: a.keyFile, keyFile: a.keyFile })).rejects.toThrow(
      /tls\.certFile: .* is not a PEM certificate/,
    );
    await expect(build({ certFile: a.certFile, keyFile: a.certFile })).rejects.toThrow(
      /tls\.keyFile: .* is not an unencrypted PEM private key/,
    );
  });
});

describe('security headers and CORS', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('sends security headers and a same-origin CSP by default, and no CORS headers', async () => {
    t = await startServer();
    const res = await request(`${t.info.url}/api/v1/health`, { headers: { origin: 'https://app.example' } });
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    // The browser engine's AudioWorklet comes from a Blob URL: allowed for script elements and worklets only.
    expect(csp).toMatch(/script-src-elem 'self' blob:(;|$)/);
    expect(csp).not.toContain("'unsafe-eval'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('gives /docs a CSP that lets Swagger UI run its inline styles and scripts', async () => {
    const config = finalizeConfig({
      host: '127.0.0.1',
      httpPort: 0,
      udpPort: 0,
      dataDir: ':memory:',
      logLevel: 'silent',
    });
    const server = await buildServer(config, { logger: false });
    server.app.get('/docs/csp-probe', () => 'docs');
    server.app.get('/csp-probe', () => 'app');
    const info = await server.listen();
    t = { server, info, close: () => server.close() };
    const docs = String((await request(`${info.url}/docs/csp-probe`)).headers['content-security-policy']);
    expect(docs).toContain("script-src 'self' 'unsafe-inline'");
    expect(docs).toContain("style-src 'self' 'unsafe-inline'");
    expect(docs).toContain("connect-src 'self'");
    const app = String((await request(`${info.url}/csp-probe`)).headers['content-security-policy']);
    expect(app).not.toContain("script-src 'self' 'unsafe-inline'");
  });

  it('leaves the headers out when http.securityHeaders is false', async () => {
    t = await startServer({ http: { securityHeaders: false } });
    const res = await request(`${t.info.url}/api/v1/health`);
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBeUndefined();
    expect(res.headers['content-security-policy']).toBeUndefined();
  });

  it('answers CORS for a configured origin only', async () => {
    const overrides: ConfigOverrides = { http: { cors: { origins: ['https://app.example'] } } };
    t = await startServer(overrides);
    const url = `${t.info.url}/api/v1/health`;

    const allowed = await request(url, { headers: { origin: 'https://app.example' } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(allowed.headers.vary).toMatch(/origin/i);

    const other = await request(url, { headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();

    const preflight = (origin: string): Promise<Answer> =>
      request(url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'PATCH',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const ok = await preflight('https://app.example');
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(ok.headers['access-control-allow-methods']).toContain('PATCH');
    expect(String(ok.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');
    const refused = await preflight('https://evil.example');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});
