#!/usr/bin/env node
// Run by `npm run build` after tsc and scripts/precompile.mjs: bundles the compiled CLI into
// dist/cli/, which bin/ctconnect.js runs.
//  - dist/cli/cli.cjs: src/cli/main.ts and everything it imports, one CommonJS file. Node's
//    module loader costs about as much per file as the file's code takes to run (`generate` alone
//    would otherwise load some 230 files), and Node 20 keeps a V8 code cache of CommonJS only.
//    What a command imports on demand stays lazy inside the bundle (esbuild initialises a
//    dynamically imported module when it is first imported).
//  - dist/cli/main.cjs: the entry (src/cli/launch.ts), which runs cli.cjs with the code cache of
//    the command being run. Each cache is written below by one run of that command.
//  - The libraries in NOT_BUNDLED (all CommonJS) stay in node_modules and load from there, only where they are
//    used: they are large, native or used by a few commands only, and test/cli/loading.test.ts
//    checks by their paths that no command loads one it does not use.
//  - The files precompile.mjs wrote next to the modules that read them are copied next to the
//    bundle, since those modules find them relative to their own (now bundled) location, with
//    the V8 code cache of each CommonJS one (see src/kernel/precompiled.ts).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const out = join(dist, 'cli');
const { COMMAND_NAMES } = await import(join(dist, 'src', 'cli', 'command-names.js'));
const { HELP_TEXT } = await import(join(dist, 'src', 'cli', 'launch-help.js'));

const NOT_BUNDLED = ['ssh2', 'mysql2', 'archiver', 'listr2', 'ajv', 'ajv-formats', 'diff'];

rmSync(out, { recursive: true, force: true });
const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: [join(dist, 'src', 'cli', 'main.js')],
  outfile: join(out, 'cli.cjs'),
  format: 'cjs',
  external: NOT_BUNDLED.flatMap((p) => [p, `${p}/*`]),
  // A library left in node_modules is loaded with require(), also where the source says import():
  // code run from a V8 code cache (launch.ts) has no import() of its own. All of them offer CommonJS.
  supported: { 'dynamic-import': false },
  // The modules find the files they ship with from their own location: in the bundle, its own.
  define: { 'import.meta.url': '__ctconnectModuleUrl' },
  banner: { js: "const __ctconnectModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
// CommonJS too, as bin/ctconnect.js is: a process that loads no ES module skips the ES module loader's start-up.
await build({
  ...common,
  entryPoints: [join(dist, 'src', 'cli', 'launch.js')],
  outfile: join(out, 'main.cjs'),
  format: 'cjs',
  define: { 'import.meta.url': '__ctconnectModuleUrl' },
  banner: { js: "const __ctconnectModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

const generated = [];
for (const entry of readdirSync(join(dist, 'src'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !/\.generated\.(cjs|json)$/.test(entry.name)) continue;
  const from = join(entry.parentPath, entry.name);
  // The standalone validator requires a few helpers of Ajv's; bundled with them, a run loads no Ajv file.
  if (entry.name.endsWith('.cjs'))
    await build({ entryPoints: [from], outfile: join(out, entry.name), bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning' });
  else copyFileSync(from, join(out, entry.name));
  generated.push(entry.name);
}
// The V8 code caches (src/kernel/precompiled.ts): each written by a run of the bundled CLI — per
// command, of cli.cjs (named as launch.ts looks them up) and of the generated files that command
// loads. A command that needs a host or a server to run is run for its help, which caches its
// module code. generate runs last: the templates' cache is the one of the run that renders them all.
const scratch = mkdtempSync(join(tmpdir(), 'ctconnect-build-'));
const runs = [
  ['help', ['--help']],
  ['all', ['help']],
  ...COMMAND_NAMES.filter((c) => !['generate', 'validate', 'list', 'init'].includes(c)).map((c) => [c, [c, '--help']]),
  ['list', ['list']],
  ['init', ['init', join(scratch, 'example-site.yaml')]],
  ['validate', ['--quiet', 'validate']],
  ['generate', ['--quiet', 'generate', '--all', '--out', join(scratch, 'out')]],
];
try {
  // In an empty folder and without CTCONNECT_CONFIG, so the built-in example site is the one used.
  const env = { ...process.env, CTCONNECT_WRITE_CODE_CACHE: '1' };
  delete env.CTCONNECT_CONFIG;
  // The help run must run the CLI itself, not print an earlier build's text.
  rmSync(join(out, HELP_TEXT), { force: true });
  for (const [name, args] of runs) {
    const run = spawnSync(process.execPath, [join(root, 'bin', 'ctconnect.js'), ...args], { cwd: scratch, env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`the run that writes the code cache of ${name} (ctconnect ${args.join(' ')}) exited ${run.status}: ${run.stderr}`);
    // The top-level help as the CLI wrote it into a pipe (80 columns): launch.ts prints it as it is.
    if (name === 'help') writeFileSync(join(out, HELP_TEXT), run.stdout);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const caches = readdirSync(out).filter((f) => f.endsWith('.cache'));
console.log(
  `bundled: ${relative(root, out)}/ (${readdirSync(out).length - generated.length - caches.length} files, with ${generated.join(', ')} and ${caches.length} code caches)`,
);
