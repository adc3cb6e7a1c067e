/**
 * kaspersky_cyberTrace.sql applied to a real MariaDB server through the `mysql` client, as
 * `cat … | ossim-db` does, twice. sql_mode: the server default of MariaDB 10.11
 * (STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION —
 * strict, so the omitted ctx/plugin_ctx columns only pass because of INSERT IGNORE), then the
 * permissive '' of older MySQL-based appliances, and NO_BACKSLASH_ESCAPES (which the file switches
 * off for its session). The client runs with a latin1 default character set, so the names only
 * arrive intact because the file says SET NAMES.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { createOssimSchema } from '../helpers/ossim-schema.js';
import { siteFromYaml, exampleSite } from '../helpers/bundles.js';
import { pluginSidRows, pluginSql } from '../../connectors/alienvault/sql.js';
import { PRODUCT_TYPES } from '../../connectors/alienvault/product-types.js';
import { readFileSync } from 'node:fs';
import { exampleSitePath } from '../../src/kernel/paths.js';

const NAMES = {
  quoted: `Phishing link "quoted" it's`,
  cyrillic: 'Фишинговая ссылка — проверка',
  backslash: 'Path C:\\temp\\new; 50% off',
  cjk: '恶意网址',
};

/** The example site with titles (event names) that need escaping and exact UTF-8 storage. */
function hostileNamesSite() {
  const text = readFileSync(exampleSitePath(), 'utf8')
    .replace(
      '    - name: Custom_Feed\n      title: Custom feed detection\n',
      [
        '    - name: Custom_Feed',
        `      title: ${JSON.stringify(NAMES.backslash)}`,
        '    - name: My_Own_Feed',
        `      title: ${JSON.stringify(NAMES.cjk)}`,
        '  titles:',
        `    KL_Phishing_URL: ${JSON.stringify(NAMES.quoted)}`,
        `    KL_Malicious_URL: ${JSON.stringify(NAMES.cyrillic)}`,
        '',
      ].join('\n'),
    )
    .replace(
      /    translations:[^\n]*\n(?:      [^\n]*\n)+/,
      ['    translations:', '      - { category: KL_Malicious_URL, sid: 5000 }', '      - { category: Custom_Feed, sid: 1000 }', ''].join('\n'),
    );
  return siteFromYaml(text);
}

let db: MariaDb;
beforeAll(async () => {
  db = await startMariaDb();
});
afterAll(async () => {
  await db?.stop();
});

interface SidRow {
  sid: number;
  name: string;
  priority: number;
  reliability: number;
  category_id: number;
  subcategory_id: number;
  class_id: number | null;
  ctx: string;
}

async function readRows(): Promise<SidRow[]> {
  return db.query<SidRow>(
    'SELECT sid, name, priority, reliability, category_id, subcategory_id, class_id, HEX(plugin_ctx) AS ctx FROM alienvault.plugin_sid WHERE plugin_id = 23021992 ORDER BY sid',
  );
}

function apply(sql: string) {
  const r = db.mysqlCli(sql, ['--default-character-set=latin1', 'alienvault']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

describe.each([
  ['server default sql_mode', null],
  ['permissive sql_mode', ''],
  ['NO_BACKSLASH_ESCAPES', 'NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES'],
])('kaspersky_cyberTrace.sql on MariaDB (%s)', (_label, mode) => {
  beforeAll(async () => {
    await db.query('DROP DATABASE IF EXISTS alienvault');
    await createOssimSchema(db);
    if (mode !== null) await db.query('SET GLOBAL sql_mode = ?', [mode]);
    else await db.query('SET GLOBAL sql_mode = DEFAULT');
  });

  it('inserts the plugin and one row per SID, names stored exactly, and is idempotent', async () => {
    const site = hostileNamesSite();
    const sql = pluginSql(site);
    const expected = pluginSidRows(site);
    // Rows of another plugin and a stale SID of this one: the first must survive, the second go.
    await db.query(
      "INSERT INTO alienvault.plugin_sid (plugin_ctx, plugin_id, sid, name) VALUES (UNHEX(REPEAT('00',16)), 1001, 1, 'snort: other'), (UNHEX(REPEAT('00',16)), 23021992, 77777, 'stale')",
    );

    apply(sql);
    const first = await readRows();
    apply(sql);
    const second = await readRows();

    expect(second).toEqual(first);
    expect(second.map((r) => r.sid)).toEqual(expected.map((r) => r.sid));
    expect(second.map((r) => r.name)).toEqual(expected.map((r) => r.name));
    for (const r of second) {
      expect(r).toMatchObject({ priority: 5, reliability: 8, category_id: 15, subcategory_id: 71, class_id: null, ctx: '0'.repeat(32) });
    }
    const names = second.map((r) => r.name);
    expect(names).toContain(`Kaspersky CyberTrace - ${NAMES.quoted}`);
    expect(names).toContain(`Kaspersky CyberTrace - ${NAMES.cyrillic}`);
    expect(names).toContain(`Kaspersky CyberTrace - ${NAMES.backslash}`);
    expect(names).toContain(`Kaspersky CyberTrace - ${NAMES.cjk}`);
    expect(second.find((r) => r.sid === 5000)?.name).toBe(`Kaspersky CyberTrace - ${NAMES.cyrillic}`);

    const plugins = await db.query<{ id: number; type: number; name: string; vendor: string }>('SELECT id, type, name, vendor FROM alienvault.plugin');
    expect(plugins).toEqual([{ id: 23021992, type: 1, name: 'Kaspersky CyberTrace', vendor: 'Kaspersky' }]);
    const other = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM alienvault.plugin_sid WHERE plugin_id = 1001');
    expect(other[0].n).toBe(1);
  });

  it('writes the configured priority, reliability and taxonomy', async () => {
    const text = readFileSync(exampleSitePath(), 'utf8')
      .replace('    category_id: 15\n', '    category_id: 10\n')
      .replace('    priority: 5\n', '    priority: 3\n    service_priority: 1\n    service_reliability: 2\n');
    const site = siteFromYaml(text);
    apply(pluginSql(site));
    const rows = await readRows();
    expect(rows[0]).toMatchObject({ sid: 1, priority: 1, reliability: 2, category_id: 10 });
    expect(rows.slice(1).every((r) => r.priority === 3 && r.reliability === 8 && r.category_id === 10 && r.subcategory_id === 71)).toBe(true);
  });
});

describe("the plugin's product type, joined as the web interface joins it", () => {
  beforeAll(async () => {
    await db.query('SET GLOBAL sql_mode = DEFAULT');
    await db.query('DROP DATABASE IF EXISTS alienvault');
    await createOssimSchema(db);
  });
  const productType = async () =>
    db.query<{ name: string | null }>(
      'SELECT product_type.name FROM alienvault.plugin LEFT JOIN alienvault.product_type ON product_type.id = plugin.product_type WHERE plugin.id = 23021992',
    );

  it('is "Other Devices" by default, as in the Kaspersky CyberTrace–AlienVault integration guide\'s screenshot', async () => {
    apply(pluginSql(exampleSite()));
    expect(await productType()).toEqual([{ name: 'Other Devices' }]);
  });

  it('follows siems.alienvault.product_type', async () => {
    const text = readFileSync(exampleSitePath(), 'utf8').replace('  alienvault:\n', '  alienvault:\n    product_type: 13\n');
    apply(pluginSql(siteFromYaml(text)));
    expect(await productType()).toEqual([{ name: 'Intrusion Detection' }]);
  });

  it("the connector's product types are exactly OSSIM's rows", async () => {
    const rows = await db.query<{ id: number; name: string }>('SELECT id, name FROM alienvault.product_type ORDER BY id');
    expect(PRODUCT_TYPES.map(([id, name]) => ({ id, name }))).toEqual(rows);
  });
});

describe('the SQL file leaves the database as it was when it fails', () => {
  it('rolls back the DELETEs when an INSERT fails', async () => {
    await db.query('SET GLOBAL sql_mode = DEFAULT');
    await db.query('DROP DATABASE IF EXISTS alienvault');
    await createOssimSchema(db);
    const sql = pluginSql(exampleSite());
    apply(sql);
    const before = await readRows();
    // A broken copy: the last INSERT refers to a column that does not exist.
    const broken = sql.replace('INSERT IGNORE INTO plugin_sid (plugin_id,', 'INSERT IGNORE INTO plugin_sid (no_such_column, plugin_id,');
    const r = db.mysqlCli(broken, ['alienvault']);
    expect(r.code).not.toBe(0);
    expect(await readRows()).toEqual(before);
  });
});
