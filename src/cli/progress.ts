/**
 * Progress of work on several things at once (deploy: one line per target; verify: one per
 * indicator). On a terminal, listr2 draws a spinner per item with its latest step; otherwise
 * (a pipe, a log file, CI) each step is one plain line on stderr. --quiet shows nothing.
 * Progress always goes to stderr, so stdout keeps only the result (table or JSON).
 */
import { DefaultRenderer, Listr, ListrLogger, ProcessOutput } from 'listr2';

/** listr2's spinner display, allowed whatever stdout is: we draw on stderr, and checked that it is a terminal. */
class StderrRenderer extends DefaultRenderer {
  static override nonTTY = true;
}
import { info, isQuiet } from './output.js';
import { UserError } from '../kernel/errors.js';

export interface Progress {
  /** A step of `item` (the latest one stays visible on a terminal). */
  step(item: string, message: string): void;
  /** `item` is finished; `ok` false marks it failed. */
  done(item: string, ok: boolean, message: string): void;
  /** Ends the display (items never reported show as stopped) and gives the terminal back; call it on errors too. */
  finish(): Promise<void>;
}

export function createProgress(items: string[], stream: NodeJS.WriteStream = process.stderr): Progress {
  if (isQuiet()) return { step: () => undefined, done: () => undefined, finish: () => Promise.resolve() };
  if (!stream.isTTY || items.length === 0) {
    const last = new Map<string, string>();
    const line = (item: string, message: string) => {
      if (last.get(item) !== message) info(`[${item}] ${message}`);
      last.set(item, message);
    };
    return { step: line, done: (item, _ok, message) => line(item, message), finish: () => Promise.resolve() };
  }
  type Handle = { output?: string; title?: string };
  type Result = { ok: boolean; message: string };
  const handles = new Map<string, Handle>();
  const results = new Map<string, Result>();
  const settle = new Map<string, (r: Result) => void>();
  let running: Promise<void> | undefined;
  // Started at the first message, not before: a password prompt may come first and needs the terminal.
  const start = (): void => {
    if (running) return;
    const list = new Listr(
      items.map((item) => ({
        title: item,
        task: async (_ctx: unknown, task: Handle) => {
          handles.set(item, task);
          const r = results.get(item) ?? (await new Promise<Result>((resolve) => settle.set(item, resolve)));
          task.title = `${item}: ${r.message}`;
          if (!r.ok) throw new UserError(r.message);
        },
      })),
      {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        // listr2 decides by stdout; here stdout may be a pipe (--json > file) while stderr is the terminal.
        renderer: StderrRenderer,
        rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(stream, stream) }), collapseErrors: false },
      },
    );
    running = list.run().then(
      () => undefined,
      () => undefined,
    );
  };
  const done = (item: string, ok: boolean, message: string): void => {
    start();
    results.set(item, { ok, message });
    settle.get(item)?.({ ok, message });
  };
  return {
    step(item, message) {
      start();
      const h = handles.get(item);
      if (h) h.output = message;
    },
    done,
    finish: async () => {
      if (!running) return;
      // Nothing may keep the display waiting: an item never reported was stopped by an error.
      for (const item of items) if (!results.has(item)) done(item, false, 'stopped');
      await running;
    },
  };
}
