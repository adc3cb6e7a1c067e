/**
 * Optional capabilities a connector may offer beyond the contract. Today: what the site's
 * categories mean for a SIEM (AlienVault: SIDs, the live ossim database).
 */
import type { Site } from '../model/site.js';
import type { SiteCategories } from '../categories/site-categories.js';
import type { CategoryEditSession, EditFollower } from '../categories/edit.js';

export type { CategoryEditSession };

/**
 * The part of a command-line command a connector may extend: options and subcommands. The CLI
 * hands commander's Command, which has this shape; the contract stays free of the CLI library.
 */
export interface CliCommand {
  option(flags: string, description?: string): CliCommand;
  requiredOption(flags: string, description?: string): CliCommand;
  command(nameAndArgs: string): CliCommand;
  description(text: string): CliCommand;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander passes the parsed arguments untyped
  action(fn: (...args: any[]) => void | Promise<void>): CliCommand;
}

/** See `Connector.categories`. */
export interface ConnectorCategories extends EditFollower {
  /** `categories list`: lines shown after the site's table, and the same for --json (under `siems.<id>`). */
  describe(site: Site): { lines: string[]; json: Record<string, unknown> };
  /** Adds this SIEM's options to the core's `add`, `rename` and `remove` commands (their values reach `begin`). */
  options?(cmd: CliCommand, edit: 'add' | 'rename' | 'remove'): void;
  /** Adds this SIEM's own subcommands to `ctconnect categories` (AlienVault: import, sync). */
  commands?(parent: CliCommand, api: CategoriesCommandApi): void;
}

/** What the core's `categories` command lends a connector's subcommands. */
export interface CategoriesCommandApi {
  /** Adds the options every editing command has (--config, --no-backup, --dry-run). */
  editOptions(cmd: CliCommand): CliCommand;
  /**
   * Runs an edit through the same path as add/rename/remove (plan, diff, dry run, backup, commit,
   * site file replaced last). `change` returns the new categories and this connector's keys.
   */
  edit(
    command: string,
    opts: Record<string, unknown>,
    change: (
      site: Site,
      session: CategoryEditSession,
    ) => { categories: SiteCategories; options: Record<string, unknown>; summary: string[]; notes: string[]; conflicts: string[] },
  ): Promise<number>;
  /** The site file an edit may change (--config, $CTCONNECT_CONFIG or ./site.yaml). */
  siteFile(command: string, config?: string): string;
  /** Loads and validates a site file with the connectors of this run. */
  loadSite(file: string): Site;
  /** Wraps a subcommand's action: errors are reported and set the exit code as for every command. */
  action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void): (...args: A) => Promise<void>;
}
