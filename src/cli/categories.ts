/**
 * `ctconnect categories list | add | rename | remove`: the site's detection categories and the
 * title each shows in every SIEM (src/categories/). Connectors with a `categories` hook follow
 * each edit (AlienVault: SIDs, the live database with --db) and may add subcommands (AlienVault:
 * import, sync); this file names no SIEM.
 *
 * Every edit takes the same path: compute (the site's change and each connector's), show,
 * (dry run: stop), prepare the new site file and its backup next to it, let connectors commit
 * what they change outside the site file, and only then rename the new site file into place. If
 * anything fails before that, connectors roll back and the site file is untouched; while the
 * state outside is unknown, no prepared file is deleted.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import { UserError } from '../core/errors.js';
import { parseSite, readSiteFile } from '../config/load.js';
import { CONFIG_ENV, DEFAULT_SITE_FILE, findSiteFile } from '../config/discover.js';
import { CONFIG_HELP, loadCliSite } from './site.js';
import type { Site } from '../config/site.js';
import { editYaml, type YamlChange } from '../config/site-edit.js';
import {
  addCategory,
  categoriesOf,
  categoryChanges,
  categoryList,
  removeCategory,
  renameCategory,
  withCategories,
  type CategoryEditResult,
  type SiteCategories,
} from '../categories/site-categories.js';
import { backupFile, prepareReplacement } from '../core/files.js';
import { action } from './run.js';
import { printJson } from './json.js';
import type { ConnectorSet } from '../core/connector-set.js';
import type { CategoriesCommandApi, CategoryEditSession, ConnectorCategories } from '../core/contract.js';

interface EditOptions {
  config?: string;
  /** false with --no-backup: no site.yaml.ctconnect-bak-… copy. */
  backup?: boolean;
  dryRun?: boolean;
  [connectorOption: string]: unknown;
}

/** What an edit changes: the site's categories, connectors' keys of `siems.<id>`, and what to show. */
interface EditChange {
  categories: SiteCategories;
  siems: Record<string, Record<string, unknown>>;
  summary: string[];
  notes: string[];
  conflicts: string[];
}

type Hooked = { id: string; hook: ConnectorCategories };

const out = (line = '') => process.stdout.write(line + '\n');

/** The site file an edit may change (--config, $CTCONNECT_CONFIG or ./site.yaml); the built-in example is read-only. */
function siteFileFor(command: string, config?: string): string {
  const choice = findSiteFile(config);
  if (choice.path === undefined) {
    throw new UserError(`categories ${command} changes a site file: give --config FILE`, [
      `there is no --config, no $${CONFIG_ENV} and no ./${DEFAULT_SITE_FILE}, and the built-in example site is read-only`,
      `write a copy to edit with \`ctconnect init\` (it writes ./${DEFAULT_SITE_FILE})`,
    ]);
  }
  return choice.path;
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

async function runEdit(
  registry: ConnectorSet,
  hooked: Hooked[],
  command: string,
  opts: EditOptions,
  compute: (site: Site, sessions: Map<string, CategoryEditSession>) => EditChange,
): Promise<number> {
  const file = siteFileFor(command, opts.config);
  const text = readSiteFile(file);
  const site = parseSite(text, file, registry);
  const sessions = new Map<string, CategoryEditSession>();
  const created: string[] = [];
  try {
    for (const { id, hook } of hooked) sessions.set(id, await hook.begin(site, opts, command));
    const change = compute(site, sessions);
    if (change.conflicts.length > 0) {
      const n = change.conflicts.length;
      throw new UserError(`categories ${command}: ${n} conflict${n > 1 ? 's' : ''}; nothing was changed`, [...change.conflicts, ...change.notes.map((x) => `note: ${x}`)]);
    }
    for (const n of change.notes) out(`note: ${n}`);

    const changes = siteChanges(site, change);
    const edited = changes.length > 0 ? editYaml(text, changes) : { text, layoutKept: true };
    let newSite: Site;
    try {
      newSite = parseSite(edited.text, file, registry);
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
          ...(tmp ? [`if the change is in: mv ${tmp} ${real} so the site file agrees`, `if it is not: remove ${[tmp, siteBackup].filter(Boolean).join(' ')}`] : []),
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
function coreEdit(hooked: Hooked[], kind: 'add' | 'rename' | 'remove', category: string, edit: (site: Site) => CategoryEditResult) {
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

function listCommand(registry: ConnectorSet, hooked: Hooked[], opts: { config?: string; json?: boolean }): void {
  const site = loadCliSite(opts.config, registry);
  const list = categoryList(categoriesOf(site));
  const views = hooked.filter(({ id }) => site.siems[id] !== undefined).map(({ id, hook }) => ({ id, ...hook.describe(site) }));
  if (opts.json) {
    printJson('categories-list', {
      site: site.source,
      categories: list.map((c) => ({ category: c.name, kind: c.kind, title: c.title, titleSource: c.titleSource })),
      siems: Object.fromEntries(views.map((v) => [v.id, v.json])),
    });
    return;
  }
  const wc = Math.max('CATEGORY'.length, ...list.map((c) => c.name.length));
  const wk = Math.max('KIND'.length, ...list.map((c) => c.kind.length));
  const ws = 'TITLE FROM'.length;
  out(`site: ${site.source}`);
  out(`${'CATEGORY'.padEnd(wc)}  ${'KIND'.padEnd(wk)}  ${'TITLE FROM'.padEnd(ws)}  TITLE (shown in every SIEM)`);
  for (const c of list) out(`${c.name.padEnd(wc)}  ${c.kind.padEnd(wk)}  ${c.titleSource.padEnd(ws)}  ${c.title}`);
  for (const v of views) {
    out('');
    for (const l of v.lines) out(l);
  }
}

function editOptions(c: Command): Command {
  return c
    .option('-c, --config <file>', `site file to change (default: $${CONFIG_ENV}, else ./${DEFAULT_SITE_FILE}; the built-in example is read-only)`)
    .option('--no-backup', 'do not keep a copy of the site file as it was (site.yaml.ctconnect-bak-<UTC time>)')
    .option('--dry-run', 'show what would change and change nothing');
}

export function register(program: Command, registry: ConnectorSet): void {
  const hooked: Hooked[] = registry.all().flatMap((c) => (c.categories ? [{ id: c.id, hook: c.categories }] : []));
  const cmd = program
    .command('categories')
    .description("manage the site's detection categories and the title each shows in the SIEMs (list, add, rename, remove; and what connectors add)");

  cmd
    .command('list')
    .description('show the categories with their titles, and what each SIEM of the site makes of them')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print JSON')
    .action(action((opts: { config?: string; json?: boolean }) => listCommand(registry, hooked, opts)));

  const withHooks = (c: Command, edit: 'add' | 'rename' | 'remove') => {
    editOptions(c);
    for (const { hook } of hooked) hook.options?.(c, edit);
    return c;
  };

  withHooks(
    cmd
      .command('add')
      .description('add a category (custom unless it is a Kaspersky one)')
      .argument('<category>', "the feed's category attribute, e.g. Custom_Feed")
      .option('--title <text>', 'the title shown in the SIEMs (default: the Kaspersky title, or "<category> detected")')
      // The name the option had when only AlienVault event names were managed.
      .addOption(new Option('--name <text>', 'same as --title').hideHelp()),
    'add',
  ).action(
    action((category: string, opts: EditOptions & { title?: string; name?: string }) =>
      runEdit(registry, hooked, 'add', opts, coreEdit(hooked, 'add', category, (site) => addCategory(categoriesOf(site), site.source, category, opts.title ?? opts.name))),
    ),
  );

  withHooks(
    cmd
      .command('rename')
      .description('give a category a new title; every bundle that shows it changes')
      .argument('<category>', "one of the site's categories")
      .argument('<title>', 'the new title'),
    'rename',
  ).action(
    action((category: string, title: string, opts: EditOptions) =>
      runEdit(registry, hooked, 'rename', opts, coreEdit(hooked, 'rename', category, (site) => renameCategory(categoriesOf(site), site.source, category, title))),
    ),
  );

  withHooks(
    cmd
      .command('remove')
      .description('remove a category from the site (and from what each SIEM keeps of it)')
      .argument('<category>', "one of the site's categories"),
    'remove',
  ).action(
    action((category: string, opts: EditOptions) =>
      runEdit(registry, hooked, 'remove', opts, coreEdit(hooked, 'remove', category, (site) => removeCategory(categoriesOf(site), site.source, category))),
    ),
  );

  for (const { id, hook } of hooked) {
    if (!hook.commands) continue;
    const api: CategoriesCommandApi = {
      editOptions,
      registry,
      action,
      siteFile: siteFileFor,
      edit: (command, opts, change) =>
        runEdit(registry, hooked, command, opts as EditOptions, (site, sessions) => {
          const c = change(site, sessions.get(id)!);
          const siems: Record<string, Record<string, unknown>> = { [id]: c.options };
          const summary = [...c.summary];
          // The other connectors follow the new categories as a whole.
          if (c.conflicts.length === 0) {
            for (const [other, session] of sessions) {
              if (other === id) continue;
              const f = session.follow(site, withCategories(site, c.categories), { kind: 'replace' });
              siems[other] = f.options;
              summary.push(...f.summary);
            }
          }
          return { categories: c.categories, siems, summary, notes: c.notes, conflicts: c.conflicts };
        }),
    };
    hook.commands(cmd, api);
  }
}
