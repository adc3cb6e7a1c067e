/**
 * The names of ctconnect's commands and which one a command line runs. Its own module, with no
 * imports, because the built CLI's entry (launch.ts) needs it before it loads anything else.
 */
export const COMMAND_NAMES = ['generate', 'validate', 'list', 'init', 'cybertrace', 'verify', 'simulate', 'categories', 'deploy', 'export'] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

export function isCommandName(word: string | undefined): word is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(word ?? '');
}

/** The first word of the arguments that is not an option: the command named, if any. */
export function wantedCommand(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}
