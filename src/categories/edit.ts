/**
 * The categories edit transaction, one path for every edit: compute (the site's change and each
 * connector's), show, (dry run: stop), prepare the new site file and its backup next to it, let
 * connectors commit what they change outside the site file, and only then rename the new site
 * file into place. If anything fails before that, connectors roll back and the site file is
 * untouched; while the state outside is unknown, no prepared file is deleted.
 */
import { renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import { UserError } from '../kernel/errors.js';
import { backupFile, prepareReplacement } from '../kernel/files.js';
import { editYaml, type YamlChange } from '../kernel/yaml-edit.js';
import { readSiteFile } from '../kernel/site-file.js';
import type { Site } from '../model/site.js';
import { categoryChanges, withCategories, type CategoryEdit, type CategoryEditResult, type SiteCategories } from './site-categories.js';

export interface EditOptions {
  config?: string;
  /** false with --no-backup: no site.yaml.ctconnect-bak-… copy. */
  backup?: boolean;
  dryRun?: boolean;
  [connectorOption: string]: unknown;
}

/** What an edit changes: the site's categories, connectors' keys of `siems.<id>`, and what to show. */
export interface EditChange {
  categories: SiteCategories;
  siems: Record<string, Record<string, unknown>>;
  summary: string[];
  notes: string[];
  conflicts: string[];
}

/**
 * One edit as a connector follows it. The transaction calls: follow (or the subcommand's own
 * change), review, then — unless it is a dry run or nothing changes — prepare, commit, and
 * always close.
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

/** What the transaction needs of a connector that follows edits (src/connector/capabilities.ts extends it). */
export interface EditFollower {
  /** Optional: why `name` can never be one of the site's categories for this SIEM, or undefined. */
  reservedName?(name: string, edit: 'add' | 'rename' | 'remove'): string | undefined;
  /** Starts following one edit; `opts` are the command's options. */
  begin(site: Site, opts: Record<string, unknown>, command: string): Promise<CategoryEditSession>;
}

export type Hooked<H extends EditFollower = EditFollower> = { id: string; hook: H };

/** The site file to change, how to parse a site (with the run's connectors) and where lines go. */
export interface EditIo {
  file: string;
  parse(text: string, file: string): Site;
  out(line?: string): void;
}

/** The site-file changes that give `site` the change's categories and connector keys. */
function siteChanges(site: Site, change: EditChange): YamlChange[] {
  const changes = categoryChanges(site, change.categories);
  for (const [id, keys] of Object.entries(change.siems)) {
    for (const [key, value] of Object.entries(keys)) {
      if (!isDeepStrictEqual(site.siems[id]?.[key], value)) changes.push({ path: ['siems', id, key], value });
    }
  }
  return changes;
}
/** A connector's refusal, said as the command's. */
function asCommandError(command: string, e: unknown): unknown {
  return e instanceof UserError ? new UserError(`categories ${command}: ${e.message}`, e.details) : e;
}
export async function runEdit(
  io: EditIo,
  hooked: Hooked[],
  command: string,
  opts: EditOptions,
  compute: (site: Site, sessions: Map<string, CategoryEditSession>) => EditChange,
): Promise<number> {
  const { file, parse, out } = io;
  const text = readSiteFile(file);
  const site = parse(text, file);
  const sessions = new Map<string, CategoryEditSession>();
  const created: string[] = [];
  try {
    for (const { id, hook } of hooked) sessions.set(id, await hook.begin(site, opts, command));
    const change = compute(site, sessions);
    if (change.conflicts.length > 0) {
      const n = change.conflicts.length;
      throw new UserError(`categories ${command}: ${n} conflict${n > 1 ? 's' : ''}; nothing was changed`, [
        ...change.conflicts,
        ...change.notes.map((x) => `note: ${x}`),
      ]);
    }
    for (const n of change.notes) out(`note: ${n}`);

    const changes = siteChanges(site, change);
    const edited = changes.length > 0 ? editYaml(text, changes) : { text, layoutKept: true };
    let newSite: Site;
    try {
      newSite = parse(edited.text, file);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`categories ${command}: the change would make the site file invalid; nothing was changed`, e.details);
      throw e;
    }
    const outside: string[] = [];
    for (const session of sessions.values()) {
      try {
        outside.push(...session.review(newSite));
      } catch (e) {
        throw asCommandError(command, e);
      }
    }

    out(`site: ${file}`);
    for (const s of change.summary) out(`  ${s}`);
    const siteChanged = edited.text !== text;
    if (siteChanged) {
      out('');
      out(createTwoFilesPatch(file, file, text, edited.text, 'now', 'after', { context: 2 }).split('\n').slice(2).join('\n').trimEnd());
      if (!edited.layoutKept) out('note: the layout of the site file could not be kept exactly (comments are kept)');
    }
    if (outside.length > 0) {
      out('');
      for (const l of outside) out(l);
    }
    const outsideChanges = [...sessions.values()].some((s) => s.outsideChanges());
    if (!siteChanged && !outsideChanges) {
      out('');
      out('nothing to change');
      return 0;
    }
    if (opts.dryRun) {
      out('');
      out('dry run: nothing was changed');
      return 0;
    }

    // Prepare every file before any commit: a full disk or a read-only folder shows up while connectors can still roll back.
    // Through a symlinked site file, everything goes beside the real file (the link stays a link).
    const now = new Date();
    let real = resolve(file);
    let siteBackup: string | undefined;
    let tmp: string | undefined;
    try {
      if (siteChanged) {
        const prepared = prepareReplacement(file, edited.text);
        ({ tmp, real } = prepared);
        created.push(tmp);
        // The copy keeps the mode and, like the file itself, its owner; --no-backup skips it.
        if (opts.backup !== false) {
          siteBackup = backupFile(real, now, prepared.existing);
          created.push(siteBackup);
        }
      }
      for (const session of sessions.values()) created.push(...session.prepare(real, now, command));
    } catch (e) {
      throw new UserError(`cannot write next to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; nothing was changed`);
    }

    for (const session of sessions.values()) {
      if (!session.outsideChanges()) continue;
      const lines = await session.commit(() => {
        // The outside state is unknown: every file stays, and the message says what each one is.
        created.length = 0;
        return [
          tmp ? `site file ${file}: NOT changed; the new version is ready in ${tmp}` : `site file ${file}: needs no change`,
          ...(siteBackup ? [`copy of the site file before the change: ${siteBackup}`] : []),
          ...(tmp
            ? [`if the change is in: mv ${tmp} ${real} so the site file agrees`, `if it is not: remove ${[tmp, siteBackup].filter(Boolean).join(' ')}`]
            : []),
        ];
      });
      out('');
      for (const l of lines) out(l);
    }
    created.length = 0; // from here on, the backups are kept whatever happens

    if (tmp) {
      try {
        renameSync(tmp, real);
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new UserError(`${file}: could not be replaced (${why})${outsideChanges ? ' AFTER the change outside the site file was committed' : ''}`, [
          `the new site file is in ${tmp}: move it over ${real} (mv ${tmp} ${real}) so the site file agrees`,
        ]);
      }
      out(`site file updated${siteBackup ? `; the previous version is in ${siteBackup}` : ' (no backup: --no-backup)'}`);
    }
    out('');
    out('next steps:');
    if (siteChanged) out(`  - regenerate the bundles that show categories: ctconnect generate --all --config ${file}`);
    for (const session of sessions.values()) for (const l of session.nextSteps(file, siteChanged)) out(l.startsWith('    ') ? `  ${l}` : `  - ${l}`);
    return 0;
  } catch (e) {
    for (const f of created) rmSync(f, { force: true });
    throw e;
  } finally {
    for (const session of sessions.values()) await session.close().catch(() => undefined);
  }
}
/** An add, rename or remove: the core changes the site's categories, each connector follows. */
export function coreEdit(hooked: Hooked[], kind: 'add' | 'rename' | 'remove', category: string, edit: (site: Site) => CategoryEditResult) {
  return (site: Site, sessions: Map<string, CategoryEditSession>): EditChange => {
    for (const { hook } of hooked) {
      const why = hook.reservedName?.(category, kind);
      if (why) throw new UserError(`category ${JSON.stringify(category)}: ${why}`);
    }
    const result = edit(site);
    const after = withCategories(site, result.categories);
    const change: EditChange = { categories: result.categories, siems: {}, summary: [...result.summary], notes: [], conflicts: [] };
    if (result.unchanged) return change;
    for (const [id, session] of sessions) {
      const f = session.follow(site, after, result.edit);
      change.siems[id] = f.options;
      change.summary.push(...f.summary);
    }
    return change;
  };
}
