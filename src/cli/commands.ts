/**
 * How commands are registered. Each command lives in its own file and is imported only when it
 * runs (command-table.ts). `npm run build` (scripts/precompile.mjs) registers them all once
 * and records, for the top-level help, each command's help line (COMMAND_SUMMARY): a run that
 * names no command then shows the same help without importing any command.
 */
import type { Command } from 'commander';
import { isCommandName } from './command-names.js';
import { commands } from './command-table.js';

export const COMMAND_SUMMARY = 'commands.generated.json';

/** A command as the top-level help lists it: `term` left, `description` right. */
export interface CommandSummary {
  name: string;
  term: string;
  description: string;
}

/** Registers the command named `wanted`, or every command and shell completion when it names none. */
export async function registerCommands(program: Command, wanted: string | undefined): Promise<void> {
  const selected = isCommandName(wanted) ? [commands[wanted]] : [];
  // The composition root: the one place the connector table is imported and handed to the core.
  const { registry } = await import('../../connectors/registry.js');
  for (const load of selected.length > 0 ? selected : Object.values(commands)) (await load()).register(program, registry);
  if (wanted === 'completion' || wanted === 'complete' || selected.length === 0) {
    // Shell completion generated from the command definitions above (completion.ts).
    const { setUpCompletion } = await import('./completion.js');
    await setUpCompletion(program, registry);
  }
}

/** Every command's help line, as `npm run build` records it (the program must have all commands registered). */
export function commandSummaries(program: Command): CommandSummary[] {
  const help = program.createHelp();
  return help
    .visibleCommands(program)
    .filter((c) => c.name() !== 'help') // commander adds its own help command to any program with commands
    .map((c) => ({ name: c.name(), term: help.subcommandTerm(c), description: help.subcommandDescription(c) }));
}

/**
 * Registers stand-ins that show in the top-level help exactly as the real commands do; used
 * when no command is named (`ctconnect --help`, `--version`, a root option error), so none is imported.
 */
export function registerSummaries(program: Command, summaries: CommandSummary[]): void {
  const terms = new Map(summaries.map((s) => [s.name, s.term]));
  for (const s of summaries) program.command(s.name).description(s.description);
  const { subcommandTerm } = program.createHelp();
  program.configureHelp({ subcommandTerm: (c) => terms.get(c.name()) ?? subcommandTerm.call(program.createHelp(), c) });
}
