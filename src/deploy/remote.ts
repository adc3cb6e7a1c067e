/**
 * A target as the deployer sees it: runs shell snippets as the install user (directly, through
 * `sudo -n`, or through `sudo -S` with the password on stdin — never on the command line),
 * always under a remote `timeout`, with stdin either /dev/null or a staged file so that a sudo
 * password can never reach the command. Files move through SFTP.
 */
import { randomBytes } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';
import type { DeployTarget } from '../config/site.js';
import type { Connection } from './connect.js';
import { execRemote, outputLines, type ExecResult } from './exec.js';
import type { TargetSecrets } from './secrets.js';
import { DeployFailure } from './types.js';
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

export class RemoteHost {
  private stagingDir?: string;

  constructor(
    readonly conn: Connection,
    readonly target: DeployTarget,
    private readonly secrets: TargetSecrets,
  ) {}

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
    const { line, stdin } = this.wrap(script, opts);
    const r = await execRemote(this.conn.client, line, {
      timeoutSec: opts.timeoutSec + BACKSTOP_SEC,
      label: opts.label,
      stdin,
      maxStdoutBytes: opts.maxStdoutBytes,
      stdoutMustFit: opts.stdoutMustFit,
    });
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

  /** A private folder of the login user for staged uploads (sudo targets, stdin files); made once. */
  async staging(): Promise<string> {
    if (this.stagingDir) return this.stagingDir;
    const r = await this.must('mktemp -d "${TMPDIR:-/tmp}/ctconnect.XXXXXXXX"', {
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
    const sftp = await this.sftp();
    await new Promise<void>((resolve, reject) => {
      sftp.writeFile(path, data, { mode: 0o600 }, (err) => (err ? reject(new DeployFailure(`SFTP upload to ${path} failed: ${err.message}`)) : resolve()));
    });
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
      const ok = await new Promise<boolean>((resolve) => {
        try {
          sftp.ext_openssh_rename(from, to, (err) => resolve(!err));
        } catch {
          resolve(false);
        }
      });
      if (ok) return 'posix-rename';
    }
    await this.must(`mv -f -- ${shellArg(from)} ${shellArg(to)}`, { timeoutSec, label: `mv -f ${from} ${to}` });
    return 'mv -f';
  }
}
