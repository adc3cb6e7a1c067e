/**
 * ctconnect entry point. Each command lives in its own file and is imported only when it runs,
 * so `ctconnect --help` and quick commands stay fast.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../core/paths.js';
import { reportError } from './run.js';
import { setVerbosity } from './output.js';

const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

// `ctconnect list | head -1`: the reader went away, which is how pipes end, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

const program = new Command();
program
  .name('ctconnect')
  .description('Generate, check and deploy Kaspersky CyberTrace integration bundles for FortiSIEM, AlienVault USM/OSSIM, Splunk and KUMA.')
  .version(version, '-V, --version', 'print the version of ctconnect')
  .option('-q, --quiet', 'print only results and errors (no notices or progress on stderr)')
  .option('-v, --verbose', 'print more: which site file was used and why, the CyberTrace instances, patch details')
  .showHelpAfterError('(exit 1: user error — run `ctconnect --help` for usage)')
  .exitOverride()
  .hook('preAction', (_root, command) => setVerbosity(command.optsWithGlobals()));

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
  // Register only the command being run (plus all for --help and completion), so a command's imports load lazily.
  const wanted = process.argv.slice(2).find((a) => !a.startsWith('-'));
  const selected = commands.filter(([name]) => name === wanted);
  for (const [, load] of selected.length > 0 ? selected : commands) (await load()).register(program);
  if (wanted === 'completion' || wanted === 'complete' || selected.length === 0) {
    // Shell completion generated from the command definitions above: `ctconnect completion bash|zsh|fish`
    // prints the script; the shell then asks `ctconnect complete -- <words>` for candidates.
    const { default: tab } = await import('@bomb.sh/tab/commander');
    const completion = tab(program, { completionCommandName: 'completion' });
    // SIEM names come from the connector registry, not from the command definitions.
    const { allConnectors } = await import('../../connectors/registry.js');
    const siems = (complete: (value: string, description: string) => void) => allConnectors().forEach((c) => complete(c.id, c.title));
    for (const command of completion.commands.values()) {
      const argument = command.arguments.get('siem');
      if (argument) argument.handler = siems;
      const option = command.options.get('siem');
      if (option) option.handler = siems;
    }
  }
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
