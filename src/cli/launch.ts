/**
 * The entry of the built CLI (dist/cli/main.cjs, required by bin/ctconnect.js; both CommonJS). `npm run build`
 * (scripts/bundle.mjs) bundles the CLI into CommonJS files — one per command, holding main.ts and that
 * command with all they import, and one with every command (cli.cjs) — and runs each command once
 * to save a V8 code cache of it: what that command compiled. This runs the bundle of the command
 * named on the command line with its cache, so a run neither parses the bundle nor compiles the
 * functions its command uses (Node 20 can cache the code of CommonJS files only). Commands still
 * load their code lazily inside the bundle.
 */
import { fileURLToPath } from 'node:url';
import { requirePrecompiled } from '../kernel/precompiled.js';
import { builtCliFor, wantedCommand } from './command-names.js';
import { HELP_TEXT, printBuiltHelp } from './launch-help.js';
import { silenceEcho } from '../kernel/prompt.js';

// deploy and verify may ask for a password on the terminal: echo goes off before anything else, so a
// password typed ahead while the command starts is not shown.
// The command first: process.stdin is made when first read, which costs every other command time.
if (['deploy', 'verify'].includes(wantedCommand(process.argv) ?? '') && process.stdin.isTTY) silenceEcho();

if (!printBuiltHelp(process.argv, fileURLToPath(new URL(`./${HELP_TEXT}`, import.meta.url)))) {
  const { file, cache } = builtCliFor(process.argv);
  requirePrecompiled(fileURLToPath(new URL(`./${file}`, import.meta.url)), fileURLToPath(new URL(`./${cache}`, import.meta.url)));
}
