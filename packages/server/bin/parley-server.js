#!/usr/bin/env node
// Thin launcher so the bin link exists before the TypeScript build has run.
import { main } from '../dist/main.js';

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`parley-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
