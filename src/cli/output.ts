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

/**
 * A unified diff, coloured like git's when colour is on. `indent` is the prefix diff lines carry
 * inside a larger report (deploy shows each file's diff indented under it).
 */
export function colorDiff(text: string, stream: { isTTY?: boolean } = process.stdout, indent = ''): string {
  const c = colors(stream);
  if (!c.isColorSupported) return text;
  return text
    .split('\n')
    .map((line) => {
      if (!line.startsWith(indent)) return line;
      const l = line.slice(indent.length);
      const styled =
        l.startsWith('+++') || l.startsWith('---')
          ? c.bold(l)
          : l.startsWith('@@')
            ? c.cyan(l)
            : l.startsWith('+')
              ? c.green(l)
              : l.startsWith('-')
                ? c.red(l)
                : l;
      return indent + styled;
    })
    .join('\n');
}

/**
 * Column widths for a cli-table3 table that fits the terminal: `widths` are the preferred widths,
 * shrunk in proportion (never below `min`) when the terminal is narrower. Not a terminal: as preferred.
 */
export function fitColumns(widths: number[], min = 8, columns = process.stdout.isTTY ? process.stdout.columns : undefined): number[] {
  if (!columns) return widths;
  // cli-table3 draws a border before each column and one at the end.
  const room = columns - (widths.length + 1);
  const total = widths.reduce((a, b) => a + b, 0);
  if (total <= room) return widths;
  const scaled = widths.map((w) => Math.max(min, Math.floor((w * room) / total)));
  return scaled;
}
