import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/**
 * Package tests that open real sockets: they belong to the integration tier,
 * every other `packages/*\/src/**\/*.test.ts` is a unit test (pure modules,
 * no socket, no database, no server). The unit tier enforces it: its setup
 * file (test/setup/unit-no-sockets.ts) makes opening a socket throw.
 */
const PACKAGE_SOCKET_TESTS = [
  'packages/tools/src/netem/netem-proxy.test.ts',
  'packages/tools/src/netem/netem-cli.test.ts',
  'packages/server/src/media/plane.test.ts',
  'packages/server/src/media/udp-shell.test.ts',
];

/**
 * Tests that run on SQLite and on PostgreSQL (`describeEachDatabase`,
 * test/helpers/postgres.ts): only their project starts the private
 * PostgreSQL cluster (test/global-setup.ts), and vitest runs a project's
 * global setup only when that project has a test file to run.
 */
const DATABASE_TESTS = [
  'test/api/**/*.test.ts',
  'test/reliability/**/*.test.ts',
  'packages/server/src/db/**/*.test.ts',
];

// Tests import workspace packages from their TypeScript sources, so `vitest`
// does not depend on a previous build (the CLI end-to-end tests do: `npm test`
// and `npm run test:e2e` build first).
//
// Tiers (docs: README "Tests and benchmarks"), one vitest project each; every
// project inherits the root options below (`extends: true`):
//   unit            npm run test:unit         pure modules in packages/*/src
//   integration     npm run test:integration  real server on port 0, real sockets
//   integration-db  npm run test:integration  the same on SQLite and PostgreSQL
//   e2e             npm run test:e2e          CLI processes (`parley send` → `parley record`)
//   browser         npm run test:e2e          Chromium tests in test/browser/ (web-*.test.ts: the web app)
// `npm test` (= `vitest run`) runs every project.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@parley\/protocol\/node$/, replacement: src('./packages/protocol/src/node/index.ts') },
      { find: /^@parley\/protocol$/, replacement: src('./packages/protocol/src/index.ts') },
      { find: /^@parley\/client\/node$/, replacement: src('./packages/client/src/node/index.ts') },
      { find: /^@parley\/client\/browser$/, replacement: src('./packages/client/src/browser/index.ts') },
      { find: /^@parley\/client$/, replacement: src('./packages/client/src/index.ts') },
      { find: /^@parley\/tools$/, replacement: src('./packages/tools/src/index.ts') },
      { find: /^@parley\/server$/, replacement: src('./packages/server/src/index.ts') },
    ],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'test/helpers/**/*.test.ts', 'apps/web/src/**/*.test.ts'],
          exclude: [...PACKAGE_SOCKET_TESTS, ...DATABASE_TESTS],
          setupFiles: ['./test/setup/unit-no-sockets.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', ...PACKAGE_SOCKET_TESTS],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration-db',
          include: DATABASE_TESTS,
          // Once per run, and only when one of these files runs: a private
          // PostgreSQL cluster and a scratch dir for SQLite data dirs.
          globalSetup: ['./test/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          // The browser tier: a Chromium (playwright-core) page against a
          // running server. Tests go in test/browser/; a global setup that
          // builds the browser bundle or finds Chromium belongs here.
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['./test/setup/playout-bundle.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Soak (test/soak): minutes of participants joining, talking and leaving,
          // memory sampled after a full GC. Skipped unless PARLEY_SOAK_SECONDS is
          // set: `npm run soak` (30 min), `.ci/run` (2 min).
          name: 'soak',
          include: ['test/soak/**/*.test.ts'],
          execArgv: ['--expose-gc'],
        },
      },
    ],
  },
});
