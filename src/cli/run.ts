/** Runs a command action and turns errors into the documented exit codes (1 user error, 2 internal error). */
import { UserError } from '../kernel/errors.js';
import { colors } from './output.js';

export async function reportError(e: unknown): Promise<number> {
  // Loaded only here: redaction pulls in a diff library that a run without an error never needs.
  const { redactText, secretEnvValues } = await import('../kernel/redact.js');
  // Messages may quote a config line or a server's answer: secrets in them are hidden.
  const secrets = secretEnvValues(process.env);
  const hide = (text: string) => redactText(text, secrets, { prose: true });
  if (e instanceof UserError) {
    process.stderr.write(`ctconnect: ${colors(process.stderr).red('error:')} ${hide(e.message)}\n`);
    for (const d of e.details) process.stderr.write(`  ${hide(d)}\n`);
    process.stderr.write('(exit 1: user error — fix the input above and run again)\n');
    return 1;
  }
  const err = e as Error;
  process.stderr.write(`ctconnect: ${colors(process.stderr).red('internal error:')} ${hide(err?.message ?? String(e))}\n`);
  if (process.env.CTCONNECT_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  else process.stderr.write('(set CTCONNECT_DEBUG=1 for the stack trace)\n');
  process.stderr.write('(exit 2: internal error — this is a bug in ctconnect or a fault of this machine, not of your input)\n');
  return 2;
}

export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = typeof code === 'number' ? code : 0;
    } catch (e) {
      process.exitCode = await reportError(e);
    }
  };
}

/** Exit status after SIGINT/SIGTERM, as a shell reports a command ended by SIGINT. */
export const INTERRUPTED_EXIT = 130;

/**
 * Until `stop` is called: the first SIGINT/SIGTERM only sets the flag the command polls (deploy: nothing
 * new starts, what is in flight finishes or is put back, the report is printed; simulate and verify: what
 * was sent or checked so far is printed); a second one exits at once.
 */
export function catchInterrupts(onFirst: (signal: string) => void): { interrupted: () => boolean; stop: () => void } {
  let caught = false;
  const handler = (signal: NodeJS.Signals) => {
    if (caught) process.exit(INTERRUPTED_EXIT);
    caught = true;
    onFirst(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    interrupted: () => caught,
    stop: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
