import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

// Tests import workspace packages from their TypeScript sources, so `vitest`
// does not depend on a previous build (the CLI end-to-end tests do: `npm test`
// builds first).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@parley\/protocol\/node$/, replacement: src('./packages/protocol/src/node/index.ts') },
      { find: /^@parley\/protocol$/, replacement: src('./packages/protocol/src/index.ts') },
      { find: /^@parley\/client\/node$/, replacement: src('./packages/client/src/node/index.ts') },
      { find: /^@parley\/client$/, replacement: src('./packages/client/src/index.ts') },
      { find: /^@parley\/server$/, replacement: src('./packages/server/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Once per run: a private PostgreSQL cluster for the tests that run on both databases.
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
