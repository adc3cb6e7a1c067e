#!/usr/bin/env node
// Run by `npm run build` after tsc and scripts/precompile.mjs: bundles the compiled CLI into
// dist/cli/, which bin/ctconnect.js runs.
//  - dist/cli/cli-<command>.cjs: src/cli/main.ts with that one command and everything they import,
//    one CommonJS file per command (its command table, src/cli/command-table.ts, holds that command
//    alone). Node's module loader costs about as much per file as the file's code takes to run
//    (`generate` alone would otherwise load some 230 files), Node 20 keeps a V8 code cache of
//    CommonJS only, and a bundle without the other commands is a third smaller to read and set up.
//  - dist/cli/cli.cjs: the same with every command, for the top-level help, shell completion and
//    unknown commands.
//    What a command imports on demand stays lazy inside the bundle (esbuild initialises a
//    dynamically imported module when it is first imported).
//  - dist/cli/main.cjs: the entry (src/cli/launch.ts), which runs the command's bundle with its code
//    cache. Each cache is written below by one run of that command.
//  - The libraries in NOT_BUNDLED (all CommonJS) stay in node_modules and load from there, only where they are
//    used: they are large, native or used by a few commands only, and test/cli/loading.test.ts
//    checks by their paths that no command loads one it does not use.
//  - The files precompile.mjs wrote next to the modules that read them are copied next to the
//    bundle, since those modules find them relative to their own (now bundled) location, with
//    the V8 code cache of each CommonJS one (see src/kernel/precompiled.ts).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const out = join(dist, 'cli');
const { COMMAND_NAMES } = await import(join(dist, 'src', 'cli', 'command-names.js'));
const { HELP_TEXT } = await import(join(dist, 'src', 'cli', 'launch-help.js'));

const NOT_BUNDLED = ['ssh2', 'mysql2', 'archiver', 'listr2', 'ajv', 'ajv-formats', 'diff'];

rmSync(out, { recursive: true, force: true });
// Without comments and indentation (names kept, so stack traces still name functions): a third less to
// read, and no comment with a non-ASCII character, which would make Node decode the whole file into a
// two-byte string (3.4 ms against 1 ms for cli.cjs). esbuild escapes non-ASCII text in code itself;
// the check after the build keeps every file pure ASCII, which src/kernel/precompiled.ts then reads
// without decoding it.
const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', minifyWhitespace: true };
// commander requires child_process (and with it net and dgram, a few ms) at load, for executable
// subcommands, which ctconnect has none of: it gets the module on first use instead.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer) ? { path: 'lazy', namespace: 'lazy-child-process' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => process.getBuiltinModule('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};
/** A command table (src/cli/command-table.ts) that holds `command` alone. */
const oneCommand = (command) => ({
  name: 'one-command',
  setup(b) {
    b.onResolve({ filter: /^\.\/command-table\.js$/ }, (args) => ({ path: join(args.resolveDir, `command-table-${command}.js`), namespace: 'one-command' }));
    b.onLoad({ filter: /.*/, namespace: 'one-command' }, () => ({
      contents: `export const commands = { ${JSON.stringify(command)}: () => import('./${command}.js') };`,
      resolveDir: join(dist, 'src', 'cli'),
      loader: 'js',
    }));
  },
});
const cli = (file, plugins) =>
  build({
    ...common,
    plugins: [lazyChildProcess, ...plugins],
    entryPoints: [join(dist, 'src', 'cli', 'main.js')],
    outfile: join(out, file),
    format: 'cjs',
    external: NOT_BUNDLED.flatMap((p) => [p, `${p}/*`]),
    // A library left in node_modules is loaded with require(), also where the source says import():
    // code run from a V8 code cache (launch.ts) has no import() of its own. All of them offer CommonJS.
    supported: { 'dynamic-import': false },
    // The modules find the files they ship with from their own location: in the bundle, its own.
    define: { 'import.meta.url': '__ctconnectModuleUrl' },
    banner: { js: "const __ctconnectModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
const bundles = ['cli.cjs', ...COMMAND_NAMES.map((c) => `cli-${c}.cjs`)];
await Promise.all([cli('cli.cjs', []), ...COMMAND_NAMES.map((c) => cli(`cli-${c}.cjs`, [oneCommand(c)]))]);
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
  if (entry.name.endsWith('.cjs')) await build({ ...common, entryPoints: [from], outfile: join(out, entry.name), format: 'cjs' });
  else copyFileSync(from, join(out, entry.name));
  generated.push(entry.name);
}
for (const file of [...bundles, 'main.cjs', ...readdirSync(out).filter((f) => f.endsWith('.generated.cjs'))]) {
  const at = readFileSync(join(out, file)).findIndex((byte) => byte > 0x7f);
  if (at >= 0) throw new Error(`dist/cli/${file} has a non-ASCII byte at offset ${at}: Node would read the whole file as two-byte text`);
}

// The V8 code caches (src/kernel/precompiled.ts): each written by a run of the bundled CLI — per
// command, of its bundle (named as launch.ts looks them up, src/cli/command-names.ts) and of the
// generated files that command loads. A command that needs a host or a server to run is run for
// its help, which caches its module code. generate runs last: the templates' cache is the one of
// the run that renders them all.
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
