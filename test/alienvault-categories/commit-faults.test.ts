/**
 * `categories add/sync --db` when the connection breaks at COMMIT, with a real MariaDB server behind a
 * proxy that cuts at one protocol point: before COMMIT reaches the server, after the server
 * answered it (answer lost), and with the server killed either side of the commit. ctconnect must
 * connect again and find out; when it cannot, it must say what each side holds, keep every
 * backup, and exit 1.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCliAsync } from '../helpers/cli-async.js';
import { startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { comQuery, startFaultProxy, type FaultProxy } from '../helpers/mysql-fault-proxy.js';
import { createOssimSchema } from '../helpers/ossim-schema.js';
import { loadSite } from '../../src/config/load.js';
import { pluginSql } from '../../connectors/alienvault/sql.js';
import { PLUGIN_ID } from '../../connectors/alienvault/translations.js';
import { snapshot, tempSite, type TempSite } from './fixture.js';
import { registry } from '../../connectors/registry.js';

// Inherited by the CLI processes: root has no password on the test server.
process.env.CTCONNECT_DB_PASSWORD = '';

let db: MariaDb;
let proxy: FaultProxy;
let site: TempSite;
const COMMIT = comQuery('COMMIT');

const sids = async () =>
  (await db.query<{ sid: number }>(`SELECT sid FROM alienvault.plugin_sid WHERE plugin_id = ${PLUGIN_ID} ORDER BY sid`)).map((r) => r.sid);
const pinned = (file: string) =>
  ((loadSite(file, registry).siems.alienvault as { translations?: Array<{ sid: number }> }).translations ?? []).map((t) => t.sid);
const add = () => runCliAsync(['categories', 'add', 'Custom_Two', '--config', site.file, '--db', `mysql://root@127.0.0.1:${proxy.port}/alienvault`]);

beforeAll(async () => {
  db = await startMariaDb();
  await createOssimSchema(db);
  proxy = await startFaultProxy(db.port);
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await db?.stop();
});

afterEach(() => rmSync(site.dir, { recursive: true, force: true }));

beforeEach(async () => {
  site = tempSite();
  await db.query('DELETE FROM alienvault.plugin_sid; DELETE FROM alienvault.plugin');
  const r = db.mysqlCli(pluginSql(loadSite(site.file, registry)), ['alienvault']);
  expect(r.code, r.stderr).toBe(0);
});

describe('categories --db: the connection breaks at COMMIT', () => {
  it('COMMIT never reaches the server: connects again, finds the change not there, exits 1, leaves no file behind', async () => {
    const before = { rows: await sids(), files: snapshot(site.dir) };
    proxy.arm({ packet: COMMIT, when: 'before-server' });
    const r = await add();
    await proxy.cut();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('connected again: the change is NOT in the database; nothing was changed');
    expect(r.stderr).not.toMatch(/internal error/);
    expect(await sids()).toEqual(before.rows);
    expect(snapshot(site.dir)).toEqual(before.files);
  });

  it('the connection breaks while the change is being written (before COMMIT): exit 1, nothing changed, no file left', async () => {
    const before = { rows: await sids(), files: snapshot(site.dir) };
    proxy.arm({ packet: Buffer.from('INSERT INTO plugin_sid'), when: 'before-server' });
    const r = await add();
    await proxy.cut();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('lost the connection before the change was committed');
    expect(r.stderr).toContain('nothing was changed');
    expect(await sids()).toEqual(before.rows);
    expect(snapshot(site.dir)).toEqual(before.files);
  });

  it('the answer to COMMIT is lost after the server committed: connects again, finds the change, finishes the site file, exits 0', async () => {
    proxy.arm({ packet: COMMIT, when: 'after-answer' });
    const r = await add();
    await proxy.cut();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('connecting again to find out whether the change is in');
    expect(r.stdout).toContain('the change is in the database (committed)');
    expect(await sids()).toContain(1001);
    expect(pinned(site.file)).toContain(1001);
    // The restore script and the site backup are kept, as after any committed change.
    expect(readdirSync(site.dir).filter((f) => /\.plugin_sid-.*\.sql$|\.ctconnect-bak-/.test(f))).toHaveLength(2);
  });

  it('sync: the answer to COMMIT is lost after the server committed: found out, exit 0; killed server: exit 1, restore script kept', async () => {
    const sync = () => runCliAsync(['categories', 'sync', '--config', site.file, '--db', `mysql://root@127.0.0.1:${proxy.port}/alienvault`]);
    await db.query(`DELETE FROM alienvault.plugin_sid WHERE plugin_id = ${PLUGIN_ID} AND sid = 1000`);
    proxy.arm({ packet: COMMIT, when: 'after-answer' });
    const ok = await sync();
    await proxy.cut();
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('the change is in the database (committed)');
    expect(await sids()).toContain(1000);

    await db.query(`DELETE FROM alienvault.plugin_sid WHERE plugin_id = ${PLUGIN_ID} AND sid = 1000`);
    proxy.arm({ packet: COMMIT, when: 'after-answer', atCut: () => db.crash() });
    const lost = await sync();
    await proxy.cut();
    expect(lost.code, lost.stderr).toBe(1);
    expect(lost.stderr).toContain('UNKNOWN');
    const script = /restore script \(puts the rows back as they were before\): (\S+)/.exec(lost.stderr)?.[1];
    expect(script && existsSync(script), lost.stderr).toBe(true);
    await db.restart();
    expect(await sids()).toContain(1000);
  }, 120_000);

  it.each([
    ['after the server committed', 'after-answer' as const, true],
    ['before COMMIT reached it', 'before-server' as const, false],
  ])(
    'the server is killed %s: state unknown, exit 1, every file kept, and the printed repair works',
    async (_what, when, committed) => {
      const rowsBefore = await sids();
      proxy.arm({ packet: COMMIT, when, atCut: () => db.crash() });
      const r = await add();
      await proxy.cut();
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('whether the change is in the database is UNKNOWN: cannot connect again');
      expect(r.stderr).not.toMatch(/internal error/);
      // The site file is untouched; the prepared new version, its backup and the restore script all stay.
      expect(pinned(site.file)).not.toContain(1001);
      const tmp = /the new version is ready in (\S+)/.exec(r.stderr)?.[1];
      const script = /restore script \(puts the rows back as they were before\): (\S+)/.exec(r.stderr)?.[1];
      const backup = /copy of the site file before the change: (\S+)/.exec(r.stderr)?.[1];
      for (const f of [tmp, script, backup]) expect(f && existsSync(f), `${f}\n${r.stderr}`).toBe(true);
      expect(r.stderr).toContain(`SELECT sid, name FROM plugin_sid WHERE plugin_id = ${PLUGIN_ID} AND sid IN (1001)`);

      await db.restart();
      expect(await sids()).toEqual(committed ? [...rowsBefore, 1001].sort((a, b) => a - b) : rowsBefore);
      if (committed) {
        // The repair the message gives for "the change is in": move the prepared file into place.
        expect(r.stderr).toContain(`mv ${tmp} ${join(site.dir, 'site.yaml')}`);
        renameSync(tmp!, site.file);
        expect(pinned(site.file)).toContain(1001);
      }
    },
    120_000,
  );
});
