/**
 * `ctconnect categories list | add | rename | remove | import | sync`: the AlienVault category →
 * SID table (translation IDs). The table lives in the site file (`siems.alienvault.translations`,
 * `categories.*`); the bundle's .cfg [translation] section and .sql rows are generated from it.
 *
 * An edit with --db changes the live ossim database and the site file together: everything is
 * computed and shown first, the files are prepared next to the site, the database change is
 * committed in one transaction, and only then is the new site file renamed into place. If
 * anything fails before the commit, the database is rolled back and the site file is untouched.
 * If the answer to COMMIT is lost, the database is asked again (commitOrFindOut); while its state
 * is unknown no backup, restore script or prepared site file is deleted.
 */
import type { Command } from 'commander';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import { UserError } from '../core/errors.js';
import { loadSite, parseSite } from '../config/load.js';
import { CONFIG_ENV, DEFAULT_SITE_FILE, findSiteFile } from '../config/discover.js';
import { CONFIG_HELP, loadCliSite } from './site.js';
import type { Site } from '../config/site.js';
import { editYaml, type YamlChange } from '../config/site-edit.js';
import { backupFile, createNumbered, prepareReplacement, utcStamp } from '../core/files.js';
import { CommitUnknown, OssimDb, checkCommit, describePlan, planIsEmpty, planSidChanges, restoreScript, type DbSidRow, type SidPlan } from '../db/plugin-sids.js';
import { dbPassword } from '../db/password.js';
import { parseDbUrl, type DbTarget } from '../db/url.js';
import { PLUGIN_ID, pinnedTranslations, retiredSids, sidTable, translationProblems } from '../../connectors/alienvault/translations.js';
import { readInstallation } from '../../connectors/alienvault/import.js';
import { pluginSidRows } from '../../connectors/alienvault/sql.js';
import { translationLines } from '../../connectors/alienvault/plugin-cfg.js';
import {
  addCategory,
  removeCategory,
  renameCategory,
  importInstallation,
  isKasperskyCategory,
  stateOf,
  type EditOutcome,
  type ExternalSids,
  type ImportOutcome,
  type TranslationState,
} from '../../connectors/alienvault/translation-edits.js';
import { action } from './run.js';
import { printJson } from './json.js';
import type { ConnectorSet } from '../core/connector-set.js';

interface CommonOptions {
  config?: string;
  /** false with --no-backup: no site.yaml.ctconnect-bak-… copy. */
  backup?: boolean;
  db?: string;
  dryRun?: boolean;
}

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

function requireAlienvault(site: Site): void {
  if (!site.siems.alienvault) {
    throw new UserError(`${site.source}: there is no siems.alienvault section; add one (see \`ctconnect init\`) before managing its categories`);
  }
}

function parseSid(text: string): number {
  if (!/^\d{1,10}$/.test(text.trim())) throw new UserError(`--sid: must be a whole number from 3 to 2147483647 (got ${JSON.stringify(text)})`);
  return Number(text.trim());
}

/** The site-file changes that turn the site's table parts into `next`. */
function siteChanges(site: Site, next: TranslationState): YamlChange[] {
  const changes: YamlChange[] = [];
  if (!isDeepStrictEqual(site.categories.kaspersky, next.kaspersky)) changes.push({ path: ['categories', 'kaspersky'], value: next.kaspersky });
  if (!isDeepStrictEqual(site.categories.custom, next.custom)) changes.push({ path: ['categories', 'custom'], value: next.custom });
  if (!isDeepStrictEqual(pinnedTranslations(site), next.pins)) changes.push({ path: ['siems', 'alienvault', 'translations'], value: next.pins });
  if (!isDeepStrictEqual(retiredSids(site), next.retired)) changes.push({ path: ['siems', 'alienvault', 'retired_sids'], value: next.retired });
  return changes;
}

async function openDb(url: string): Promise<{ db: OssimDb; target: DbTarget; password: string }> {
  const target = parseDbUrl(url);
  const password = await dbPassword(target);
  const db = await OssimDb.connect(target, password);
  return { db, target, password };
}

/** A query that shows the rows a plan touches, to check by hand which state the database is in. */
function checkSql(plan: SidPlan, target: DbTarget): string {
  const sids = [...plan.insert.map((r) => r.sid), ...plan.update.map((u) => u.after.sid), ...plan.delete.map((r) => r.sid)].sort((a, b) => a - b);
  return `mysql -h ${target.host} -P ${target.port} -u ${target.user} -p ${target.database} -e "SELECT sid, name FROM plugin_sid WHERE plugin_id = ${PLUGIN_ID} AND sid IN (${sids.join(', ')})"`;
}

/**
 * COMMIT; when its answer is lost, connect again and find out. Returns when the change is in the
 * database. Throws a UserError when it is not (nothing changed), or when that cannot be found
 * out: then `unknownState` gives the lines that say what each side holds and how to repair it
 * (and the caller keeps every backup).
 */
async function commitOrFindOut(db: OssimDb, target: DbTarget, password: string, plan: SidPlan, unknownState: () => string[]): Promise<void> {
  const threadId = db.threadId;
  try {
    await db.commit();
    return;
  } catch (e) {
    if (!(e instanceof CommitUnknown)) throw e;
    out('');
    out(`database: ${e.message}; connecting again to find out whether the change is in`);
    const check = await checkCommit(target, password, PLUGIN_ID, plan, threadId);
    if (check.state === 'applied') {
      out('database: the change is in the database (committed)');
      return;
    }
    if (check.state === 'not-applied') {
      throw new UserError(`${target.display}: the connection was lost during COMMIT (${e.reason}); connected again: the change is NOT in the database; nothing was changed`);
    }
    throw new UserError(`${target.display}: the connection was lost during COMMIT (${e.reason}) and whether the change is in the database is UNKNOWN: ${check.reason}`, [
      `database ${target.display}: unknown — the plan was: ${describePlan(PLUGIN_ID, plan).join('; ')}`,
      ...unknownState(),
    ]);
  }
}

async function lockPluginRows(db: OssimDb, target: DbTarget): Promise<DbSidRow[]> {
  await db.begin();
  if (!(await db.hasPlugin(PLUGIN_ID))) {
    throw new UserError(`${target.display}: plugin ${PLUGIN_ID} (Kaspersky CyberTrace) is not in the database; apply kaspersky_cyberTrace.sql first (cat kaspersky_cyberTrace.sql | ossim-db); nothing was changed`);
  }
  return db.lockedSidRows(PLUGIN_ID);
}

function printReminders(file: string, dbChanged: boolean, siteChanged: boolean): void {
  out('');
  out('next steps:');
  if (siteChanged) {
    out(`  - regenerate the bundle: ctconnect generate alienvault --config ${file}`);
    out('  - install its kaspersky_cyberTrace.cfg in /etc/ossim/agent/plugins/ and restart ossim-agent (it reads [translation] at start-up):');
    out('      /etc/init.d/ossim-agent restart');
  }
  if (dbChanged) {
    out('  - restart ossim-server: it loads plugin_sid rows (event names) only at start-up:');
    out('      /etc/init.d/ossim-server restart');
  } else if (siteChanged) {
    out('  - update the database: cat kaspersky_cyberTrace.sql | ossim-db (or run this command with --db), then restart ossim-server');
  }
}

/**
 * The common path of every edit: compute, show, (dry run: stop), prepare files, commit the
 * database, put the site file in place.
 */
async function runEdit(
  registry: ConnectorSet,
  command: string,
  opts: CommonOptions,
  edit: (site: Site, state: TranslationState, external: ExternalSids) => EditOutcome | ImportOutcome,
): Promise<number> {
  const file = siteFileFor(command, opts.config);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${file}: cannot read the site file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const site = parseSite(text, file, registry);
  requireAlienvault(site);
  // Parse the URL before anything else so a bad --db fails fast.
  if (opts.db) parseDbUrl(opts.db);

  let db: OssimDb | undefined;
  let target: DbTarget | undefined;
  let password = '';
  const created: string[] = [];
  try {
    let current: DbSidRow[] = [];
    if (opts.db) {
      ({ db, target, password } = await openDb(opts.db));
      current = await lockPluginRows(db, target);
    }
    const external: ExternalSids = new Map(current.map((r) => [r.sid, r.name]));
    const outcome = edit(site, stateOf(site), external);
    const conflicts = 'conflicts' in outcome ? outcome.conflicts : [];
    const notes = 'notes' in outcome ? outcome.notes : [];
    if (conflicts.length > 0) {
      throw new UserError(`categories ${command}: ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}; nothing was changed`, [...conflicts, ...notes.map((n) => `note: ${n}`)]);
    }
    for (const n of notes) out(`note: ${n}`);

    const changes = siteChanges(site, outcome.state);
    const edited = changes.length > 0 ? editYaml(text, changes) : { text, layoutKept: true };
    let newSite: Site;
    try {
      newSite = parseSite(edited.text, file, registry);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`categories ${command}: the change would make the site file invalid; nothing was changed`, e.details);
      throw e;
    }
    const problems = translationProblems(pinnedTranslations(newSite));
    if (problems.length > 0) {
      throw new UserError(`categories ${command}: the change would give a table with problems; nothing was changed`, problems.map((p) => `siems.alienvault.translations[${p.index}].${p.field}: ${p.message}`));
    }
    // The [translation] section the bundle would get: _DEFAULT_ must be in it (plugin-cfg.ts), whatever the edit was.
    try {
      translationLines(newSite);
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`categories ${command}: the change would give a translation table the ossim-agent cannot use; nothing was changed`, [e.message]);
      throw e;
    }
    let plan: SidPlan | undefined;
    if (db) {
      const wanted = pluginSidRows(newSite);
      // With a live database the whole table is checked: the edit must not leave it with a row for a SID the table gives to another name.
      plan = planSidChanges(current, wanted, new Set(outcome.touchedSids));
    }

    out(`site: ${file}`);
    for (const s of outcome.summary) out(`  ${s}`);
    const siteChanged = edited.text !== text;
    if (siteChanged) {
      out('');
      out(createTwoFilesPatch(file, file, text, edited.text, 'now', 'after', { context: 2 }).split('\n').slice(2).join('\n').trimEnd());
      if (!edited.layoutKept) out('note: the layout of the site file could not be kept exactly (comments are kept)');
    }
    if (plan && target) {
      out('');
      out(`database ${target.display}:`);
      for (const l of describePlan(PLUGIN_ID, plan)) out(`  ${l}`);
    }
    const dbChanges = !!plan && !planIsEmpty(plan);
    if (!siteChanged && !dbChanges) {
      out('');
      out('nothing to change');
      await db?.rollback();
      return 0;
    }
    if (opts.dryRun) {
      out('');
      out('dry run: nothing was changed');
      await db?.rollback();
      return 0;
    }

    // Prepare every file before the commit: a full disk or a read-only folder shows up while the database can still roll back.
    // Through a symlinked site file, everything goes beside the real file (the link stays a link).
    const now = new Date();
    const stamp = utcStamp(now);
    let real = resolve(file);
    let siteBackup: string | undefined;
    let tmp: string | undefined;
    let dbBackup: string | undefined;
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
      if (db && plan && target && dbChanges) {
        const script = restoreScript(PLUGIN_ID, plan, target, now, `ctconnect categories ${command}`);
        dbBackup = createNumbered((n) => join(dirname(real), `${basename(real)}.plugin_sid-${stamp}${n > 1 ? `-${n}` : ''}.sql`), (p) => writeFileSync(p, script, { flag: 'wx', mode: 0o600 }));
        created.push(dbBackup);
      }
    } catch (e) {
      throw new UserError(`cannot write next to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; nothing was changed`);
    }

    if (db && plan && target && dbChanges) {
      const where = target;
      await db.apply(PLUGIN_ID, plan);
      await commitOrFindOut(db, where, password, plan, () => {
        // The database state is unknown: every file stays, and the message says what each one is.
        created.length = 0;
        return [
          tmp ? `site file ${file}: NOT changed; the new version is ready in ${tmp}` : `site file ${file}: needs no change`,
          `restore script (puts the rows back as they were before): ${dbBackup}`,
          ...(siteBackup ? [`copy of the site file before the change: ${siteBackup}`] : []),
          `to find out, run: ${checkSql(plan, where)}`,
          `if the rows are as planned (the change is in): ${tmp ? `mv ${tmp} ${real} so the site file agrees, then ` : ''}restart ossim-server`,
          `if the rows are as before: nothing changed; remove ${[tmp, siteBackup, dbBackup].filter(Boolean).join(' ')}`,
        ];
      });
      out('');
      out(`database: committed (${plan.insert.length} inserted, ${plan.update.length} updated, ${plan.delete.length} deleted)`);
      out(`  the replaced rows are saved in ${dbBackup} (a script that restores them)`);
    } else {
      await db?.rollback();
    }
    created.length = 0; // from here on, the backups are kept whatever happens

    if (tmp) {
      try {
        renameSync(tmp, real);
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new UserError(`${file}: could not be replaced (${why})${dbChanges ? ' AFTER the database change was committed' : ''}`, [
          `the new site file is in ${tmp}: move it over ${real} (mv ${tmp} ${real}) so the site and the database agree`,
          ...(dbChanges && dbBackup ? [`or undo the database change with the restore script ${dbBackup}`] : []),
        ]);
      }
      out(`site file updated${siteBackup ? `; the previous version is in ${siteBackup}` : ' (no backup: --no-backup)'}`);
    }
    printReminders(file, dbChanges, siteChanged);
    return 0;
  } catch (e) {
    if (db) await db.rollback().catch(() => undefined);
    for (const f of created) rmSync(f, { force: true });
    throw e;
  } finally {
    await db?.close();
  }
}

function listCommand(registry: ConnectorSet, opts: { config?: string; json?: boolean }): void {
  const site = loadCliSite(opts.config, registry);
  const table = sidTable(site);
  const pins = new Set(pinnedTranslations(site).map((p) => p.category));
  const custom = new Set(site.categories.custom.map((c) => c.name));
  const rows = [
    { sid: table.service.sid, category: table.service.category, name: table.service.name, source: 'built-in', kind: 'service' },
    { sid: table.generic.sid, category: table.generic.category, name: table.generic.name, source: 'built-in', kind: 'generic' },
    ...table.categories.map((r) => ({
      sid: r.sid,
      category: r.category,
      name: r.name,
      source: pins.has(r.category) ? 'pinned' : custom.has(r.category) ? 'custom' : 'default',
      kind: isKasperskyCategory(r.category) ? 'kaspersky' : custom.has(r.category) ? 'custom' : 'other',
    })),
  ];
  if (opts.json) {
    printJson('categories-list', { site: site.source, pluginId: PLUGIN_ID, rows, retiredSids: retiredSids(site) });
    return;
  }
  const w = (k: 'sid' | 'category' | 'source') => Math.max(k.length, ...rows.map((r) => String(r[k]).length));
  const [ws, wc, wo] = [w('sid'), w('category'), w('source')];
  out(`site: ${site.source}    plugin ${PLUGIN_ID}`);
  out(`${'SID'.padStart(ws)}  ${'CATEGORY'.padEnd(wc)}  ${'SOURCE'.padEnd(wo)}  EVENT NAME`);
  for (const r of rows) out(`${String(r.sid).padStart(ws)}  ${r.category.padEnd(wc)}  ${r.source.padEnd(wo)}  ${r.name}`);
  const retired = retiredSids(site);
  if (retired.length > 0) out(`retired SIDs (not handed out again): ${retired.join(', ')}`);
}

function readInput(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

async function syncCommand(registry: ConnectorSet, opts: CommonOptions & { db: string }): Promise<number> {
  const file = siteFileFor('sync', opts.config);
  const site = loadSite(file, registry);
  requireAlienvault(site);
  const wanted = pluginSidRows(site);
  const { db, target, password } = await openDb(opts.db);
  let dbBackup: string | undefined;
  let keepBackup = false;
  try {
    const current = await lockPluginRows(db, target);
    const plan = planSidChanges(current, wanted);
    out(`database ${target.display}, from ${file}:`);
    for (const l of describePlan(PLUGIN_ID, plan)) out(`  ${l}`);
    if (planIsEmpty(plan) || opts.dryRun) {
      await db.rollback();
      out('');
      out(planIsEmpty(plan) ? 'nothing to change' : 'dry run: nothing was changed');
      return 0;
    }
    const now = new Date();
    const abs = resolve(file);
    const script = restoreScript(PLUGIN_ID, plan, target, now, 'ctconnect categories sync');
    try {
      dbBackup = createNumbered((n) => join(dirname(abs), `${basename(abs)}.plugin_sid-${utcStamp(now)}${n > 1 ? `-${n}` : ''}.sql`), (p) => writeFileSync(p, script, { flag: 'wx', mode: 0o600 }));
    } catch (e) {
      throw new UserError(`cannot write the backup next to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; nothing was changed`);
    }
    await db.apply(PLUGIN_ID, plan);
    await commitOrFindOut(db, target, password, plan, () => {
      keepBackup = true;
      return [
        `restore script (puts the rows back as they were before): ${dbBackup}`,
        `to find out, run: ${checkSql(plan, target)}`,
        'if the rows are as planned (the change is in): restart ossim-server',
        `if the rows are as before: nothing changed; remove ${dbBackup}`,
      ];
    });
    out('');
    out(`database: committed (${plan.insert.length} inserted, ${plan.update.length} updated, ${plan.delete.length} deleted)`);
    out(`  the replaced rows are saved in ${dbBackup} (a script that restores them)`);
    printReminders(file, true, false);
    return 0;
  } catch (e) {
    await db.rollback().catch(() => undefined);
    if (dbBackup && !keepBackup) rmSync(dbBackup, { force: true });
    throw e;
  } finally {
    await db.close();
  }
}

const DB_HELP = 'also change the live ossim database, e.g. mysql://root@192.0.2.20:3306/alienvault (password from CTCONNECT_DB_PASSWORD or a prompt, never in the URL)';

function common(c: Command): Command {
  return c
    .option('-c, --config <file>', `site file to change (default: $${CONFIG_ENV}, else ./${DEFAULT_SITE_FILE}; the built-in example is read-only)`)
    .option('--no-backup', 'do not keep a copy of the site file as it was (site.yaml.ctconnect-bak-<UTC time>)')
    .option('--db <url>', DB_HELP)
    .option('--dry-run', 'show what would change and change nothing');
}

export function register(program: Command, registry: ConnectorSet): void {
  const cmd = program
    .command('categories')
    .description('manage the AlienVault category → SID table (translation IDs): list, add, rename, remove, import, sync');

  cmd
    .command('list')
    .description('show the table: SID, category, where it comes from (built-in / default / pinned / custom), event name')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print JSON')
    .action(action((opts: { config?: string; json?: boolean }) => listCommand(registry, opts)));

  common(
    cmd
      .command('add')
      .description('add a category (custom unless it is a Kaspersky one) and pin its SID')
      .argument('<category>', "the feed's category attribute, e.g. Custom_Feed")
      .option('--name <text>', 'event name after "Kaspersky CyberTrace - " (default: "<category> detected")')
      .option('--sid <n>', 'SID to use (3..2147483647, unused); default: the next free one from 1000'),
  ).action(
    action((category: string, opts: CommonOptions & { name?: string; sid?: string }) => {
      const sid = opts.sid === undefined ? undefined : parseSid(opts.sid);
      return runEdit(registry, 'add', opts, (site, state, external) => addCategory(site, state, { category, name: opts.name, sid }, external));
    }),
  );

  common(
    cmd
      .command('rename')
      .description('give a category a new event name (its SID stays)')
      .argument('<category>', 'category in the table')
      .argument('<name>', 'new event name after "Kaspersky CyberTrace - "'),
  ).action(action((category: string, name: string, opts: CommonOptions) => runEdit(registry, 'rename', opts, (site, state) => renameCategory(site, state, category, name))));

  common(
    cmd
      .command('remove')
      .description('remove a category from the table; its SID is retired (never handed out again)')
      .argument('<category>', 'category in the table'),
  ).action(action((category: string, opts: CommonOptions) => runEdit(registry, 'remove', opts, (site, state) => removeCategory(site, state, category))));

  common(
    cmd
      .command('import')
      .description("pin an installation's SIDs and names (from its kaspersky_cyberTrace.cfg and .sql) into the site")
      .requiredOption('--cfg <file>', 'the installed kaspersky_cyberTrace.cfg')
      .option('--sql <file>', 'the installed kaspersky_cyberTrace.sql (for the event names)'),
  ).action(
    action((opts: CommonOptions & { cfg: string; sql?: string }) => {
      const cfgText = readInput(opts.cfg, '--cfg');
      const sqlText = opts.sql === undefined ? undefined : readInput(opts.sql, '--sql');
      return runEdit(registry, 'import', opts, (site, state) => {
        const known = [...sidTable(site).categories.map((r) => r.category), ...site.categories.custom.map((c) => c.name)];
        return importInstallation(site, state, readInstallation(cfgText, opts.cfg, sqlText, opts.sql ?? '', known));
      });
    }),
  );

  cmd
    .command('sync')
    .description("make the database's plugin_sid rows of plugin 23021992 equal to the site's table (shown first; one transaction)")
    .option('-c, --config <file>', `site file (default: $${CONFIG_ENV}, else ./${DEFAULT_SITE_FILE})`)
    .requiredOption('--db <url>', DB_HELP)
    .option('--dry-run', 'show what would change and change nothing')
    .action(action((opts: CommonOptions & { db: string }) => syncCommand(registry, opts)));
}
