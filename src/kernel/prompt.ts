/**
 * Asking for a secret on the terminal. Its own module, so that a command that only asks (verify)
 * does not load what deploy needs around it (ssh2).
 */
import { UserError } from './errors.js';
import { rememberSecret } from './run-secrets.js';

/** Asks for a secret without echoing it. */
export type SecretPrompt = (question: string) => Promise<string>;

let echoOff = false;

/**
 * Terminal echo off from now until the process exits: what is typed before a prompt appears (a
 * password typed ahead while the command starts) is then not shown either. `stty` keeps Ctrl-C a
 * signal, unlike raw mode; echo comes back on every exit, the interrupted ones included.
 */
export function silenceEcho(): void {
  if (echoOff) return;
  echoOff = true;
  // Loaded here: launch.ts imports this module for every command, and child_process (with net and dgram) costs each a few ms.
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const stty = (arg: string) => spawnSync('stty', [arg], { stdio: ['inherit', 'ignore', 'ignore'] });
  if (stty('-echo').status !== 0) return;
  process.on('exit', () => stty('echo'));
}

/**
 * A prompt on the terminal with echo off; undefined when stdin is not a TTY (CI, pipes). Echo goes
 * off when the prompt is made, at the start of a command that may ask, not when it asks.
 */
export function terminalPrompt(interrupted: () => Error = () => new UserError('interrupted at the password prompt')): SecretPrompt | undefined {
  if (!process.stdin.isTTY) return undefined;
  silenceEcho();
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
