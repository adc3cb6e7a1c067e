/**
 * `ctconnect categories … --db` against a real MariaDB server (default sql_mode, strict), set up as
 * an appliance is: the ossim schema, then the bundle's kaspersky_cyberTrace.sql through the mysql
 * client. Every failure must leave the database rows and the site folder byte-for-byte as they were.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { createOssimSchema } from '../helpers/ossim-schema.js';
import { loadSite } from '../../src/config/load.js';
import { pluginSql } from '../../connectors/alienvault/sql.js';
import { EVENT_NAME_PREFIX, PLUGIN_ID } from '../../connectors/alienvault/translations.js';
import { snapshot, tempSite, type TempSite } from './fixture.js';
import { registry } from '../../connectors/registry.js';

let db: MariaDb;
let url: string;
const ZERO = '0'.repeat(32);
const env = { CTCONNECT_DB_PASSWORD: '' };

interface Row {
  sid: number;
  name: string;
  hex: string;
  ctx: string;
  priority: number;
}

const rows = () =>
  db.query<Row>(`SELECT sid, name, HEX(name) AS hex, HEX(plugin_ctx) AS ctx, priority FROM alienvault.plugin_sid WHERE plugin_id = ${PLUGIN_ID} ORDER BY sid`);

function cli(site: TempSite, args: string[], extraEnv: Record<string, string> = {}) {
  return runCli(['categories', ...args, '--config', site.file], { env: { ...env, ...extraEnv } });
}

beforeAll(async () => {
  db = await startMariaDb();
  await createOssimSchema(db);
  url = `mysql://root@127.0.0.1:${db.port}/alienvault`;
});

afterAll(async () => {
  await db?.stop();
});

let site: TempSite;
beforeEach(async () => {
  site = tempSite();
  await db.query('DROP TRIGGER IF EXISTS alienvault.fail_insert');
  await db.query('DELETE FROM alienvault.plugin_sid; DELETE FROM alienvault.plugin');
  // As on the appliance: the bundle's .sql through the mysql client (ossim-db).
  const r = db.mysqlCli(pluginSql(loadSite(site.file, registry)), ['alienvault']);
  expect(r.code, r.stderr).toBe(0);
});

describe('categories --db on a live ossim database', () => {
  it('runs under the strict sql_mode, where leaving out plugin_ctx fails', async () => {
    const [mode] = await db.query<{ m: string }>('SELECT @@GLOBAL.sql_mode AS m');
    expect(mode.m).toContain('STRICT_TRANS_TABLES');
    await expect(db.query(`INSERT INTO alienvault.plugin_sid (plugin_id, sid, name) VALUES (${PLUGIN_ID}, 4242, 'x')`)).rejects.toThrow(/plugin_ctx/);
  });

  it('add stores the name byte-exact (quotes, backslash, non-ASCII) in the zero context and pins it', async () => {
    const name = `It's "quoted" \\ back — Ünïcødé ж 東京`;
    const r = cli(site, ['add', 'Custom_Two', '--name', name, '--db', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('insert SID 1001');
    expect(r.stdout).toContain('restart ossim-server');
    const row = (await rows()).find((x) => x.sid === 1001)!;
    expect(row.hex).toBe(
      Buffer.from(EVENT_NAME_PREFIX + name, 'utf8')
        .toString('hex')
        .toUpperCase(),
    );
    expect(row.ctx).toBe(ZERO);
    expect(row.priority).toBe(5);
    const s = loadSite(site.file, registry);
    expect((s.siems.alienvault as { translations: unknown[] }).translations).toContainEqual({ category: 'Custom_Two', sid: 1001 });
    expect(s.categories.custom).toContainEqual({ name: 'Custom_Two', title: name });
    // The restore script of an add deletes the new row again.
    const backup = readdirSync(site.dir).find((f) => /^site\.yaml\.plugin_sid-\d{8}T\d{6}Z\.sql$/.test(f));
    expect(backup, readdirSync(site.dir).join(', ')).toBeDefined();
    expect(r.stdout).toContain(join(site.dir, backup!));
  });

  it('--dry-run shows the plan and changes neither the database nor the folder', async () => {
    const before = { rows: await rows(), files: snapshot(site.dir) };
    const r = cli(site, ['rename', 'Custom_Feed', 'Renamed feed', '--db', url, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('update SID 1000: name "Kaspersky CyberTrace - Custom feed detection" → "Kaspersky CyberTrace - Renamed feed"');
    expect(r.stdout).toContain('dry run: nothing was changed');
    expect(await rows()).toEqual(before.rows);
    expect(snapshot(site.dir)).toEqual(before.files);
  });

  it('rename updates the row, and the saved restore script puts the old row back', async () => {
    const before = await rows();
    const r = cli(site, ['rename', 'KL_Phishing_URL', "Phishing (l'URL)", '--db', url]);
    expect(r.code, r.stderr).toBe(0);
    expect((await rows()).find((x) => x.sid === 11)?.name).toBe("Kaspersky CyberTrace - Phishing (l'URL)");
    const backup = readdirSync(site.dir).find((f) => f.endsWith('.sql'))!;
    const restore = db.mysqlCli(readFileSync(join(site.dir, backup), 'utf8'), ['alienvault']);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await rows()).toEqual(before);
  });

  it('remove deletes the row; the next add neither reuses its SID nor one already in the database', async () => {
    expect(cli(site, ['remove', 'Custom_Feed', '--db', url]).code).toBe(0);
    expect((await rows()).map((x) => x.sid)).not.toContain(1000);
    // A row the site does not know about (added by hand on the appliance).
    await db.query(`INSERT INTO alienvault.plugin_sid (plugin_ctx, plugin_id, sid, name) VALUES (UNHEX('${ZERO}'), ${PLUGIN_ID}, 1001, 'hand-made')`);
    const taken = cli(site, ['add', 'Feed_A', '--sid', '1001', '--db', url]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('--sid 1001: already used by a row already in the database for plugin 23021992 ("hand-made")');
    const r = cli(site, ['add', 'Feed_A', '--db', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('SID 1002');
    expect((await rows()).find((x) => x.sid === 1002)?.name).toBe('Kaspersky CyberTrace - Feed_A detected');
  });

  it('a failure inside the transaction rolls back and leaves the site folder as it was', async () => {
    await db.query(
      "CREATE TRIGGER alienvault.fail_insert BEFORE INSERT ON alienvault.plugin_sid FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by test trigger'",
    );
    // Sync has to update SID 11 first and then insert SID 1000: the insert fails, the update must be undone.
    await db.query(
      `UPDATE alienvault.plugin_sid SET name = 'stale' WHERE plugin_id = ${PLUGIN_ID} AND sid = 11; DELETE FROM alienvault.plugin_sid WHERE plugin_id = ${PLUGIN_ID} AND sid = 1000`,
    );
    const before = { rows: await rows(), files: snapshot(site.dir) };
    const sync = cli(site, ['sync', '--db', url]);
    expect(sync.code).toBe(1);
    expect(sync.stderr).toContain('refused by test trigger');
    expect(await rows()).toEqual(before.rows);
    expect(snapshot(site.dir)).toEqual(before.files);
    const add = cli(site, ['add', 'Feed_B', '--db', url]);
    expect(add.code).toBe(1);
    expect(add.stderr).toContain('refused by test trigger');
    expect(await rows()).toEqual(before.rows);
    expect(snapshot(site.dir)).toEqual(before.files);
  });

  it('sync makes the rows equal to the table and says what it changes', async () => {
    await db.query(`UPDATE alienvault.plugin_sid SET name = 'stale' WHERE plugin_id = ${PLUGIN_ID} AND sid = 11`);
    await db.query(`INSERT INTO alienvault.plugin_sid (plugin_ctx, plugin_id, sid, name) VALUES (UNHEX('${ZERO}'), ${PLUGIN_ID}, 4000, 'orphan')`);
    expect(cli(site, ['add', 'Feed_C'], {}).code).toBe(0); // site only: the database lacks SID 1001 now
    const r = cli(site, ['sync', '--db', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('insert SID 1001');
    expect(r.stdout).toContain('update SID 11: name "stale" → "Kaspersky CyberTrace - Phishing URL detected"');
    expect(r.stdout).toContain('delete SID 4000: "orphan"');
    const afterSync = await rows();
    expect(cli(site, ['sync', '--db', url]).stdout).toContain('no change');
    // The same rows as the regenerated .sql gives.
    const viaSql = db.mysqlCli(pluginSql(loadSite(site.file, registry)), ['alienvault']);
    expect(viaSql.code, viaSql.stderr).toBe(0);
    expect(await rows()).toEqual(afterSync);
  });

  it('refuses bad input without touching the database or the folder', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['add', 'Feed_D', '--sid', '10', '--db', url], /--sid 10: already used by category "KL_Malicious_URL"/],
      [['add', 'Feed_D', '--sid', '0', '--db', url], /--sid: must be between 3 and 2147483647/],
      [['rename', 'No_Such_Feed', 'x', '--db', url], /category "No_Such_Feed" is not one of the site's categories/],
      [['remove', 'No_Such_Feed', '--db', url], /category "No_Such_Feed" is not one of the site's categories/],
      [['rename', 'Custom_Feed', 'emoji 😀', '--db', url], /cannot store/],
      [
        ['add', 'Feed_D', '--db', `mysql://root:secret@127.0.0.1:${db.port}/alienvault`],
        /the URL contains a password; passwords are never taken from the command line/,
      ],
      [['add', 'Feed_D', '--db', `mysql://root@127.0.0.1:${db.port}/nosuchdb`], /cannot connect to .*: no database "nosuchdb"; nothing was changed/],
    ];
    const before = { rows: await rows(), files: snapshot(site.dir) };
    for (const [args, message] of cases) {
      const r = cli(site, args);
      expect(r.code, `${args.join(' ')}\n${r.stdout}`).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain('secret');
    }
    expect(await rows()).toEqual(before.rows);
    expect(snapshot(site.dir)).toEqual(before.files);
  });

  it('an unreachable database gives a clear error and changes nothing', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const before = snapshot(site.dir);
    const r = cli(site, ['add', 'Feed_E', '--db', `mysql://root@127.0.0.1:${port}/alienvault`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot connect to mysql://root@127.0.0.1:${port}/alienvault: connection refused`);
    expect(r.stderr).toContain('nothing was changed');
    expect(snapshot(site.dir)).toEqual(before);
  });

  it('takes the password from CTCONNECT_DB_PASSWORD only, and says so without it', async () => {
    await db.query(
      "CREATE USER IF NOT EXISTS 'ossim'@'127.0.0.1' IDENTIFIED BY 'p\"w d'; GRANT SELECT, INSERT, UPDATE, DELETE ON alienvault.* TO 'ossim'@'127.0.0.1'",
    );
    const ossimUrl = `mysql://ossim@127.0.0.1:${db.port}/alienvault`;
    const before = snapshot(site.dir);
    const none = runCli(['categories', 'add', 'Feed_F', '--db', ossimUrl, '--config', site.file], { env: { CTCONNECT_DB_PASSWORD: undefined } });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no database password: set CTCONNECT_DB_PASSWORD');
    const wrong = cli(site, ['add', 'Feed_F', '--db', ossimUrl], { CTCONNECT_DB_PASSWORD: 'nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('access denied');
    expect(snapshot(site.dir)).toEqual(before);
    const ok = cli(site, ['add', 'Feed_F', '--db', ossimUrl], { CTCONNECT_DB_PASSWORD: 'p"w d' });
    expect(ok.code, ok.stderr).toBe(0);
    expect((await rows()).some((x) => x.name === 'Kaspersky CyberTrace - Feed_F detected')).toBe(true);
  });

  it('refuses a database where the plugin was never imported', async () => {
    await db.query('DELETE FROM alienvault.plugin_sid; DELETE FROM alienvault.plugin');
    const before = snapshot(site.dir);
    const r = cli(site, ['add', 'Feed_G', '--db', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('plugin 23021992 (Kaspersky CyberTrace) is not in the database; apply kaspersky_cyberTrace.sql first');
    expect(await rows()).toEqual([]);
    expect(snapshot(site.dir)).toEqual(before);
  });
});
