/**
 * TLS for the HTTP port (HTTPS + WSS) and the start-up check of how exposed
 * a plain-HTTP server is. The certificate and key are read here, once at
 * build time and again on `reloadTls` (certificate renewal, SIGHUP).
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { ServerOptions } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import { ConfigError, type ParleyConfig } from '../config.js';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  /** Expiry of the leaf certificate. */
  validTo: Date;
}

/**
 * Reads `tls.certFile` and `tls.keyFile` and checks that they are a PEM
 * certificate and the private key that belongs to it; null without TLS.
 * Throws a ConfigError naming the option otherwise.
 */
export function readTlsFiles(tls: ParleyConfig['tls']): TlsFiles | null {
  const { certFile, keyFile } = tls;
  if (certFile === undefined && keyFile === undefined) return null;
  if (certFile === undefined || keyFile === undefined) {
    throw new ConfigError('invalid configuration: tls: give both tls.certFile and tls.keyFile, or neither');
  }
  const cert = readOrThrow('tls.certFile', certFile);
  const key = readOrThrow('tls.keyFile', keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new ConfigError(
      `invalid configuration: tls.certFile: ${certFile} is not a PEM certificate: ${(err as Error).message}`,
    );
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new ConfigError(
      `invalid configuration: tls.keyFile: ${keyFile} is not an unencrypted PEM private key: ${(err as Error).message}`,
    );
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new ConfigError(
      `invalid configuration: tls.keyFile: ${keyFile} is not the key of the certificate in ${certFile}`,
    );
  }
  return { cert, key, validTo: new Date(x509.validTo) };
}

function readOrThrow(where: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`invalid configuration: ${where}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Fastify's `https` option when TLS is configured (spread into `Fastify({...})`), `{}` otherwise. */
export function httpsOptions(config: ParleyConfig): { https?: ServerOptions } {
  const files = readTlsFiles(config.tls);
  return files ? { https: { cert: files.cert, key: files.key } } : {};
}

/** `https` with TLS, `http` without: the scheme of the URL `listen()` reports. */
export function urlScheme(config: ParleyConfig): 'https' | 'http' {
  return config.tls.certFile !== undefined ? 'https' : 'http';
}

/**
 * Re-reads the certificate and key into the running HTTPS server: new
 * connections get the new certificate, open ones (and their voice sessions)
 * stay. On a bad pair it throws and the server keeps the old one.
 */
export function reloadTls(server: unknown, config: ParleyConfig): TlsFiles | null {
  const files = readTlsFiles(config.tls);
  if (files) (server as TlsServer).setSecureContext({ cert: files.cert, key: files.key });
  return files;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  if (isIP(v4) === 4) return LOOPBACK.check(v4, 'ipv4');
  return isIP(h) === 6 && LOOPBACK.check(h, 'ipv6');
}

export interface ExposureWarning {
  level: 'warn' | 'info';
  /** Also print it as a plain line on stderr (seen even with JSON logs piped away). */
  loud: boolean;
  message: string;
}

/**
 * What to tell the operator at start about who can read the HTTP/WebSocket
 * traffic (media keys, login tokens, passwords travel on it). Pure.
 * - loopback: nothing to say;
 * - beyond loopback with TLS: nothing to say;
 * - beyond loopback, no TLS, no trusted proxy: a loud warning;
 * - beyond loopback, no TLS, behind a trusted proxy: a reminder that the
 *   proxy must terminate TLS and the port must not be reachable directly;
 * - `trustProxy: true` beyond loopback: any client reaching the port can
 *   choose its address (bans, rate limits, audit).
 */
export function exposureWarnings(
  config: Pick<ParleyConfig, 'host' | 'httpPort' | 'tls' | 'trustProxy'>,
): ExposureWarning[] {
  if (isLoopbackHost(config.host)) return [];
  const out: ExposureWarning[] = [];
  const tls = config.tls.certFile !== undefined;
  const proxied =
    config.trustProxy === true || (Array.isArray(config.trustProxy) && config.trustProxy.length > 0);
  if (!tls && !proxied) {
    out.push({
      level: 'warn',
      loud: true,
      message:
        `listening on ${config.host} without TLS and without a trusted reverse proxy: ` +
        'media keys, login tokens and passwords travel in clear over HTTP/WebSocket. ' +
        'Set --tls-cert/--tls-key, or put a TLS reverse proxy in front and set --trust-proxy (docs/ops/deploy.md)',
    });
  } else if (!tls) {
    out.push({
      level: 'info',
      loud: false,
      message:
        `plain HTTP on ${config.host}, expecting a TLS reverse proxy in front (trustProxy): ` +
        'make sure it terminates TLS and that clients cannot reach the HTTP port directly',
    });
  }
  if (config.trustProxy === true) {
    out.push({
      level: 'warn',
      loud: false,
      message:
        'trustProxy is true: X-Forwarded-For is believed from any peer, so a client reaching the port directly ' +
        "can pick its address (bans, rate limits, audit); list the proxy's address instead",
    });
  }
  return out;
}
