/**
 * ctconnect entry point. Each command lives in its own file and is imported only when it runs,
 * so `ctconnect --help` and quick commands stay fast.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../core/paths.js';
import { reportError } from './run.js';

const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

const program = new Command();
program
  .name('ctconnect')
  .description('Generate, check and deploy Kaspersky CyberTrace integration bundles for FortiSIEM, AlienVault USM/OSSIM, Splunk and KUMA.')
  .version(version)
  .showHelpAfterError('(exit 1: user error — run `ctconnect --help` for usage)')
  .exitOverride();

const commands: Array<[string, () => Promise<{ register(p: Command): void }>]> = [
  ['generate', () => import('./generate.js')],
  ['validate', () => import('./validate.js')],
  ['list', () => import('./list.js')],
  ['init', () => import('./init.js')],
  ['cybertrace', () => import('./cybertrace.js').then((m) => ({ register: m.registerCybertraceCommand }))],
  ['verify', () => import('./verify.js')],
  ['simulate', () => import('./simulate.js')],
  ['categories', () => import('./categories.js')],
  ['deploy', () => import('./deploy.js')],
  ['export', () => import('./export.js')],
];

async function main(): Promise<void> {
  // Register only the command being run (plus all for --help), so a command's imports load lazily.
  const wanted = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const selected = commands.filter(([name]) => name === wanted);
  for (const [, load] of selected.length > 0 ? selected : commands) (await load()).register(program);
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors are user errors.
      process.exitCode = e.exitCode === 0 ? 0 : 1;
      return;
    }
    process.exitCode = reportError(e);
  }
}

await main();
