/**
 * ctconnect entry point. Each command lives in its own file and is imported only when it runs
 * (commands.ts), so `ctconnect --help` and quick commands stay fast.
 */
import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../kernel/paths.js';
import { setVerbosity, watchStdio } from './output.js';
import { COMMAND_SUMMARY, registerCommands, registerSummaries, type CommandSummary } from './commands.js';
import { commandOptionsAfter, wantedCommand } from './command-names.js';

const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

watchStdio();

const program = new Command();
program
  .name('ctconnect')
  .description('Generate, check and deploy Kaspersky CyberTrace integration bundles for SIEMs (`ctconnect list` shows which).')
  .version(version, '-V, --version', 'print the version of ctconnect')
  .option('-q, --quiet', 'print only results and errors (no notices or progress on stderr)')
  .option('-v, --verbose', 'print more: which site file was used and why, the CyberTrace instances, patch details')
  .showHelpAfterError('(exit 1: user error — run `ctconnect --help` for usage)')
  .exitOverride()
  .hook('preAction', (_root, command) => setVerbosity(command.optsWithGlobals()));

/** What the build recorded for the top-level help (see commands.ts); none when not built. */
function builtSummaries(): CommandSummary[] | undefined {
  const file = fileURLToPath(new URL(`./${COMMAND_SUMMARY}`, import.meta.url));
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CommandSummary[]) : undefined;
}

async function main(): Promise<void> {
  // Register only the command being run, so a command's imports load lazily. When none is named
  // (--help, --version), the help lines the build recorded stand in for the commands themselves.
  const wanted = wantedCommand(process.argv);
  const summaries = wanted === undefined ? builtSummaries() : undefined;
  if (summaries) registerSummaries(program, summaries);
  else await registerCommands(program, wanted);
  try {
    await program.parseAsync(commandOptionsAfter(process.argv));
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors are user errors.
      process.exitCode = e.exitCode === 0 ? 0 : 1;
      return;
    }
    // Loaded only here: its redaction pulls in a diff library that help and --version never need.
    const { reportError } = await import('./run.js');
    process.exitCode = await reportError(e);
  }
}

// Not a top-level await: the built CLI runs this module as CommonJS (see launch.ts); the process
// lives on until main's work is done either way.
void main().then(() => setImmediate(exitWhenIdle));

/**
 * Ends the process once nothing keeps it alive any more (no socket, server, timer or write in
 * flight): Node would end it there too, but only after waiting for V8's background compilations
 * to finish, some 1.5 ms that a short command like validate feels. 'exit' handlers still run.
 */
function exitWhenIdle(): void {
  if (process.getActiveResourcesInfo().length === 0) process.exit();
}
