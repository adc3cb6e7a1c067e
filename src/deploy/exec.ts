/**
 * Runs one command over an SSH connection with a time limit. ssh2 has no exec timeout of its own
 * and a channel only closes once stdout and stderr are both read (FACTS §8), so both are always
 * consumed, kept (up to a limit) for the report, and the channel is killed when time runs out.
 */
import type { Client, ClientChannel } from 'ssh2';
import { DeployFailure, type CommandOutput } from './types.js';

export interface ExecOptions {
  /** Written to the command's stdin, which is then closed. */
  stdin?: Buffer | string;
  timeoutSec: number;
  /** What the report shows as the command (the real line may carry sudo/timeout wrapping). */
  label?: string;
  /** Bytes of stdout kept; more is an error when `stdoutMustFit`, else cut with a note. */
  maxStdoutBytes?: number;
  stdoutMustFit?: boolean;
}

export interface ExecResult extends CommandOutput {
  stdoutBytes: Buffer;
  stdoutTruncated: boolean;
}

const TEXT_LIMIT = 256 * 1024;
/** After a kill, how long to wait for the channel to close before giving up on it. */
const CLOSE_GRACE_MS = 5000;

class Collector {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly limit: number) {}
  add(chunk: Buffer): void {
    if (this.size >= this.limit) {
      this.truncated = true;
      return;
    }
    const room = this.limit - this.size;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.truncated = true;
    this.chunks.push(part);
    this.size += part.length;
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function text(c: Collector): string {
  const s = c.bytes().toString('utf8');
  return c.truncated ? `${s}\n[… output cut at ${c.bytes().length} bytes]` : s;
}

export function execRemote(client: Client, command: string, opts: ExecOptions): Promise<ExecResult> {
  const label = opts.label ?? command;
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel: ClientChannel) => {
      if (err) {
        reject(new DeployFailure(`cannot start "${label}": ${err.message}`));
        return;
      }
      const out = new Collector(opts.maxStdoutBytes ?? TEXT_LIMIT);
      const errOut = new Collector(TEXT_LIMIT);
      let exitCode: number | null = null;
      let signal: string | undefined;
      let timedOut = false;
      let settled = false;
      let graceTimer: NodeJS.Timeout | undefined;

      const finish = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(graceTimer);
        const stdoutBytes = out.bytes();
        resolve({
          command: label,
          exitCode,
          signal,
          timedOut,
          stdout: opts.stdoutMustFit ? '' : text(out),
          stderr: text(errOut),
          stdoutBytes,
          stdoutTruncated: out.truncated,
        });
      };

      const timer = setTimeout(() => {
        timedOut = true;
        // The remote side also runs under `timeout`; this is the backstop if that did not end it.
        try {
          channel.signal('KILL');
        } catch {
          /* the server may not support signals; closing the channel follows */
        }
        channel.close();
        graceTimer = setTimeout(finish, CLOSE_GRACE_MS);
      }, opts.timeoutSec * 1000);

      channel.on('data', (d: Buffer) => out.add(d));
      channel.stderr.on('data', (d: Buffer) => errOut.add(d));
      channel.on('exit', (code: number | null, sig?: string) => {
        if (typeof code === 'number') exitCode = code;
        if (sig) signal = sig;
      });
      channel.on('close', finish);
      channel.on('error', (e: Error) => {
        errOut.add(Buffer.from(`\n[channel error: ${e.message}]`));
      });
      if (opts.stdin !== undefined) channel.end(opts.stdin);
      else channel.end();
    });
  });
}

/** One-paragraph account of a failed command, for messages. */
export function describeFailure(r: CommandOutput, timeoutSec?: number): string {
  if (r.timedOut) return `"${r.command}" was killed after ${timeoutSec ?? '?'} s (time limit)`;
  if (r.exitCode === null) return `"${r.command}" ended by signal ${r.signal ?? 'unknown'}`;
  return `"${r.command}" exited with code ${r.exitCode}`;
}

/** stdout/stderr lines for a report, trimmed. */
export function outputLines(r: CommandOutput): string[] {
  const lines: string[] = [];
  const add = (name: string, s: string) => {
    const t = s.replace(/\s+$/, '');
    if (t !== '') for (const l of t.split('\n')) lines.push(`${name}: ${l}`);
  };
  add('stdout', r.stdout);
  add('stderr', r.stderr);
  return lines;
}
