/**
 * The names of ctconnect's commands and which one a command line runs. Its own module, with no
 * imports, because the built CLI's entry (launch.ts) needs it before it loads anything else.
 */
export const COMMAND_NAMES = ['generate', 'validate', 'list', 'init', 'cybertrace', 'verify', 'simulate', 'categories', 'deploy', 'export'] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

export function isCommandName(word: string | undefined): word is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(word ?? '');
}

/** Options of the program itself; any other option before the command belongs to the command. */
const ROOT_OPTIONS = ['-q', '--quiet', '-v', '--verbose', '-V', '--version', '-h', '--help'];
/** The option every command shares that takes a value, so its value is never taken for the command. */
const SHARED_VALUE_OPTIONS = ['-c', '--config'];

/** Index of the command word in argv (after node and the script), or -1. */
function commandIndex(argv: readonly string[]): number {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return -1;
    if (SHARED_VALUE_OPTIONS.includes(a)) i++;
    else if (!a.startsWith('-')) return i;
  }
  return -1;
}

/** The first word of the arguments that is not an option (or the value of --config): the command named, if any. */
export function wantedCommand(argv: readonly string[]): string | undefined {
  const i = commandIndex(argv);
  return i < 0 ? undefined : argv[i];
}

/**
 * `ctconnect -c site.yaml list` as `ctconnect list -c site.yaml`: the command's options given
 * before it move after its words (before a `--`), where the command reads them.
 */
export function commandOptionsAfter(argv: readonly string[]): string[] {
  const i = commandIndex(argv);
  if (i < 0) return [...argv];
  const before = argv.slice(2, i);
  const moved = before.filter((a) => !ROOT_OPTIONS.includes(a));
  if (moved.length === 0) return [...argv];
  const rest = argv.slice(i);
  const dash = rest.indexOf('--');
  const kept = before.filter((a) => ROOT_OPTIONS.includes(a));
  return dash < 0 ? [...argv.slice(0, 2), ...kept, ...rest, ...moved] : [...argv.slice(0, 2), ...kept, ...rest.slice(0, dash), ...moved, ...rest.slice(dash)];
}

/**
 * The bundled CLI (dist/cli/) a command line runs, and the V8 code cache it runs with: a command's
 * own bundle and cache, or, when no command is named (the top-level help) or an unknown one, the
 * bundle of every command with the help's or every command's cache. scripts/bundle.mjs makes them.
 */
export function builtCliFor(argv: readonly string[]): { file: string; cache: string } {
  const wanted = wantedCommand(argv);
  if (isCommandName(wanted)) return { file: `cli-${wanted}.cjs`, cache: `cli-${wanted}.cjs.cache` };
  return { file: 'cli.cjs', cache: `cli.cjs.${wanted === undefined ? 'help' : 'all'}.cache` };
}
