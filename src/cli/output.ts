/**
 * How the CLI talks: colour only where it helps (a terminal, never with NO_COLOR, FORCE_COLOR
 * wins over a pipe), --quiet and --verbose for the messages on stderr. Results go to stdout
 * and are never affected by --quiet.
 */
import { fstatSync, writeSync } from 'node:fs';
import { styleText } from 'node:util';

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

type Style = 'red' | 'yellow' | 'green' | 'cyan' | 'bold' | 'dim';
export type Colors = { isColorSupported: boolean } & Record<Style, (text: string) => string>;

/** The styles the CLI uses, as ANSI sequences (Node's util.styleText) where colour is on, else plain text. */
export function colors(stream: { isTTY?: boolean } = { isTTY: isTerminal(1) }): Colors {
  const on = colorEnabled(stream);
  const style = (format: Style) => (text: string) => (on ? styleText(format, text) : text);
  return {
    isColorSupported: on,
    red: style('red'),
    yellow: style('yellow'),
    green: style('green'),
    cyan: style('cyan'),
    bold: style('bold'),
    dim: style('dim'),
  };
}

/** Which of stdout (1) and stderr (2) Node has made its stream for, once watchStdio runs. */
const madeStream = new Set<1 | 2>();
let watching = false;

function onStdioError(e: NodeJS.ErrnoException): void {
  // `ctconnect list | head -1`: the reader went away, which is how pipes end, not an error.
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
}

/**
 * Called first thing by the CLI: notes when Node makes its stream for stdout or stderr (on first
 * use) and gives it the EPIPE handling above. For a pipe or a terminal, making one loads Node's net
 * module, some 2 ms of every command's start: the messages below are written straight to the
 * descriptor while nothing has needed the stream, and through the stream once it exists, so
 * everything keeps its order.
 */
export function watchStdio(): void {
  watching = true;
  for (const [name, fd] of [
    ['stdout', 1],
    ['stderr', 2],
  ] as const) {
    const made = Object.getOwnPropertyDescriptor(process, name);
    if (!made?.get) continue;
    const get = made.get;
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: true,
      get() {
        const stream = get.call(process) as NodeJS.WriteStream;
        if (!madeStream.has(fd)) {
          madeStream.add(fd);
          stream.on('error', onStdioError);
        }
        return stream;
      },
    });
  }
}

const streamOf = (fd: 1 | 2): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);

/** Writes to stdout (1) or stderr (2); see watchStdio. Without it (tests calling commands in-process), through the stream. */
export function write(fd: 1 | 2, text: string): void {
  if (!watching || madeStream.has(fd)) {
    streamOf(fd).write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  try {
    while (at < bytes.length) at += writeSync(fd, bytes, at);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') process.exit(0);
    if (code !== 'EAGAIN') throw e;
    // A descriptor its starter left non-blocking, and full: the stream waits until it takes the rest.
    streamOf(fd).write(bytes.subarray(at));
  }
}

/** Whether stdout (1) or stderr (2) is a terminal, without making Node's stream for it. */
export function isTerminal(fd: 1 | 2): boolean {
  if (!watching || madeStream.has(fd)) return streamOf(fd).isTTY === true;
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return process.getBuiltinModule('node:tty').isatty(fd);
}

/** A progress or status line on stderr; --quiet drops it. */
export function info(message: string): void {
  if (level !== 'quiet') write(2, `${message}\n`);
}

/** Detail only --verbose shows. */
export function detail(message: string): void {
  if (level === 'verbose') write(2, `${colors({ isTTY: isTerminal(2) }).dim(message)}\n`);
}

/** Shown even with --quiet: something the user should act on. */
export function warn(message: string): void {
  write(2, `${colors({ isTTY: isTerminal(2) }).yellow('ctconnect: warning:')} ${message}\n`);
}

/**
 * A unified diff, coloured like git's when colour is on. `indent` is the prefix diff lines carry
 * inside a larger report (deploy shows each file's diff indented under it).
 */
export function colorDiff(text: string, stream: { isTTY?: boolean } = { isTTY: isTerminal(1) }, indent = ''): string {
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
