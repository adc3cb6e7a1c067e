/**
 * Asking for a secret on the terminal. Its own module, so that a command that only asks (verify)
 * does not load what deploy needs around it (ssh2).
 */
import { UserError } from './errors.js';
import { rememberSecret } from './run-secrets.js';

/** Asks for a secret without echoing it. */
export type SecretPrompt = (question: string) => Promise<string>;

/** A prompt on the terminal with echo off; undefined when stdin is not a TTY (CI, pipes). */
export function terminalPrompt(interrupted: () => Error = () => new UserError('interrupted at the password prompt')): SecretPrompt | undefined {
  if (!process.stdin.isTTY) return undefined;
  return (question) =>
    new Promise((resolve, reject) => {
      const stdin = process.stdin;
      process.stderr.write(question);
      let value = '';
      stdin.setRawMode(true);
      stdin.resume();
      const onData = (buf: Buffer) => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            cleanup();
            process.stderr.write('\n');
            rememberSecret(value);
            resolve(value);
            return;
          }
          if (ch === '\u0003') {
            cleanup();
            process.stderr.write('\n');
            reject(interrupted());
            return;
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      const cleanup = () => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
      };
      stdin.on('data', onData);
    });
}
