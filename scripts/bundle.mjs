#!/usr/bin/env node
// Run by `npm run build` after tsc and scripts/precompile.mjs: bundles the compiled CLI
// (dist/src/cli/main.js and everything it imports) into a few files in dist/cli/, which
// bin/ctconnect.js runs. Node's module loader costs about as much per file as the file's code
// takes to run, and `generate` alone would otherwise load some 230 files.
//  - Each command stays a chunk of its own, loaded only when that command runs (the dynamic
//    imports of src/cli/commands.ts become chunk boundaries), and so does whatever a command
//    loads only on demand.
//  - The libraries in NOT_BUNDLED stay in node_modules and load from there, only where they are
//    used: they are large, native or used by a few commands only, and test/cli/loading.test.ts
//    checks by their paths that no command loads one it does not use.
//  - The files precompile.mjs wrote next to the modules that read them are copied next to the
//    bundle, since those modules find them relative to their own (now bundled) location, with
//    the V8 code cache of each CommonJS one (see src/core/precompiled.ts).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const out = join(dist, 'cli');

const NOT_BUNDLED = ['ssh2', 'mysql2', 'archiver', 'listr2', 'ajv', 'ajv-formats', 'js-yaml', 'diff', '@bomb.sh/tab'];

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [join(dist, 'src', 'cli', 'main.js')],
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: NOT_BUNDLED.flatMap((p) => [p, `${p}/*`]),
  // Bundled CommonJS libraries require Node's built-in modules; an ES module has no `require` of its own.
  banner: { js: "import { createRequire as __ctconnectRequire } from 'node:module'; const require = __ctconnectRequire(import.meta.url);" },
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
});

const generated = [];
for (const entry of readdirSync(join(dist, 'src'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !/\.generated\.(cjs|json)$/.test(entry.name)) continue;
  const from = join(entry.parentPath, entry.name);
  // The standalone validator requires a few helpers of Ajv's; bundled with them, a run loads no Ajv file.
  if (entry.name.endsWith('.cjs')) await build({ entryPoints: [from], outfile: join(out, entry.name), bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning' });
  else copyFileSync(from, join(out, entry.name));
  generated.push(entry.name);
}
// The V8 code caches of the generated CommonJS files (src/core/precompiled.ts): written by one
// run of the bundled CLI that validates the example site and renders every configured bundle.
const scratch = mkdtempSync(join(tmpdir(), 'ctconnect-build-'));
try {
  // In an empty folder and without CTCONNECT_CONFIG, so the built-in example site is the one used.
  const env = { ...process.env, CTCONNECT_WRITE_CODE_CACHE: '1' };
  delete env.CTCONNECT_CONFIG;
  const run = spawnSync(process.execPath, [join(root, 'bin', 'ctconnect.js'), '--quiet', 'generate', '--all', '--archive', 'none', '--out', join(scratch, 'out')], { cwd: scratch, env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the run that writes the code caches exited ${run.status}: ${run.stderr}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const caches = readdirSync(out).filter((f) => f.endsWith('.cache'));
console.log(`bundled: ${relative(root, out)}/ (${readdirSync(out).length - generated.length - caches.length} files, with ${generated.join(', ')} and ${caches.length} code caches)`);
