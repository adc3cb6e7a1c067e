/**
 * A target as the deployer sees it: runs shell snippets as the install user (directly, through
 * `sudo -n`, or through `sudo -S` with the password on stdin — never on the command line),
 * always under a remote `timeout`, with stdin either /dev/null or a staged file so that a sudo
 * password can never reach the command. Files move through SFTP.
 */
import { randomBytes } from 'node:crypto';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { sha256 } from '../core/hash.js';
import type { DeployTarget } from '../config/site.js';
import type { Connection } from './connect.js';
import { execRemote, outputLines, type ExecResult } from './exec.js';
import type { TargetSecrets } from './secrets.js';
import { ConnectionLost, DeployFailure } from './types.js';
import { shellArg } from '../render/escape.js';

export interface RunOptions {
  timeoutSec: number;
  /** What the report shows. */
  label: string;
  /** Remote file fed to the command's stdin. */
  stdinFile?: string;
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

/** Exit status the lock holder returns when another run kept the lock past the wait. */
const LOCK_BUSY_EXIT = 75;

export class RemoteHost {
  private stagingDir?: string;
  private lockChannel?: ClientChannel;
  /** The remote process that holds this host's lock for this connection. */
  lockHolderPid?: number;
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

  private wrap(script: string, opts: RunOptions): { line: string; stdin?: string } {
    const env = Object.entries({ LC_ALL: 'C', ...opts.env })
      .map(([k, v]) => `${k}=${shellArg(v)}; export ${k}; `)
      .join('');
    const inner = `exec 0<${opts.stdinFile ? shellArg(opts.stdinFile) : '/dev/null'}; ${env}${script}`;
    const limited = `timeout -k 5 ${Math.max(1, Math.round(opts.timeoutSec))} sh -c ${shellArg(inner)}`;
    if (opts.privileged === false || this.target.sudo === 'none') return { line: limited };
    if (this.target.sudo === 'nopasswd') return { line: `sudo -n -- ${limited}` };
    // -k: ignore cached credentials so sudo always reads (and so consumes) the password line.
    return { line: `sudo -k -S -p '' -- ${limited}`, stdin: `${this.secrets.sudoPassword ?? ''}\n` };
  }

  async run(script: string, opts: RunOptions): Promise<ExecResult> {
    this.checkAlive();
    const { line, stdin } = this.wrap(script, opts);
    const r = await Promise.race([
      execRemote(this.conn.client, line, {
        timeoutSec: opts.timeoutSec + BACKSTOP_SEC,
        label: opts.label,
        stdin,
        maxStdoutBytes: opts.maxStdoutBytes,
        stdoutMustFit: opts.stdoutMustFit,
      }),
      this.conn.lost,
    ]);
    // A channel cut by a dropped connection ends without an exit status; that is no answer of the command.
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

  /**
   * Makes sure sudo works as configured before anything else runs: a target that needs a
   * password but has none gets a clear error here instead of a prompt that would hang.
   */
  async checkSudo(): Promise<void> {
    if (this.target.sudo === 'none') return;
    const t = this.target;
    const timeoutSec = Math.min(30, t.command_timeout_sec);
    if (t.sudo === 'nopasswd') {
      const r = await execRemote(this.conn.client, 'sudo -n true', { timeoutSec, label: 'sudo -n true' });
      if (r.exitCode === 0) return;
      if (/password is required|a terminal is required/i.test(r.stderr)) {
        throw new DeployFailure(`sudo on ${t.name} needs a password, but the target says sudo: nopasswd`, [
          `set sudo: password and sudo_password_env: <VARIABLE> for target ${t.name}, or allow ${t.user} NOPASSWD in sudoers`,
          ...outputLines(r),
        ]);
      }
      throw new DeployFailure(`sudo does not work for ${t.user} on ${t.name}`, outputLines(r));
    }
    const r = await execRemote(this.conn.client, "sudo -k -S -p '' true", {
      timeoutSec,
      label: "sudo -k -S -p '' true",
      stdin: `${this.secrets.sudoPassword ?? ''}\n`,
    });
    if (r.exitCode === 0) return;
    throw new DeployFailure(
      `sudo on ${t.name} refused the password from ${t.sudo_password_env ? `environment variable ${t.sudo_password_env}` : 'the prompt'}, or ${t.user} may not use sudo`,
      outputLines(r),
    );
  }

  /**
   * Takes this host's deploy lock for the rest of the connection: a remote `flock` held by an open
   * channel. It goes when the channel or the connection ends, so a killed run never leaves a stale
   * lock. Waits up to lock_wait_sec for another run, then refuses.
   */
  async lock(takeOverPid?: number): Promise<void> {
    this.checkAlive();
    const file = `/tmp/ctconnect-deploy-${this.lockKey}.lock`;
    const wait = this.target.lock_wait_sec;
    // After a silent drop the host may not know yet that our old session is gone, and its holder keeps the
    // lock: the reconnect that rolls back ends that holder (it is ours: a `cat` with the pid it reported).
    const takeOver = takeOverPid ? `[ "$(cat /proc/${takeOverPid}/comm 2>/dev/null)" = cat ] && kill ${takeOverPid} 2>/dev/null; ` : '';
    const inner = `umask 000; ${takeOver}command -v flock >/dev/null || { echo 'flock (util-linux) is not installed' >&2; exit 127; }; exec flock -w ${wait} -E ${LOCK_BUSY_EXIT} ${shellArg(file)} sh -c 'echo "locked $$"; exec cat >/dev/null'`;
    let line = `sh -c ${shellArg(inner)}`;
    let stdin = '';
    if (this.target.sudo === 'nopasswd') line = `sudo -n -- ${line}`;
    else if (this.target.sudo === 'password') {
      line = `sudo -k -S -p '' -- ${line}`;
      stdin = `${this.secrets.sudoPassword ?? ''}\n`;
    }
    const channel = await Promise.race([
      new Promise<ClientChannel>((resolve, reject) =>
        this.conn.client.exec(line, (err, ch) => (err ? reject(new DeployFailure(`cannot start the deploy lock: ${err.message}`)) : resolve(ch))),
      ),
      this.conn.lost,
    ]);
    if (stdin) channel.write(stdin);
    const taken = await Promise.race([
      new Promise<{ ok: boolean; code: number | null; stderr: string }>((resolve) => {
        let out = '';
        let err = '';
        let code: number | null = null;
        channel.on('data', (d: Buffer) => {
          out += d.toString('utf8');
          const m = /locked (\d+)\n/.exec(out);
          if (m) {
            this.lockHolderPid = Number(m[1]);
            resolve({ ok: true, code: null, stderr: err });
          }
        });
        channel.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
        channel.on('exit', (c: number | null) => (code = c));
        channel.on('close', () => resolve({ ok: false, code, stderr: err }));
      }),
      this.conn.lost,
    ]);
    if (taken.ok) {
      this.lockChannel = channel;
      return;
    }
    if (taken.code === LOCK_BUSY_EXIT) {
      throw new DeployFailure(`another ctconnect deploy to ${this.target.name} is running: it still held the lock ${file} after ${wait} s`, [
        'wait for it to finish and run again, or raise lock_wait_sec for this target',
      ]);
    }
    this.checkAlive();
    throw new DeployFailure(`cannot take the deploy lock ${file} on ${this.target.name}`, taken.stderr.trim().split('\n').filter(Boolean));
  }

  /** Lets the lock go (ending its channel ends the remote flock). */
  unlock(): void {
    const ch = this.lockChannel;
    this.lockChannel = undefined;
    try {
      ch?.end();
    } catch {
      /* the connection may already be gone; so is the lock then */
    }
  }

  /** Staging folders of this host's earlier runs that died before cleaning up; call under the lock. */
  async removeStaleStaging(): Promise<string[]> {
    const r = await this.run(
      `for d in "\${TMPDIR:-/tmp}"/ctconnect.${this.lockKey}.*; do [ -d "$d" ] && [ -O "$d" ] && rm -rf -- "$d" && echo "$d"; done; exit 0`,
      { timeoutSec: 30, label: 'remove staging folders of interrupted runs', privileged: false },
    );
    return r.stdout.split('\n').filter((l) => l !== '');
  }

  /** A private folder of the login user for staged uploads (sudo targets, stdin files); made once. */
  async staging(): Promise<string> {
    if (this.stagingDir) return this.stagingDir;
    const r = await this.must(`mktemp -d "\${TMPDIR:-/tmp}/ctconnect.${this.lockKey}.XXXXXXXX"`, {
      timeoutSec: 30,
      label: 'mktemp -d',
      privileged: false,
    });
    this.stagingDir = r.stdout.trim();
    return this.stagingDir;
  }

  async cleanStaging(): Promise<void> {
    if (!this.stagingDir) return;
    const dir = this.stagingDir;
    this.stagingDir = undefined;
    await this.run(`rm -rf -- ${shellArg(dir)}`, { timeoutSec: 30, label: 'remove staging folder', privileged: false }).catch(() => undefined);
  }

  async sftp(): Promise<SFTPWrapper> {
    return this.conn.sftp();
  }

  /** Writes `data` to a remote path as the login user, private (0600). */
  async writeAsLoginUser(path: string, data: Buffer): Promise<void> {
    this.checkAlive();
    const sftp = await this.sftp();
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        sftp.writeFile(path, data, { mode: 0o600 }, (err) => (err ? reject(new DeployFailure(`SFTP upload to ${path} failed: ${err.message}`)) : resolve()));
      }),
      this.conn.lost,
    ]);
  }

  /** Uploads stdin data for a command into the staging folder; returns its path. */
  async stageData(data: Buffer): Promise<string> {
    const path = `${await this.staging()}/${randomBytes(6).toString('hex')}`;
    await this.writeAsLoginUser(path, data);
    return path;
  }

  /**
   * Renames within one folder, replacing the target atomically: posix-rename over SFTP when we
   * write as the login user (plain SFTP rename fails when the target exists), else `mv -f`.
   */
  async renameOver(from: string, to: string, timeoutSec: number): Promise<string> {
    if (!this.usesSudo) {
      const sftp = await this.sftp();
      const ok = await Promise.race([
        new Promise<boolean>((resolve) => {
          try {
            sftp.ext_openssh_rename(from, to, (err) => resolve(!err));
          } catch {
            resolve(false);
          }
        }),
        this.conn.lost,
      ]);
      if (ok) return 'posix-rename';
    }
    await this.must(`mv -f -- ${shellArg(from)} ${shellArg(to)}`, { timeoutSec, label: `mv -f ${from} ${to}` });
    return 'mv -f';
  }
}
