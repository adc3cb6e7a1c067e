/**
 * The entry of the built CLI (dist/cli/main.cjs, required by bin/ctconnect.js; both CommonJS). `npm run build`
 * (scripts/bundle.mjs) bundles the whole CLI, main.ts and all it imports, into one CommonJS file,
 * dist/cli/cli.cjs, and runs each command once to save a V8 code cache of it: what that command
 * compiled. This runs the bundle with the cache of the command named on the command line, so a
 * run neither parses the bundle nor compiles the functions its command uses (Node 20 can cache
 * the code of CommonJS files only). Commands still load their code lazily inside the bundle.
 */
import { fileURLToPath } from 'node:url';
import { requirePrecompiled } from '../kernel/precompiled.js';
import { isCommandName, wantedCommand } from './command-names.js';
import { HELP_TEXT, printBuiltHelp } from './launch-help.js';
import { silenceEcho } from '../kernel/prompt.js';

/** Which code cache a command line runs with: its command's, the top-level help's, or every command's. */
function codeCacheName(argv: readonly string[]): string {
  const wanted = wantedCommand(argv);
  return isCommandName(wanted) ? wanted : wanted === undefined ? 'help' : 'all';
}

// deploy and verify may ask for a password on the terminal: echo goes off before anything else, so a
// password typed ahead while the command starts is not shown.
if (process.stdin.isTTY && ['deploy', 'verify'].includes(wantedCommand(process.argv) ?? '')) silenceEcho();

const bundle = fileURLToPath(new URL('./cli.cjs', import.meta.url));
if (!printBuiltHelp(process.argv, fileURLToPath(new URL(`./${HELP_TEXT}`, import.meta.url))))
  requirePrecompiled(bundle, `${bundle}.${codeCacheName(process.argv)}.cache`);
