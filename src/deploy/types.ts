/** The deploy's types: the work per host (work.ts), the plan per file (probe.ts), and the results per host, file and step that the report, the table and --json show. */
import { UserError } from '../kernel/errors.js';
import type { InstallSpec, InstallStep } from '../model/bundle.js';
import type { DeployTarget } from '../model/site.js';

/** A failure on one host: the message says what happened, details carry command output and hints. */
export class DeployFailure extends UserError {}

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

/** One bundle file's contribution to a target file: the whole file, or one merge edit of it. */
export interface FilePart {
  bundlePath: string;
  spec: InstallSpec;
  content: Buffer;
}

/** One file on one target, and everything this bundle puts into it. */
export interface HostFile {
  /** The path on the target: the install path below root_prefix when there is one. */
  path: string;
  /** The bundle files that make it, in bundle order: one whole file, or one or more merge edits. */
  parts: FilePart[];
  /** Bundle paths, for reports. */
  bundlePath: string;
  /** Edits inside an existing file (marked blocks, CyberTrace settings) rather than a whole file. */
  merged: boolean;
  mode: number;
  owner?: string;
  /** Validator run on the complete new file (merged result included), `{file}` = the temp file. */
  validate?: string;
  /** Keys (`role/id`) of the steps this file calls for when it changes. */
  notify: string[];
}

/** A step on one host. Steps of several roles with the same command and input run once. */
export interface HostStep {
  /** `role/id` of the first of them; what reports show. */
  key: string;
  /** Every `role/id` this entry stands for: a file notifying any of them runs it. */
  keys: string[];
  step: InstallStep;
}

export interface HostWork {
  target: DeployTarget;
  files: HostFile[];
  steps: HostStep[];
  /** Bundle files by bundle path, for steps that read one on stdin. */
  bundleFiles: Map<string, Buffer>;
}

export interface RemoteFileState {
  kind: 'absent' | 'file';
  mode?: number;
  owner?: string;
  sha256?: string;
  /** Folders above the file that do not exist yet, deepest first. */
  missingDirs: string[];
  /** Temp files an interrupted earlier run left beside this file. */
  leftovers: string[];
  /** Steps (keys) recorded beside this file by an earlier run that changed it and did not complete them. */
  pending: string[];
}

export interface FilePlan {
  file: HostFile;
  current: RemoteFileState;
  /** The current bytes; read for merges and for --diff. */
  oldContent?: Buffer;
  newContent: Buffer;
  changed: boolean;
  reasons: string[];
  /** Mode and owner to give the new file; merged files keep those of the file they merge into. */
  mode: number | 'keep';
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the two words are the special values, said in the type
  owner: string | 'keep' | 'default';
}
