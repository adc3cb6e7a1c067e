/** What a bundle is made of: its files, where each is installed and how, and the install steps. */
import type { CyberTraceSettings } from './cybertrace.js';

/** How a file lands inside an existing file instead of replacing it. */
export type MergeSpec =
  | {
      /** A block between `# BEGIN <marker>` / `# END <marker>` lines, replaced as a whole on every deploy. */
      kind: 'marked-block';
      marker: string;
      /**
       * Blocks whose marker starts with this text belong to this bundle in this file: a deploy removes
       * such a block when the bundle no longer has it. Absent: only `marker` itself is managed.
       */
      family?: string;
      /** Insert a new block right after the first line equal to this text (trimmed)… */
      after?: string;
      /** …else right before the first line equal to one of these… */
      before?: string[];
      /** …else at the end of the file. */
      commentPrefix: string;
    }
  | {
      /** Apply this bundle's CyberTrace settings to an existing kl_feed_service.conf (src/cybertrace/patch.ts). */
      kind: 'cybertrace-settings';
      settings: CyberTraceSettings;
    };

export interface InstallSpec {
  /** Which target host gets it: 'cybertrace' or a connector id such as 'alienvault'. Targets list their roles in the site file. */
  role: string;
  /** Absolute path on the target. */
  path: string;
  mode: number;
  /** user:group; absent = keep the existing owner, or the connecting user's for a new file. */
  owner?: string;
  /** Shell command run on the target against the uploaded temp file; `{file}` is replaced by its shell-quoted path. Non-zero exit = abort, target untouched. */
  validate?: string;
  /** Absent = the file replaces the target file whole. */
  merge?: MergeSpec;
  /** Ids of steps of the same role to run when this file changed. */
  notify?: string[];
}

export interface BundleFile {
  /** Path inside the bundle folder, POSIX separators, no leading slash. */
  path: string;
  content: string | Buffer;
  /** File mode inside the bundle and the archive. */
  mode: number;
  install?: InstallSpec;
}

export interface InstallStep {
  /** The action, unique within its role; the deployer keys a step by `role/id`, so tiers may reuse an action name. */
  id: string;
  role: string;
  description: string;
  /** Shell command run on the target (through sudo when the target says so). */
  command: string;
  timeoutSec: number;
  /** 'changed': only when a file whose notify lists this id changed; 'always': on every deploy that changed anything on that host. */
  when: 'changed' | 'always';
  /** Data sent to the command's stdin (e.g. SQL for ossim-db), taken from this bundle file. */
  stdinFromFile?: string;
}
