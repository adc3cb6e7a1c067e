/**
 * The top-level help without loading the CLI. `ctconnect --help` prints text that depends on nothing
 * but the build: the build saves it as the CLI wrote it into a pipe (commander wraps at 80 columns
 * there), and the launcher prints that file when the output would be the same — into a pipe or a
 * terminal 80 columns wide. Elsewhere the CLI writes the help itself, wrapped to the terminal.
 */
import { existsSync, readFileSync } from 'node:fs';

/** The file beside the bundle (dist/cli/) that holds the help text. */
export const HELP_TEXT = 'help.generated.txt';

/** True when it printed the help: `--help` or `-h` alone, the text built, and an 80-column output. */
export function printBuiltHelp(argv: readonly string[], file: string, stream?: NodeJS.WriteStream): boolean {
  const args = argv.slice(2);
  if (args.length !== 1 || (args[0] !== '--help' && args[0] !== '-h')) return false;
  // Only here: making process.stdout costs a command that is not asking for help its time.
  const out = stream ?? process.stdout;
  if (out.isTTY && out.columns !== 80) return false;
  if (!existsSync(file)) return false;
  out.write(readFileSync(file));
  return true;
}
