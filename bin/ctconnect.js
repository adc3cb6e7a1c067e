#!/usr/bin/env node
// Thin launcher: the CLI runs bundled from dist/cli/ (built by `npm install` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('ctconnect: internal error (exit 2): dist/ is missing; run `npm install` or `npm run build` in the ctconnect folder\n');
  process.exit(2);
}
await import(main.href);
