/**
 * What the site's categories mean for AlienVault (the `categories` hook of the connector): each
 * category has a SID; the .cfg [translation] section and the .sql plugin_sid rows are generated
 * from that table. `ctconnect categories` edits follow here: SIDs are pinned and retired in
 * `siems.alienvault`, and with --db the live ossim database changes in the same run. Also the
 * AlienVault-only subcommands: `import` (an installation's .cfg/.sql) and `sync`.
 *
 * With --db, everything is computed and shown first, the files are prepared next to the site, the
 * database change is committed in one transaction, and only then is the new site file renamed
 * into place (the core's edit path). If anything fails before the commit, the database is rolled
 * back and the site file is untouched. If the answer to COMMIT is lost, the database is asked
 * again (commitOrFindOut); while its state is unknown no backup, restore script or prepared site
 * file is deleted.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  type CategoriesCommandApi,
  categoriesOf,
  type CategoryEdit,
  type CategoryEditSession,
  categoryList,
  type CliCommand,
  type ConnectorCategories,
  type InstallStep,
  type Site,
  siteCategoryTitle,
} from '../../src/connector/index.js';
import { UserError } from '../../src/kernel/errors.js';
import { createNumbered, utcStamp } from '../../src/kernel/files.js';
import type { DbSidRow, OssimDb, SidPlan } from './db/plugin-sids.js';
import type { DbTarget } from './db/url.js';
import { PLUGIN_ID, eventNameProblem, pinnedTranslations, retiredSids, sidTable, translationProblems } from './translations.js';
import { readInstallation } from './import.js';
import { pluginSidRows } from './sql.js';
import { PLUGIN_FILE, translationLines } from './plugin-cfg.js';
import { PLUGIN_DIR } from './agent-config.js';
import { followAdd, followRemove, followRename, importInstallation, reservedCategory, type ExternalSids, type SidOutcome } from './translation-edits.js';

const out = (line = '') => process.stdout.write(line + '\n');

/** The ossim database code (and mysql2 under it) loads only when a command talks to a database. */
const loadDb = async () => ({ ...(await import('./db/plugin-sids.js')), ...(await import('./db/password.js')), ...(await import('./db/url.js')) });
type DbModule = Awaited<ReturnType<typeof loadDb>>;

/** The install steps whose commands the reminders repeat (ids as in index.ts). */
export interface StepIds {
  dbImport: string;
  agentRestart: string;
  serverRestart: string;
}

const DB_HELP =
  'AlienVault: also change the live ossim database, e.g. mysql://root@192.0.2.20:3306/alienvault (password from CTCONNECT_DB_PASSWORD or a prompt, never in the URL)';

function parseSid(text: string): number {
  if (!/^\d{1,10}$/.test(text.trim())) throw new UserError(`--sid: must be a whole number from 3 to 2147483647 (got ${JSON.stringify(text)})`);
  return Number(text.trim());
}

function requireAlienvault(site: Site): void {
  if (!site.siems.alienvault) {
    throw new UserError(`${site.source}: there is no siems.alienvault section; add one (see \`ctconnect init\`) before managing its categories`);
  }
}

/** A query that shows the rows a plan touches, to check by hand which state the database is in. */
function checkSql(plan: SidPlan, target: DbTarget): string {
  const sids = [...plan.insert.map((r) => r.sid), ...plan.update.map((u) => u.after.sid), ...plan.delete.map((r) => r.sid)].sort((a, b) => a - b);
  return `mysql -h ${target.host} -P ${target.port} -u ${target.user} -p ${target.database} -e "SELECT sid, name FROM plugin_sid WHERE plugin_id = ${PLUGIN_ID} AND sid IN (${sids.join(', ')})"`;
}

interface OpenDb {
  m: DbModule;
  db: OssimDb;
  target: DbTarget;
  password: string;
  /** The plugin's rows, locked until the transaction ends. */
  current: DbSidRow[];
}

async function openDb(url: string): Promise<OpenDb> {
  const m = await loadDb();
  const target = m.parseDbUrl(url);
  const password = await m.dbPassword(target);
  const db = await m.OssimDb.connect(target, password);
  try {
    await db.begin();
    if (!(await db.hasPlugin(PLUGIN_ID))) {
      throw new UserError(
        `${target.display}: plugin ${PLUGIN_ID} (Kaspersky CyberTrace) is not in the database; apply kaspersky_cyberTrace.sql first (cat kaspersky_cyberTrace.sql | ossim-db); nothing was changed`,
      );
    }
    return { m, db, target, password, current: await db.lockedSidRows(PLUGIN_ID) };
  } catch (e) {
    await db.rollback().catch(() => undefined);
    await db.close();
    throw e;
  }
}

/**
 * COMMIT; when its answer is lost, connect again and find out. Returns when the change is in the
 * database. Throws a UserError when it is not (nothing changed), or when that cannot be found
 * out: then `unknownState` gives the lines that say what each side holds and how to repair it
 * (and the caller keeps every backup).
 */
async function commitOrFindOut(open: OpenDb, plan: SidPlan, unknownState: () => string[]): Promise<void> {
  const { m, db, target, password } = open;
  const threadId = db.threadId;
  try {
    await db.commit();
    return;
  } catch (e) {
    if (!(e instanceof m.CommitUnknown)) throw e;
    out('');
    out(`database: ${e.message}; connecting again to find out whether the change is in`);
    const check = await m.checkCommit(target, password, PLUGIN_ID, plan, threadId);
    if (check.state === 'applied') {
      out('database: the change is in the database (committed)');
      return;
    }
    if (check.state === 'not-applied') {
      throw new UserError(
        `${target.display}: the connection was lost during COMMIT (${e.reason}); connected again: the change is NOT in the database; nothing was changed`,
      );
    }
    throw new UserError(
      `${target.display}: the connection was lost during COMMIT (${e.reason}) and whether the change is in the database is UNKNOWN: ${check.reason}`,
      [`database ${target.display}: unknown — the plan was: ${m.describePlan(PLUGIN_ID, plan).join('; ')}`, ...unknownState()],
    );
  }
}

function restoreFile(open: OpenDb, realFile: string, plan: SidPlan, now: Date, command: string): string {
  const script = open.m.restoreScript(PLUGIN_ID, plan, open.target, now, `ctconnect categories ${command}`);
  return createNumbered(
    (n) => join(dirname(realFile), `${basename(realFile)}.plugin_sid-${utcStamp(now)}${n > 1 ? `-${n}` : ''}.sql`),
    (p) => writeFileSync(p, script, { flag: 'wx', mode: 0o600 }),
  );
}

function reminders(ids: StepIds, steps: InstallStep[], siteChanged: boolean, dbChanged: boolean): string[] {
  const command = (id: string) => steps.find((s) => s.id === id)?.command ?? id;
  const dbImport = steps.find((s) => s.id === ids.dbImport);
  const lines: string[] = [];
  if (siteChanged) {
    lines.push(
      `install the new alienvault/${PLUGIN_FILE} in ${PLUGIN_DIR}/ and restart ossim-agent (it reads [translation] at start-up):`,
      `    ${command(ids.agentRestart)}`,
    );
  }
  if (dbChanged) {
    lines.push('restart ossim-server: it loads plugin_sid rows (event names) only at start-up:', `    ${command(ids.serverRestart)}`);
  } else if (siteChanged) {
    const sql = dbImport?.stdinFromFile ? basename(dbImport.stdinFromFile) : "the bundle's .sql";
    lines.push(`update the database: cat ${sql} | ${command(ids.dbImport)} (or run this command with --db), then restart ossim-server`);
  }
  return lines;
}

/** One edit as AlienVault follows it: SID changes in the site, and the live database with --db. */
class AlienVaultEdit implements CategoryEditSession {
  private touched = new Set<number>();
  private plan: SidPlan | undefined;
  private committed = false;
  constructor(
    private readonly opts: Record<string, unknown>,
    private readonly open: OpenDb | undefined,
    private readonly stepsOf: () => InstallStep[],
    private readonly ids: StepIds,
    /** The site has an AlienVault bundle: only then are there AlienVault steps to remind of. */
    private readonly configured: boolean,
  ) {}

  /** SIDs in use in the database, which an edit must not hand out. */
  get external(): ExternalSids {
    return new Map((this.open?.current ?? []).map((r) => [r.sid, r.name]));
  }

  /** Records the SIDs an outcome touches and returns its keys of siems.alienvault. */
  take(outcome: SidOutcome): Record<string, unknown> {
    for (const s of outcome.touchedSids) this.touched.add(s);
    return { translations: outcome.state.pins, retired_sids: outcome.state.retired };
  }

  follow(before: Site, after: Site, edit: CategoryEdit): { options: Record<string, unknown>; summary: string[] } {
    // A site without AlienVault: the categories have no SIDs to follow.
    if (!before.siems.alienvault) return { options: {}, summary: [] };
    const cats = categoriesOf(after);
    let outcome: SidOutcome;
    if (edit.kind === 'add') {
      const sid = typeof this.opts.sid === 'string' ? parseSid(this.opts.sid) : undefined;
      outcome = followAdd(before, cats, edit.category, sid, this.external);
    } else if (edit.kind === 'rename') outcome = followRename(before, cats, edit.category);
    else if (edit.kind === 'remove') outcome = followRemove(before, edit.category);
    else return { options: {}, summary: [] };
    return { options: this.take(outcome), summary: outcome.summary };
  }

  review(next: Site): string[] {
    if (!next.siems.alienvault) return [];
    const problems = translationProblems(pinnedTranslations(next));
    if (problems.length > 0) {
      throw new UserError(
        'the change would give a SID table with problems; nothing was changed',
        problems.map((p) => `siems.alienvault.translations[${p.index}].${p.field}: ${p.message}`),
      );
    }
    // The [translation] section and the plugin_sid rows the bundle would get (names the ossim tables can store, _DEFAULT_ present).
    let wanted;
    try {
      translationLines(next);
      wanted = pluginSidRows(next);
    } catch (e) {
      if (e instanceof UserError)
        throw new UserError('the change would give a plugin the ossim-agent or database cannot use; nothing was changed', [e.message]);
      throw e;
    }
    if (!this.open) return [];
    // With a live database the whole table is checked: the edit must not leave it with a row for a SID the table gives to another name.
    this.plan = this.open.m.planSidChanges(this.open.current, wanted, this.touched);
    return [`database ${this.open.target.display}:`, ...this.open.m.describePlan(PLUGIN_ID, this.plan).map((l) => `  ${l}`)];
  }

  outsideChanges(): boolean {
    return !!this.open && !!this.plan && !this.open.m.planIsEmpty(this.plan);
  }

  private restore: string | undefined;
  prepare(realFile: string, now: Date, command: string): string[] {
    if (!this.open || !this.plan || !this.outsideChanges()) return [];
    this.restore = restoreFile(this.open, realFile, this.plan, now, command);
    return [this.restore];
  }

  async commit(unknownState: () => string[]): Promise<string[]> {
    const { open, plan } = this;
    if (!open || !plan || !this.outsideChanges()) return [];
    await open.db.apply(PLUGIN_ID, plan);
    await commitOrFindOut(open, plan, () => [
      ...unknownState(),
      `restore script (puts the rows back as they were before): ${this.restore}`,
      `to find out, run: ${checkSql(plan, open.target)}`,
      'if the rows are as planned (the change is in): make the site file agree (see above), then restart ossim-server',
      `if the rows are as before: nothing changed in the database; remove the files listed above and ${this.restore}`,
    ]);
    this.committed = true;
    return [
      `database: committed (${plan.insert.length} inserted, ${plan.update.length} updated, ${plan.delete.length} deleted)`,
      `  the replaced rows are saved in ${this.restore} (a script that restores them)`,
    ];
  }

  async close(): Promise<void> {
    if (!this.open) return;
    if (!this.committed) await this.open.db.rollback().catch(() => undefined);
    await this.open.db.close();
  }

  nextSteps(_siteFile: string, siteChanged: boolean): string[] {
    if (!this.configured && !this.committed) return [];
    return reminders(this.ids, this.stepsOf(), siteChanged, this.committed);
  }
}

function describe(site: Site): { lines: string[]; json: Record<string, unknown> } {
  if (!site.siems.alienvault) return { lines: [], json: {} };
  const table = sidTable(site);
  const pins = new Set(pinnedTranslations(site).map((p) => p.category));
  const kinds = new Map(categoryList(categoriesOf(site)).map((c) => [c.name, c.kind]));
  const rows = [
    { sid: table.service.sid, category: table.service.category, name: table.service.name, source: 'built-in', kind: 'service' },
    { sid: table.generic.sid, category: table.generic.category, name: table.generic.name, source: 'built-in', kind: 'generic' },
    ...table.categories.map((r) => ({
      sid: r.sid,
      category: r.category,
      name: r.name,
      source: pins.has(r.category) ? 'pinned' : kinds.get(r.category) === 'custom' ? 'custom' : 'default',
      kind: kinds.get(r.category) ?? 'other',
    })),
  ];
  const w = (k: 'sid' | 'category' | 'source') => Math.max(k.length, ...rows.map((r) => String(r[k]).length));
  const [ws, wc, wo] = [w('sid'), w('category'), w('source')];
  const lines = [
    `AlienVault: category → SID table of plugin ${PLUGIN_ID} (source: default = Kaspersky SID, pinned = siems.alienvault.translations)`,
    `${'SID'.padStart(ws)}  ${'CATEGORY'.padEnd(wc)}  ${'SOURCE'.padEnd(wo)}  EVENT NAME`,
    ...rows.map((r) => `${String(r.sid).padStart(ws)}  ${r.category.padEnd(wc)}  ${r.source.padEnd(wo)}  ${r.name}`),
  ];
  const retired = retiredSids(site);
  if (retired.length > 0) lines.push(`retired SIDs (not handed out again): ${retired.join(', ')}`);
  return { lines, json: { pluginId: PLUGIN_ID, rows, retiredSids: retired } };
}

function readInput(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** `categories sync`: the database's rows become the site's table (no site change). */
async function sync(
  api: CategoriesCommandApi,
  ids: StepIds,
  stepsOf: () => InstallStep[],
  opts: { config?: string; db: string; dryRun?: boolean },
): Promise<number> {
  const file = api.siteFile('sync', opts.config);
  const site = api.loadSite(file);
  requireAlienvault(site);
  const wanted = pluginSidRows(site);
  const open = await openDb(opts.db);
  const { m, db, target } = open;
  let dbBackup: string | undefined;
  let keepBackup = false;
  try {
    const plan = m.planSidChanges(open.current, wanted);
    out(`database ${target.display}, from ${file}:`);
    for (const l of m.describePlan(PLUGIN_ID, plan)) out(`  ${l}`);
    if (m.planIsEmpty(plan) || opts.dryRun) {
      await db.rollback();
      out('');
      out(m.planIsEmpty(plan) ? 'nothing to change' : 'dry run: nothing was changed');
      return 0;
    }
    try {
      dbBackup = restoreFile(open, resolve(file), plan, new Date(), 'sync');
    } catch (e) {
      throw new UserError(`cannot write the backup next to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; nothing was changed`);
    }
    await db.apply(PLUGIN_ID, plan);
    await commitOrFindOut(open, plan, () => {
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
    out('');
    out('next steps:');
    for (const l of reminders(ids, stepsOf(), false, true)) out(`  ${l.startsWith('    ') ? l : `- ${l}`}`);
    return 0;
  } catch (e) {
    await db.rollback().catch(() => undefined);
    if (dbBackup && !keepBackup) rmSync(dbBackup, { force: true });
    throw e;
  } finally {
    await db.close();
  }
}

/** The hook, given the connector's install steps (for the restart commands it reminds of). */
export function alienvaultCategories(stepsOf: () => InstallStep[], ids: StepIds): ConnectorCategories {
  return {
    describe,
    reservedName: reservedCategory,
    options(cmd: CliCommand, edit: 'add' | 'rename' | 'remove'): void {
      if (edit === 'add') cmd.option('--sid <n>', 'AlienVault: SID to use (3..2147483647, unused); default: the Kaspersky SID or the next free one from 1000');
      cmd.option('--db <url>', DB_HELP);
    },
    async begin(site: Site, opts: Record<string, unknown>): Promise<CategoryEditSession> {
      const configured = site.siems.alienvault !== undefined;
      if (typeof opts.db !== 'string') return new AlienVaultEdit(opts, undefined, stepsOf, ids, configured);
      requireAlienvault(site);
      return new AlienVaultEdit(opts, await openDb(opts.db), stepsOf, ids, configured);
    },
    commands(parent: CliCommand, api: CategoriesCommandApi): void {
      api
        .editOptions(
          parent
            .command('import')
            .description(
              "AlienVault: take an installation's SIDs (from its kaspersky_cyberTrace.cfg) and event names (from its .sql, as the categories' titles) into the site",
            )
            .requiredOption('--cfg <file>', 'the installed kaspersky_cyberTrace.cfg')
            .option('--sql <file>', 'the installed kaspersky_cyberTrace.sql (for the event names)')
            .option('--db <url>', DB_HELP),
        )
        .action(
          api.action(async (opts: Record<string, unknown> & { cfg: string; sql?: string }) => {
            const cfgText = readInput(opts.cfg, '--cfg');
            const sqlText = opts.sql === undefined ? undefined : readInput(opts.sql, '--sql');
            return api.edit('import', opts, (site, session) => {
              requireAlienvault(site);
              const known = [...sidTable(site).categories.map((r) => r.category), ...site.categories.custom.map((c) => c.name)];
              const outcome = importInstallation(site, readInstallation(cfgText, opts.cfg, sqlText, opts.sql ?? '', known));
              const options = outcome.conflicts.length > 0 ? {} : (session as AlienVaultEdit).take(outcome);
              return { categories: outcome.categories, options, summary: outcome.summary, notes: outcome.notes, conflicts: outcome.conflicts };
            });
          }),
        );
      parent
        .command('sync')
        .description(`AlienVault: make the database's plugin_sid rows of plugin ${PLUGIN_ID} equal to the site's table (shown first; one transaction)`)
        .option('-c, --config <file>', 'site file (default: $CTCONNECT_CONFIG, else ./site.yaml)')
        .requiredOption('--db <url>', DB_HELP)
        .option('--dry-run', 'show what would change and change nothing')
        .action(api.action((opts: { config?: string; db: string; dryRun?: boolean }) => sync(api, ids, stepsOf, opts)));
    },
  };
}

/**
 * Site files from before titles were a site concept pinned AlienVault event names in
 * `translations[].name`. The title now lives in one place (categories.custom[].title or
 * categories.titles), shown by every SIEM; such a pin is refused with where to move it.
 */
export function oldNamePins(pins: ReadonlyArray<{ category: string; name?: unknown }>, site: Site): Array<{ path: Array<string | number>; message: string }> {
  return pins.flatMap((p, i) => {
    if (p.name === undefined) return [];
    const custom = site.categories.custom.findIndex((c) => c.name === p.category);
    const where = custom >= 0 ? `categories.custom[${custom}].title` : `categories.titles.${p.category}`;
    const same = siteCategoryTitle(site, p.category) === p.name;
    const fix = same ? `${where} already says ${JSON.stringify(p.name)}: delete this line` : `move ${JSON.stringify(p.name)} to ${where} and delete this line`;
    return [{ path: ['translations', i, 'name'], message: `the event name is now the category's title, shown by every SIEM: ${fix}` }];
  });
}

/**
 * Titles the ossim database cannot store as event names (utf8 columns: no characters outside the
 * Basic Multilingual Plane). Checked when the site loads; a connector's problems are placed at its
 * section, so the message names the title's own field.
 */
export function titleProblems(site: Site): Array<{ path: Array<string | number>; message: string }> {
  return categoryList(categoriesOf(site)).flatMap((c) => {
    const problem = eventNameProblem(c.title);
    if (!problem || c.titleSource !== 'site') return [];
    const custom = site.categories.custom.findIndex((x) => x.name === c.name);
    const field = custom >= 0 ? `categories.custom[${custom}].title` : `categories.titles.${c.name}`;
    return [{ path: [], message: `${field}: as an AlienVault event name, ${JSON.stringify(c.title)} ${problem}` }];
  });
}
