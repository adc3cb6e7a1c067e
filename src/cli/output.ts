/**
 * How the CLI talks: colour only where it helps (a terminal, never with NO_COLOR, FORCE_COLOR
 * wins over a pipe), --quiet and --verbose for the messages on stderr. Results go to stdout
 * and are never affected by --quiet.
 */
import picocolors from 'picocolors';
import type { Colors } from 'picocolors/types.js';

type Level = 'quiet' | 'normal' | 'verbose';
let level: Level = 'normal';

export function setVerbosity(opts: { quiet?: boolean; verbose?: boolean }): void {
  level = opts.quiet ? 'quiet' : opts.verbose ? 'verbose' : 'normal';
}

export const isQuiet = (): boolean => level === 'quiet';
export const isVerbose = (): boolean => level === 'verbose';

/** Colour for one stream: https://no-color.org first, then FORCE_COLOR, then whether it is a terminal. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return !['0', 'false'].includes(env.FORCE_COLOR);
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export const colors = (stream: { isTTY?: boolean } = process.stdout): Colors => picocolors.createColors(colorEnabled(stream));

/** A progress or status line on stderr; --quiet drops it. */
export function info(message: string): void {
  if (level !== 'quiet') process.stderr.write(`${message}\n`);
}

/** Detail only --verbose shows. */
export function detail(message: string): void {
  if (level === 'verbose') process.stderr.write(`${colors(process.stderr).dim(message)}\n`);
}

/** Shown even with --quiet: something the user should act on. */
export function warn(message: string): void {
  process.stderr.write(`${colors(process.stderr).yellow('ctconnect: warning:')} ${message}\n`);
}

/** A unified diff, coloured like git's when colour is on. */
export function colorDiff(diff: string, stream: { isTTY?: boolean } = process.stdout): string {
  const c = colors(stream);
  if (!c.isColorSupported) return diff;
  return diff
    .split('\n')
    .map((l) =>
      l.startsWith('+++') || l.startsWith('---') ? c.bold(l)
      : l.startsWith('@@') ? c.cyan(l)
      : l.startsWith('+') ? c.green(l)
      : l.startsWith('-') ? c.red(l)
      : l,
    )
    .join('\n');
}
