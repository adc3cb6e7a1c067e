/**
 * A target as the deployer sees it: runs shell snippets as the install user (directly, through
 * `sudo -n`, or through `sudo -S` with the password on stdin — never on the command line),
 * always under a remote `timeout`. A command's stdin is the channel only where no sudo password
 * travels on it; under `sudo -S` it is /dev/null or a file staged by the login user, so that a
 * password can never reach the command. Files travel on the stdin of the command that writes them.
 */
import { randomBytes } from 'node:crypto';
import { sha256 } from '../kernel/hash.js';
import type { DeployTarget } from '../model/site.js';
import type { Connection } from './connect.js';
import { execRemote, outputLines, startRemote, type ExecResult, type RemoteProcess } from './exec.js';
import type { TargetSecrets } from './secrets.js';
import { ConnectionLost, DeployFailure, Interrupted } from './types.js';
import { shellArg } from '../render/escape.js';
import { InternalError } from '../kernel/errors.js';

export interface RunOptions {
  timeoutSec: number;
  /** What the report shows. */
  label: string;
  /** Remote file fed to the command's stdin. */
  stdinFile?: string;
  /** Bytes fed to the command's stdin through the channel (only where `streamsInput`). */
  input?: Buffer;
  /** Exported before the script runs. */
  env?: Record<string, string>;
  maxStdoutBytes?: number;
  stdoutMustFit?: boolean;
  /** false: run as the login user even on a sudo target (staging files, probes of our own temp folder). */
  privileged?: boolean;
}

/** Exit status `timeout` returns when it had to stop the command. */
const TIMEOUT_EXIT = 124;
const KILLED_EXIT = 137;
/** Local backstop beyond the remote limit, for a host where `timeout` itself hangs. */
const BACKSTOP_SEC = 10;

/** A `stale <dir>` line at the start of `b`. */
const staleLine = (b: Buffer) => /^stale (.*)\n/.exec(b.subarray(0, 8192).toString('latin1'));

/** Exit status the lock holder returns when another run kept the lock past the wait. */
const LOCK_BUSY_EXIT = 75;
/** Exit status of the lock command when the lock's folder or file is not private to the deploying user. */
const LOCK_UNSAFE_EXIT = 76;

/** Identifies the process holding a host's deploy lock: its pid and a token only its run knows. */
export interface LockHolder {
  pid: number;
  token: string;
}

export class RemoteHost {
  private stagingDir?: string;
  private lockHolder?: RemoteProcess;
  /** The remote process that holds this host's lock for this connection, and the token in its environment. */
  holder?: LockHolder;
  /** Names this host's deploy lock and staging folders: one per host and root_prefix. */
  readonly lockKey: string;

  constructor(
    readonly conn: Connection,
    readonly target: DeployTarget,
    private readonly secrets: TargetSecrets,
  ) {
    this.lockKey = sha256(`${target.root_prefix ?? '/'}`).slice(0, 12);
  }

  /** Throws ConnectionLost when the connection is gone, so no caller mistakes that for a command failure. */
  private checkAlive(): void {
    const reason = this.conn.lostReason();
    if (reason !== undefined) throw new ConnectionLost(`${this.target.user}@${this.target.host}:${this.target.port}: connection lost (${reason})`);
  }

  get usesSudo(): boolean {
    return this.target.sudo !== 'none';
  }

  /** Whether privileged commands can read their input from the channel: not when a sudo password travels on it. */
  get streamsInput(): boolean {
    return this.target.sudo !== 'password';
  }

  private wrap(script: string, opts: RunOptions & { fromChannel?: boolean }): { line: string; stdin?: string } {
    const env = Object.entries({ LC_ALL: 'C', ...opts.env })
      .map(([k, v]) => `${k}=${shellArg(v)}; export ${k}; `)
      .join('');
    const privileged = opts.privileged !== false && this.target.sudo !== 'none';
    if (opts.fromChannel && privileged && !this.streamsInput) throw new InternalError('bug: channel input to a command behind sudo -S');
    const stdin = opts.fromChannel ? '' : `exec 0<${opts.stdinFile ? shellArg(opts.stdinFile) : '/dev/null'}; `;
    const inner = `${stdin}${env}${script}`;
    const limited = `timeout -k 5 ${Math.max(1, Math.round(opts.timeoutSec))} sh -c ${shellArg(inner)}`;
    if (opts.privileged === false || this.target.sudo === 'none') return { line: limited };
    if (this.target.sudo === 'nopasswd') return { line: `sudo -n -- ${limited}` };
    // -k: ignore cached credentials so sudo always reads (and so consumes) the password line.
    return { line: `sudo -k -S -p '' -- ${limited}`, stdin: `${this.secrets.sudoPassword ?? ''}\n` };
  }

  /** `p`, or ConnectionLost as soon as the connection goes: nothing waits forever on a dead link. */
  alive<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.conn.lost]);
  }

  async run(script: string, opts: RunOptions): Promise<ExecResult> {
    this.checkAlive();
    const { line, stdin } = this.wrap(script, { ...opts, fromChannel: opts.input !== undefined });
    const r = await this.alive(
      execRemote(this.conn.client, this.conn, line, {
        timeoutSec: opts.timeoutSec + BACKSTOP_SEC,
        label: opts.label,
        stdin: opts.input ?? stdin,
        maxStdoutBytes: opts.maxStdoutBytes,
        stdoutMustFit: opts.stdoutMustFit,
      }),
    );
    // A channel cut by a dropped connection ends without an exit status; that is no answer of the command.
    if (r.exitCode === null) this.checkAlive();
    if (r.exitCode === TIMEOUT_EXIT || (r.exitCode === KILLED_EXIT && !r.timedOut)) r.timedOut = true;
    return r;
  }

  /**
   * Starts a command that reads the channel as its stdin, for a conversation with it (only where
   * `streamsInput`). The caller races its waits with `alive` and reads the result with `finished`.
   */
  async start(script: string, opts: RunOptions): Promise<RemoteProcess> {
    this.checkAlive();
    const { line } = this.wrap(script, { ...opts, fromChannel: true });
    return this.alive(startRemote(this.conn.client, this.conn, line, { timeoutSec: opts.timeoutSec + BACKSTOP_SEC, label: opts.label }));
  }

  /** The end of a started command, its time limit and a lost connection told apart as in `run`. */
  async finished(p: RemoteProcess): Promise<ExecResult> {
    const r = await this.alive(p.done());
    if (r.exitCode === null) this.checkAlive();
    if (r.exitCode === TIMEOUT_EXIT || (r.exitCode === KILLED_EXIT && !r.timedOut)) r.timedOut = true;
    return r;
  }

  /** Runs and throws a DeployFailure with the command's output when it fails. */
  async must(script: string, opts: RunOptions): Promise<ExecResult> {
    const r = await this.run(script, opts);
    if (r.timedOut) throw new DeployFailure(`${opts.label}: killed after ${opts.timeoutSec} s (time limit)`, outputLines(r));
    if (r.exitCode !== 0) throw new DeployFailure(`${opts.label}: failed (exit ${r.exitCode ?? `signal ${r.signal}`})`, outputLines(r));
    return r;
  }

  /** A sudo that refused to run: the error that says what to set. */
  private sudoRefused(r: { stderr: string; stdout: string; command: string; exitCode: number | null; timedOut: boolean }): DeployFailure {
    const t = this.target;
    if (t.sudo === 'nopasswd' && /password is required|a terminal is required/i.test(r.stderr)) {
      return new DeployFailure(`sudo on ${t.name} needs a password, but the target says sudo: nopasswd`, [
        `set sudo: password and sudo_password_env: <VARIABLE> for target ${t.name}, or allow ${t.user} NOPASSWD in sudoers`,
        ...outputLines(r),
      ]);
    }
    if (t.sudo === 'nopasswd') return new DeployFailure(`sudo does not work for ${t.user} on ${t.name}`, outputLines(r));
    return new DeployFailure(
      `sudo on ${t.name} refused the password from ${t.sudo_password_env ? `environment variable ${t.sudo_password_env}` : 'the prompt'}, or ${t.user} may not use sudo`,
      outputLines(r),
    );
  }

  /**
   * Makes sure a sudo password works before anything else runs: sudo -S given a wrong one would wait
   * for another try on the lock's stdin. (`sudo -n` needs no check of its own: the lock command tells.)
   */
  async checkSudo(): Promise<void> {
    if (this.target.sudo !== 'password') return;
    const r = await this.alive(
      execRemote(this.conn.client, this.conn, "sudo -k -S -p '' true", {
        timeoutSec: Math.min(30, this.target.command_timeout_sec),
        label: "sudo -k -S -p '' true",
        stdin: `${this.secrets.sudoPassword ?? ''}\n`,
      }),
    );
    if (r.exitCode !== 0) throw this.sudoRefused(r);
  }

  /**
   * Takes this host's deploy lock for the rest of the connection: a remote `flock` held by an open
   * channel. It goes when the channel or the connection ends, so a killed run never leaves a stale
   * lock. Waits up to lock_wait_sec for another run, then refuses.
   *
   * The lock file is private to the user the deploy runs as (root: /run/ctconnect; another user:
   * ~/.cache/ctconnect): a folder of mode 0700 that user owns, a file of mode 0600 created with
   * O_NOFOLLOW (`dd oflag=nofollow`) and used only when the open file is the very file at that path.
   * No other user can hold it, and no planted link can make the deploy create a file elsewhere.
   *
   * Under the lock it records this run's id and reports the id of the run that held it before
   * (`lastRun`): a rollback over a new connection learns from it whether another run came in between.
   *
   * The same command does, under the lock, what must come first anyway, to save round trips: it
   * removes the staging folders of interrupted runs (`removeStale`) and runs `underLock` (the probe of
   * every file), whose output it returns.
   */
  async lock(opts: {
    runId: string;
    takeOver?: LockHolder;
    removeStale?: boolean;
    underLock?: string;
    interrupted?: () => boolean;
  }): Promise<{ output: Buffer; staleRemoved: string[]; lastRun: string }> {
    this.checkAlive();
    const wait = this.target.lock_wait_sec;
    const done = `@@ctconnect-locked-${randomBytes(6).toString('hex')}`;
    const token = randomBytes(12).toString('hex');
    const base = `deploy-${this.lockKey}`;
    // After a silent drop the host may not know yet that our old session is gone, and its holder keeps the
    // lock: the reconnect that rolls back ends that holder, and only when it is provably ours — a process of
    // this user, with the old run's token in its environment, holding this very lock file open on fd 9.
    const takeOver = opts.takeOver
      ? [
          `p=${opts.takeOver.pid}`,
          `if [ "$(stat -c %u /proc/$p 2>/dev/null)" = "$(id -u)" ] && [ "$(stat -L -c %d:%i /proc/$p/fd/9 2>/dev/null)" = "$(stat -L -c %d:%i /dev/fd/9)" ] && tr '\\0' '\\n' </proc/$p/environ 2>/dev/null | grep -qxF ${shellArg(`CTCONNECT_LOCK_TOKEN=${opts.takeOver.token}`)}; then kill $p 2>/dev/null; fi`,
        ]
      : [];
    const stale = opts.removeStale ? [this.staleStagingScript()] : [];
    const work = opts.underLock
      ? [
          `timeout -k 5 ${this.target.command_timeout_sec} sh -c ${shellArg(`exec 0</dev/null; LC_ALL=C; export LC_ALL; ${opts.underLock}`)} 9<&-; echo "under-lock-exit $?"`,
        ]
      : [];
    const script = [
      'umask 077',
      `command -v flock >/dev/null || { echo 'flock (util-linux) is not installed' >&2; exit 127; }`,
      'if [ "$(id -u)" = 0 ]; then d=/run/ctconnect; else h=$(getent passwd "$(id -u)" | cut -d: -f6); d="${h:-$HOME}/.cache/ctconnect"; fi',
      'mkdir -p -- "$d" 2>/dev/null',
      `if [ -L "$d" ] || [ ! -d "$d" ] || [ "$(stat -c %u "$d")" != "$(id -u)" ]; then echo "$d is not a folder of $(id -un) (a link, or owned by another user): refusing to keep the deploy lock there" >&2; exit ${LOCK_UNSAFE_EXIT}; fi`,
      'chmod 0700 -- "$d" || exit 1',
      `f="$d/${base}.lock"; echo "lockfile $f"`,
      `dd if=/dev/null of="$f" oflag=nofollow conv=notrunc status=none 2>/dev/null || { echo "$f: cannot create it (a symbolic link?): refusing to use it" >&2; exit ${LOCK_UNSAFE_EXIT}; }`,
      'exec 9<"$f" || exit 1',
      `[ "$(stat -c %d:%i:%u "$f")" = "$(stat -L -c %d:%i:%u /dev/fd/9)" ] && [ "$(stat -c %u "$f")" = "$(id -u)" ] || { echo "$f is not a file of $(id -un): refusing to use it" >&2; exit ${LOCK_UNSAFE_EXIT}; }`,
      'chmod 0600 -- "$f" || exit 1',
      ...takeOver,
      `flock -w ${wait} -E ${LOCK_BUSY_EXIT} 9 || exit $?`,
      `CTCONNECT_LOCK_TOKEN=${token}; export CTCONNECT_LOCK_TOKEN`,
      'echo "locked $$"',
      // The run that held the lock last, then this one.
      `r="$d/${base}.run"; [ -L "$r" ] && rm -f -- "$r"; echo "last-run $(head -c 64 "$r" 2>/dev/null)"; printf '%s' ${shellArg(opts.runId)} > "$r"`,
      ...stale,
      ...work,
      `echo ${done}`,
      'exec cat >/dev/null',
    ].join('\n');
    let line = `sh -c ${shellArg(script)}`;
    let stdin = '';
    if (this.target.sudo === 'nopasswd') line = `sudo -n -- ${line}`;
    else if (this.target.sudo === 'password') {
      line = `sudo -k -S -p '' -- ${line}`;
      stdin = `${this.secrets.sudoPassword ?? ''}\n`;
    }
    // The probe sends each file's bytes (up to 64 MiB each, base64); the limit only guards against a runaway host.
    const holderProcess = await this.alive(
      startRemote(this.conn.client, this.conn, line, { label: 'take the deploy lock', maxStdoutBytes: 1024 * 1024 * 1024 }),
    );
    if (stdin) holderProcess.write(stdin);
    const lockFile = () => /^lockfile (.*)\n/m.exec(holderProcess.stdout().subarray(0, 8192).toString('latin1'))?.[1] ?? 'the deploy lock';
    // Ctrl-C while waiting for another run's lock: give up the wait, nothing was done yet.
    let poll: NodeJS.Timeout | undefined;
    const interrupted = new Promise<'interrupted'>((resolve) => {
      if (opts.interrupted) poll = setInterval(() => opts.interrupted!() && resolve('interrupted'), 100);
    });
    const got = await this.alive(Promise.race([holderProcess.waitFor(done), interrupted])).finally(() => clearInterval(poll));
    if (got === 'interrupted') {
      holderProcess.end();
      throw new Interrupted(`interrupted while waiting for the deploy lock ${lockFile()} on ${this.target.name}; nothing was changed`);
    }
    if (got) {
      const out = holderProcess.stdout();
      const head = /^lockfile .*\nlocked (\d+)\nlast-run (.*)\n/.exec(out.subarray(0, 8192).toString('latin1'))!;
      this.lockHolder = holderProcess;
      this.holder = { pid: Number(head[1]), token };
      let body = out.subarray(Buffer.byteLength(head[0], 'latin1'), out.lastIndexOf(done));
      const staleRemoved: string[] = [];
      for (let m = staleLine(body); m; m = staleLine(body)) {
        staleRemoved.push(Buffer.from(m[1], 'latin1').toString('utf8'));
        body = body.subarray(m[0].length);
      }
      const exitAt = body.lastIndexOf('under-lock-exit ');
      if (opts.underLock) {
        const code =
          exitAt < 0
            ? NaN
            : Number(
                body
                  .subarray(exitAt + 'under-lock-exit '.length)
                  .toString('latin1')
                  .trim(),
              );
        if (code !== 0) {
          throw new DeployFailure(
            code === TIMEOUT_EXIT
              ? `inspecting the files on ${this.target.name}: killed after ${this.target.command_timeout_sec} s (time limit)`
              : `cannot inspect the files on ${this.target.name} (exit ${code})`,
            holderProcess.stderr().trim().split('\n').filter(Boolean),
          );
        }
      }
      return { output: exitAt < 0 ? body : body.subarray(0, exitAt), staleRemoved, lastRun: head[2] };
    }
    const taken = await this.finished(holderProcess);
    if (taken.exitCode === LOCK_BUSY_EXIT) {
      throw new DeployFailure(`another ctconnect deploy to ${this.target.name} is running: it still held the lock ${lockFile()} after ${wait} s`, [
        'wait for it to finish and run again, or raise lock_wait_sec for this target',
      ]);
    }
    if (this.usesSudo && /^sudo: /m.test(taken.stderr)) throw this.sudoRefused(taken);
    throw new DeployFailure(`cannot take ${lockFile()} on ${this.target.name}`, taken.stderr.trim().split('\n').filter(Boolean));
  }

  /** Lets the lock go (ending its channel's input ends the remote `cat`, and with it the flock). */
  unlock(): void {
    const holder = this.lockHolder;
    this.lockHolder = undefined;
    try {
      holder?.end();
    } catch {
      /* the connection may already be gone; so is the lock then */
    }
  }

  /**
   * Removes the staging folders of this host's earlier runs that died before cleaning up (after a
   * reconnect, the lost connection's): the login user's, found under the lock; prints `stale <dir>` each.
   */
  private staleStagingScript(): string {
    return `for d in "\${TMPDIR:-/tmp}"/ctconnect.${this.lockKey}.*; do [ -d "$d" ] && [ ! -L "$d" ] && [ "$(stat -c %U "$d")" = ${shellArg(this.target.user)} ] && rm -rf -- "$d" && echo "stale $d"; done`;
  }

  async cleanStaging(): Promise<void> {
    if (!this.stagingDir) return;
    const dir = this.stagingDir;
    this.stagingDir = undefined;
    await this.run(`rm -rf -- ${shellArg(dir)}`, { timeoutSec: 30, label: 'remove staging folder', privileged: false }).catch(() => undefined);
  }

  /**
   * Stages data for a privileged command that cannot read the channel (sudo -S): written by the login
   * user into a private folder (made by the first call, in the same command), private (0600). Returns its path.
   */
  async stageData(data: Buffer): Promise<string> {
    const name = randomBytes(6).toString('hex');
    const dir = this.stagingDir ? shellArg(this.stagingDir) : `"$(mktemp -d "\${TMPDIR:-/tmp}/ctconnect.${this.lockKey}.XXXXXXXX")"`;
    const r = await this.must(`umask 077; d=${dir} && cat > "$d/${name}" && printf '%s' "$d"`, {
      timeoutSec: this.target.command_timeout_sec,
      label: 'stage data for sudo',
      privileged: false,
      input: data,
    });
    this.stagingDir = r.stdout;
    return `${this.stagingDir}/${name}`;
  }
}
