import { fileURLToPath } from 'node:url';
import { buildServer } from './app.js';
import { ConfigError, HELP, loadConfig } from './config.js';
import { exposureWarnings, reloadTls } from './http/tls.js';

/**
 * `npm start` / `parley-server`: reads the configuration (defaults ← file ←
 * env ← flags), starts the server and logs the ports actually bound.
 */
export async function main(argv: readonly string[]): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(argv, process.env, process.cwd());
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`parley-server: ${err.message}\n${HELP}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  if (loaded.help) {
    process.stdout.write(HELP);
    return;
  }
  const { config } = loaded;
  // The web app of this repository (apps/web/dist, built by `npm run build`), served at /.
  const webDir = fileURLToPath(new URL('../../../apps/web/dist', import.meta.url));
  const server = await buildServer(config, {
    webDir,
    // Whatever the log level (`error` and `silent` hide the log's warning), the one time it is shown.
    onAdminCreated: (password) =>
      process.stderr.write(
        `parley-server: first start: created the account "admin" with password ${password}\n` +
          'parley-server: sign in with it, then change it (PATCH /api/v1/auth/me); it is not shown again\n',
      ),
  });
  const info = await server.listen();
  server.app.log.info(
    { httpPort: info.httpPort, udpPort: info.udpPort, host: info.host, dataDir: config.dataDir },
    `Parley listening on ${info.url} (HTTP + WebSocket) and udp://${info.host}:${info.udpPort} (voice)`,
  );
  for (const w of exposureWarnings(config)) {
    server.app.log[w.level](w.message);
    if (w.loud) process.stderr.write(`parley-server: WARNING: ${w.message}\n`);
  }
  if (config.tls.certFile !== undefined) {
    // A renewed certificate (certbot deploy hook, `systemctl reload parley`) without dropping anyone.
    process.on('SIGHUP', () => {
      try {
        const files = reloadTls(server.app.server, config);
        server.app.log.info({ validTo: files?.validTo }, 'TLS certificate reloaded');
      } catch (err) {
        server.app.log.error({ err }, 'TLS certificate reload failed; keeping the previous one');
      }
    });
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
