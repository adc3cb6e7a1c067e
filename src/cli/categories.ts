/**
 * `ctconnect categories list | add | rename | remove`: the site's detection categories and the
 * title each shows in every SIEM (src/categories/). Connectors with a `categories` hook follow
 * each edit (AlienVault: SIDs, the live database with --db) and may add subcommands (AlienVault:
 * import, sync); this file names no SIEM.
 *
 * Every edit takes the same path, the transaction of src/categories/edit.ts.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { UserError } from '../kernel/errors.js';
import { loadSite, parseSite } from '../config/load.js';
import { CONFIG_ENV, DEFAULT_SITE_FILE, findSiteFile } from '../config/discover.js';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { addCategory, categoriesOf, categoryList, removeCategory, renameCategory, withCategories } from '../categories/site-categories.js';
import { coreEdit, runEdit, type EditIo, type EditOptions, type Hooked } from '../categories/edit.js';
import { action } from './run.js';
import { printJson } from './json.js';
import type { ConnectorSet } from '../connector/connector-set.js';
import type { CategoriesCommandApi, ConnectorCategories } from '../connector/capabilities.js';

const out = (line = '') => process.stdout.write(line + '\n');

/** The transaction's file, parser and output for one command of this run. */
function editIo(registry: ConnectorSet, command: string, config: string | undefined): EditIo {
  return { file: siteFileFor(command, config), parse: (text, file) => parseSite(text, file, registry), out };
}

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

function listCommand(registry: ConnectorSet, hooked: Hooked<ConnectorCategories>[], opts: { config?: string; json?: boolean }): void {
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
  const hooked: Hooked<ConnectorCategories>[] = registry.all().flatMap((c) => (c.categories ? [{ id: c.id, hook: c.categories }] : []));
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
      .option('--custom', "the category is your own feed's (needed when its name is close to a Kaspersky one)")
      // The name the option had when only AlienVault event names were managed.
      .addOption(new Option('--name <text>', 'same as --title').hideHelp()),
    'add',
  ).action(
    action((category: string, opts: EditOptions & { title?: string; name?: string; custom?: boolean }) =>
      runEdit(
        editIo(registry, 'add', opts.config),
        hooked,
        'add',
        opts,
        coreEdit(hooked, 'add', category, (site) => addCategory(categoriesOf(site), site.source, category, opts.title ?? opts.name, opts.custom)),
      ),
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
      runEdit(
        editIo(registry, 'rename', opts.config),
        hooked,
        'rename',
        opts,
        coreEdit(hooked, 'rename', category, (site) => renameCategory(categoriesOf(site), site.source, category, title)),
      ),
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
      runEdit(
        editIo(registry, 'remove', opts.config),
        hooked,
        'remove',
        opts,
        coreEdit(hooked, 'remove', category, (site) => removeCategory(categoriesOf(site), site.source, category)),
      ),
    ),
  );

  for (const { id, hook } of hooked) {
    if (!hook.commands) continue;
    const api: CategoriesCommandApi = {
      editOptions,
      loadSite: (file) => loadSite(file, registry),
      action,
      siteFile: siteFileFor,
      edit: (command, opts, change) =>
        runEdit(editIo(registry, command, (opts as EditOptions).config), hooked, command, opts, (site, sessions) => {
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
