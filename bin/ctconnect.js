#!/usr/bin/env node
// Thin launcher: the CLI runs bundled from dist/cli/ (built by `npm install` through the prepare script).
// CommonJS (bin/package.json): loading it costs Node none of the ES module loader's start-up.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const main = join(__dirname, '..', 'dist', 'cli', 'main.cjs');
if (!existsSync(main)) {
  process.stderr.write('ctconnect: internal error (exit 2): dist/ is missing; run `npm install` or `npm run build` in the ctconnect folder\n');
  process.exit(2);
}
require(main);
