/**
 * The contract every connector implements. A connector is data plus small pure functions:
 * given a validated site it returns the files of its bundle (with where each is installed)
 * and the install steps. The CLI, the bundle writer and the deployer only walk these lists.
 */
import type { CyberTraceSettings } from '../cybertrace/types.js';
import type { Site } from '../config/site.js';
import type { Renderer } from '../render/engine.js';
import type { FieldRole } from '../cybertrace/event-contract.js';
import type { Command } from 'commander';
import type { ConnectorSet } from './connector-set.js';
import type { CategoryEdit, SiteCategories } from '../categories/site-categories.js';

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

/** An indicator as used by `verify` and `simulate`. */
export interface Indicator {
  type: 'url' | 'ip' | 'md5' | 'sha1' | 'sha256';
  value: string;
  /** User name the forwarded event carries where the SIEM forwards one (default: a plain one). */
  user?: string;
}

/** An event from CyberTrace as the SIEM side reads it, keyed by field role (see src/cybertrace/event-contract.ts). */
export interface ParsedEvent {
  kind: 'detection' | 'alert';
  fields: Partial<Record<FieldRole, string>>;
  /** Record context pairs in order, as the SIEM shows them. */
  context: Array<[string, string]>;
}

/**
 * How events cross the wire for this SIEM, used by `verify`, `simulate` and round-trip tests:
 * what the SIEM forwards to CyberTrace, and how it reads what CyberTrace sends back.
 */
export interface WireContract {
  /** One event carrying `indicator`, exactly as this SIEM forwards it to the CyberTrace input port (no trailing LF). */
  forwardedEvent(indicator: Indicator, site: Site): string;
  /** Parses one event CyberTrace sent to this SIEM with the SIEM-side parser of the bundle; throws Error saying what did not match. */
  parseEvent(line: string, site: Site): ParsedEvent;
  /**
   * Optional: what the SIEM's intake makes of a line CyberTrace sent before the parser sees it
   * (e.g. rsyslog writing it to a log file with a date and host in front). Absent = unchanged.
   */
  asReceived?(line: string, site: Site): string;
  /**
   * Optional: for formats with a specification stricter than the bundle's reader (CEF), the
   * fields a reader that follows it reads differently, one message each (empty: none).
   */
  strictMisreads?(line: string, site: Site): string[];
}

/** A problem found by a connector's cross-field check; `path` is relative to `siems.<id>`. */
export interface OptionProblem {
  path: Array<string | number>;
  message: string;
}

/** What a build hands a connector: the site as it sees it, its CyberTrace settings (computed once per build), the renderer. */
export interface BuildInput {
  site: Site;
  settings: CyberTraceSettings;
  render: Renderer;
}

/** Implemented through `defineConnector` (src/core/define-connector.ts), which derives most of it from a connector's parts. */
export interface Connector {
  /** Used on the command line, as the bundle folder name and as the key under `siems:` in the site file. */
  id: string;
  title: string;
  /** One line for `ctconnect list`. */
  summary: string;
  /** SIEM versions these bundles follow. */
  siemVersions: string;
  /** Deploy roles besides the connector id that this connector installs to (e.g. tiers of a distributed SIEM). */
  extraRoles?: string[];
  /** JSON Schema of `siems.<id>` in the site file (defaults filled in by the loader). */
  optionsSchema: Record<string, unknown>;
  /** Checks across this connector's options (the schema checks single fields); paths are relative to `siems.<id>`. */
  check?(options: Record<string, unknown>, site: Site): OptionProblem[];
  /** The CyberTrace side, derived from the same event definition as the SIEM side. */
  cybertrace(site: Site): CyberTraceSettings;
  /** The SIEM-side files, INSTALL.md included. The bundle writer adds the CyberTrace sheet, fragment and MANIFEST. */
  files(input: BuildInput): BundleFile[] | Promise<BundleFile[]>;
  /** Install steps run by `ctconnect deploy` after the files. */
  steps(site: Site): InstallStep[];
  /** Wire formats for verify/simulate and the round-trip tests. */
  wire: WireContract;
  /**
   * Option sets of `siems.<id>` (merged over the example site's section) that change what the bundle
   * installs: schemes, optional files. The tests build and deploy every variant, so a new scheme is
   * tested by being listed here. The example site's own section is always tested as "default".
   */
  variants?: Array<{ name: string; options: Record<string, unknown> }>;
  /** Optional: true when this SIEM, as the site configures it, asks CyberTrace through its HTTP lookup API; `verify` then uses --http by default. */
  lookupOverHttp?(site: Site): boolean;
  /**
   * Optional: what the site's categories mean for this SIEM beyond their titles (which every
   * bundle reads from the site). `ctconnect categories` edits the site's categories; this hook
   * shows the SIEM's view in `list`, follows each edit in `siems.<id>` and may change state
   * outside the site file (AlienVault: SIDs, retired SIDs, the live ossim database).
   */
  categories?: ConnectorCategories;
}

/** See `Connector.categories`. */
export interface ConnectorCategories {
  /** `categories list`: lines shown after the site's table, and the same for --json (under `siems.<id>`). */
  describe(site: Site): { lines: string[]; json: Record<string, unknown> };
  /** Optional: why `name` can never be one of the site's categories for this SIEM (AlienVault: _DEFAULT_), or undefined. */
  reservedName?(name: string, edit: 'add' | 'rename' | 'remove'): string | undefined;
  /** Adds this SIEM's options to the core's `add`, `rename` and `remove` commands (their values reach `begin`). */
  options?(cmd: Command, edit: 'add' | 'rename' | 'remove'): void;
  /** Starts following one edit; `opts` are the command's options. */
  begin(site: Site, opts: Record<string, unknown>, command: string): Promise<CategoryEditSession>;
  /** Adds this SIEM's own subcommands to `ctconnect categories` (AlienVault: import, sync). */
  commands?(parent: Command, api: CategoriesCommandApi): void;
}

/**
 * One edit as a connector follows it. The CLI calls: follow (or the subcommand's own change),
 * review, then — unless it is a dry run or nothing changes — prepare, commit, and always close.
 */
export interface CategoryEditSession {
  /** The new `siems.<id>` keys that follow the edit (undefined value = delete the key), with plan lines. Throws UserError to refuse. */
  follow(before: Site, after: Site, edit: CategoryEdit): { options: Record<string, unknown>; summary: string[] };
  /** Checks the site as it will be (throws UserError to refuse); returns plan lines for changes outside the site file. */
  review(next: Site): string[];
  /** True when commit has something to change outside the site file. */
  outsideChanges(): boolean;
  /** Writes what must exist before commit (e.g. a restore script) next to the real site file; returns the paths. */
  prepare(realFile: string, now: Date, command: string): string[];
  /** Makes the outside change; `unknownState` says what the site-side files hold if the outcome cannot be found out. Returns lines to print. */
  commit(unknownState: () => string[]): Promise<string[]>;
  /** Ends the session; an uncommitted outside change is rolled back. */
  close(): Promise<void>;
  /** Lines for "next steps" (regenerate, restart …). */
  nextSteps(siteFile: string, siteChanged: boolean): string[];
}

/** What the core's `categories` command lends a connector's subcommands. */
export interface CategoriesCommandApi {
  /** Adds the options every editing command has (--config, --no-backup, --dry-run). */
  editOptions(cmd: Command): Command;
  /**
   * Runs an edit through the same path as add/rename/remove (plan, diff, dry run, backup, commit,
   * site file replaced last). `change` returns the new categories and this connector's keys.
   */
  edit(
    command: string,
    opts: Record<string, unknown>,
    change: (site: Site, session: CategoryEditSession) => { categories: SiteCategories; options: Record<string, unknown>; summary: string[]; notes: string[]; conflicts: string[] },
  ): Promise<number>;
  /** The site file an edit may change (--config, $CTCONNECT_CONFIG or ./site.yaml). */
  siteFile(command: string, config?: string): string;
  /** The connectors of this run (to load a site). */
  registry: ConnectorSet;
  /** Wraps a subcommand's action: errors are reported and set the exit code as for every command. */
  action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void): (...args: A) => Promise<void>;
}
