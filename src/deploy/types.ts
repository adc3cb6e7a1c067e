/** Results of a deploy, per host, file and step: what the report, the table and --json show. */

/** A failure on one host: the message says what happened, details carry command output and hints. */
export class DeployFailure extends Error {
  constructor(message: string, readonly details: string[] = []) {
    super(message);
    this.name = 'DeployFailure';
  }
}

/** The SSH connection went away in the middle of something; the host state must be found out again. */
export class ConnectionLost extends DeployFailure {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionLost';
  }
}

/** The user asked the deploy to stop (SIGINT/SIGTERM); what was in flight finished or was put back. */
export class Interrupted extends DeployFailure {
  constructor(message: string) {
    super(message);
    this.name = 'Interrupted';
  }
}

export interface CommandOutput {
  command: string;
  exitCode: number | null;
  signal?: string;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export type FileStatus = 'unchanged' | 'changed' | 'would-change' | 'failed' | 'rolled-back' | 'not-reached';

export interface FileResult {
  /** Where the bundle has it. */
  bundlePath: string;
  /** Where it is installed (the path on the target, root_prefix included). */
  path: string;
  status: FileStatus;
  /** Why it changes: content, mode, owner, new file. */
  reasons: string[];
  backup?: string;
  /** Unified diff, secrets redacted (only with --diff). */
  diff?: string;
  validate?: CommandOutput;
  error?: string;
  /** Temp files of interrupted earlier runs found beside this file and removed (under --check: found). */
  leftoversRemoved?: string[];
}

/** `may-have-run`: the connection was lost while it ran; `skipped`: --skip-steps or the target's `steps: skip` (it stays pending). */
export type StepStatus = 'ran' | 'would-run' | 'not-needed' | 'skipped' | 'failed' | 'may-have-run' | 'not-reached';

export interface StepResult {
  id: string;
  description: string;
  status: StepStatus;
  /** What made it run (the changed files notifying it). */
  because: string[];
  /** Files beside which an earlier, unfinished deploy recorded it as pending: it runs even though they did not change now. */
  pendingFrom?: string[];
  /** The command, for a step that was skipped (what would have run). */
  command?: string;
  output?: CommandOutput;
}

export interface RollbackResult {
  restored: string[];
  removed: string[];
  notRestored: Array<{ path: string; error: string }>;
  /**
   * Files this run replaced but did not put back, because they are no longer only this run's: another
   * deploy held the host's lock after the connection was lost (and found them in place), or their bytes
   * changed since this run wrote them. A rollback never undoes what it did not do.
   */
  left: Array<{ path: string; reason: string }>;
  /** This run's temp files that were removed again. */
  tempRemoved: string[];
  /** Steps that had already run with the new files; the report tells the user to look at them. */
  stepsAlreadyRun: string[];
}

export type HostStatus = 'ok' | 'changed' | 'failed';

export interface HostResult {
  target: string;
  address: string;
  status: HostStatus;
  check: boolean;
  /** Where the host key was found (known_hosts line, pinned, or newly accepted). */
  hostKey?: string;
  files: FileResult[];
  steps: StepResult[];
  rollback?: RollbackResult;
  error?: { message: string; details: string[] };
  /** Housekeeping the report should mention (e.g. staging folders of interrupted runs removed). */
  notes?: string[];
  durationMs: number;
  /**
   * Requests this host's deploy waited on after connecting (opening a channel, starting a command,
   * input a command had to read before it answered), reconnects included: the cost of the link's latency.
   */
  roundTrips?: number;
}
