/**
 * Runs commands over an SSH connection with a time limit. ssh2 has no exec timeout of its own
 * and a channel only closes once stdout and stderr are both read (the ssh2 documentation), so both are always
 * consumed, kept (up to a limit) for the report, and the channel is killed when time runs out.
 * Every command counts its round trips on its connection (the deploy's cost on a slow link).
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
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
}

function text(c: Collector): string {
  const s = c.bytes().toString('utf8');
  return c.truncated ? `${s}\n[… output cut at ${c.bytes().length} bytes]` : s;
}

/**
 * A command started on the host whose input can be written while it runs and whose output can be
 * waited on part by part (`waitFor`): one channel can then carry a whole conversation, e.g. "backed
 * up" → file bytes → "validated" → "rename", instead of one command per stage.
 */
export interface RemoteProcess {
  /** Resolves true once stdout has shown `marker`, false if the command ended without it. */
  waitFor(marker: string): Promise<boolean>;
  /** stdout so far (up to the limit). */
  stdout(): Buffer;
  /** stderr so far, as text. */
  stderr(): string;
  write(data: Buffer | string): void;
  /** Closes stdin, after writing `data` if given; later calls do nothing. */
  end(data?: Buffer | string): void;
  /** Resolves when the channel has closed. */
  done(): Promise<ExecResult>;
}

/**
 * Where a connection counts its round trips: every request it waits on before it can go on. Opening a
 * channel and starting a command are two; input the command must read before it can answer is one more.
 */
export interface RoundTrips {
  roundTrips: number;
}

interface Waiter {
  marker: string;
  tail: string;
  resolve: (found: boolean) => void;
}

export function startRemote(
  client: Client,
  counter: RoundTrips,
  command: string,
  opts: Omit<ExecOptions, 'stdin' | 'timeoutSec'> & { timeoutSec?: number },
): Promise<RemoteProcess> {
  const label = opts.label ?? command;
  counter.roundTrips += 2;
  return new Promise((resolveStart, rejectStart) => {
    client.exec(command, (err, channel: ClientChannel) => {
      if (err) {
        rejectStart(new DeployFailure(`cannot start "${label}": ${err.message}`));
        return;
      }
      const out = new Collector(opts.maxStdoutBytes ?? TEXT_LIMIT);
      const errOut = new Collector(TEXT_LIMIT);
      let exitCode: number | null = null;
      let signal: string | undefined;
      let timedOut = false;
      let result: ExecResult | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      let timer: NodeJS.Timeout | undefined;
      /** Input was sent that the command has to read before it answers: the next wait is a round trip. */
      let inputPending = false;
      let inputEnded = false;
      let waiters: Waiter[] = [];
      const closed: Array<(r: ExecResult) => void> = [];
      const countWait = (): void => {
        if (!inputPending) return;
        inputPending = false;
        counter.roundTrips += 1;
      };

      const finish = (): void => {
        if (result) return;
        clearTimeout(timer);
        clearTimeout(graceTimer);
        const stdoutBytes = out.bytes();
        result = {
          command: label,
          exitCode,
          signal,
          timedOut,
          stdout: opts.stdoutMustFit ? '' : text(out),
          stderr: text(errOut),
          stdoutBytes,
          stdoutTruncated: out.truncated,
        };
        for (const w of waiters) w.resolve(false);
        waiters = [];
        for (const c of closed) c(result);
      };

      if (opts.timeoutSec !== undefined) {
        timer = setTimeout(() => {
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
      }

      channel.on('data', (d: Buffer) => {
        out.add(d);
        if (waiters.length === 0) return;
        const chunk = d.toString('latin1');
        waiters = waiters.filter((w) => {
          const seen = w.tail + chunk;
          if (seen.includes(w.marker)) {
            w.resolve(true);
            return false;
          }
          w.tail = seen.slice(-(w.marker.length - 1));
          return true;
        });
      });
      channel.stderr.on('data', (d: Buffer) => errOut.add(d));
      channel.on('exit', (code: number | null, sig?: string) => {
        if (typeof code === 'number') exitCode = code;
        if (sig) signal = sig;
      });
      channel.on('close', finish);
      channel.on('error', (e: Error) => {
        errOut.add(Buffer.from(`\n[channel error: ${e.message}]`));
      });
      resolveStart({
        waitFor: (marker) => {
          countWait();
          if (out.bytes().includes(marker, 0, 'latin1')) return Promise.resolve(true);
          if (result) return Promise.resolve(false);
          return new Promise((resolve) =>
            waiters.push({
              marker,
              tail: out
                .bytes()
                .subarray(-(marker.length - 1))
                .toString('latin1'),
              resolve,
            }),
          );
        },
        stdout: () => out.bytes(),
        stderr: () => text(errOut),
        write: (data) => {
          if (data.length > 0) inputPending = true;
          channel.write(data);
        },
        end: (data) => {
          if (inputEnded) return;
          inputEnded = true;
          if (data !== undefined && data.length > 0) inputPending = true;
          if (data !== undefined) channel.end(data);
          else channel.end();
        },
        done: () => {
          countWait();
          return result ? Promise.resolve(result) : new Promise((resolve) => closed.push(resolve));
        },
      });
    });
  });
}

/** Runs a command to its end: stdin written and closed at once. */
export async function execRemote(client: Client, counter: RoundTrips, command: string, opts: ExecOptions): Promise<ExecResult> {
  const p = await startRemote(client, counter, command, opts);
  p.end(opts.stdin);
  return p.done();
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
