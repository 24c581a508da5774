import {
  type BuildOptions,
  buildServer,
  finalizeConfig,
  type ConfigOverrides,
  type ListenInfo,
  type ParleyServer,
} from '@parley/server';

export interface TestServer {
  server: ParleyServer;
  info: ListenInfo;
  close(): Promise<void>;
}

/** Password of the `admin` account every test server creates on its first start. */
export const TEST_ADMIN_PASSWORD = 'admin-password-for-tests';

/** A real server on 127.0.0.1 with ports 0 and an in-memory database (pass `databaseUrl` for PostgreSQL). */
export async function startServer(
  overrides: ConfigOverrides = {},
  build: Omit<BuildOptions, 'logger'> = {},
): Promise<TestServer> {
  const config = finalizeConfig(
    {
      host: '127.0.0.1',
      httpPort: 0,
      udpPort: 0,
      dataDir: ':memory:',
      logLevel: 'silent',
      channels: ['Games'],
      auth: { adminPassword: TEST_ADMIN_PASSWORD },
    },
    overrides,
  );
  const server = await buildServer(config, { ...build, logger: false });
  const info = await server.listen();
  return { server, info, close: () => server.close() };
}
