/**
 * kaspersky_cyberTrace.sql: the `plugin` row and one `plugin_sid` row per SID of the category →
 * SID table (translations.ts), so the .sql and the .cfg [translation] section cannot disagree.
 * pluginSidRows() is also used to write the same rows into a live ossim database.
 */
import { productTypeName } from './product-types.js';
import type { Site } from '../../src/config/site.js';
import { UserError } from '../../src/core/errors.js';
import { sqlString } from '../../src/render/escape.js';
import { sidTable, pinnedTranslations, PLUGIN_ID, storedNameProblem, type TranslationRow } from './translations.js';
import { alienvaultOptions } from './options.js';

export interface PluginRow {
  id: number;
  /** 1 = detector. */
  type: number;
  name: string;
  description: string;
  vendor: string;
  product_type: number;
}

export interface PluginSidRow {
  plugin_id: number;
  sid: number;
  category_id: number;
  subcategory_id: number;
  class_id: null;
  /** Full event name, e.g. "Kaspersky CyberTrace - Phishing URL detected". */
  name: string;
  priority: number;
  reliability: number;
  /** The feed category this SID stands for ('(service event)' / '_DEFAULT_' for SIDs 1 and 2); not a column. */
  category: string;
}

export const PLUGIN_NAME = 'Kaspersky CyberTrace';
export const PLUGIN_DESCRIPTION = 'Kaspersky CyberTrace: detection events (feed matches) and service events';
export const PLUGIN_VENDOR = 'Kaspersky';

const options = alienvaultOptions;

export function pluginRow(site: Site): PluginRow {
  return { id: PLUGIN_ID, type: 1, name: PLUGIN_NAME, description: PLUGIN_DESCRIPTION, vendor: PLUGIN_VENDOR, product_type: options(site).product_type };
}

/** Where the name of a category's row comes from in the site file, for error messages. */
function nameSource(site: Site, row: TranslationRow): string {
  const pins = pinnedTranslations(site);
  const i = pins.findIndex((p) => p.category === row.category && p.name !== undefined);
  if (i >= 0) return `siems.alienvault.translations[${i}].name`;
  const c = site.categories.custom.findIndex((x) => x.name === row.category && x.title !== undefined);
  if (c >= 0) return `categories.custom[${c}].title`;
  return `the built-in title of ${row.category}`;
}

/** One row per SID: service event, generic detection event, then every category by SID. */
export function pluginSidRows(site: Site): PluginSidRow[] {
  const o = options(site);
  const table = sidTable(site);
  const row = (r: TranslationRow, priority: number, reliability: number): PluginSidRow => ({
    plugin_id: PLUGIN_ID,
    sid: r.sid,
    category_id: o.category_id,
    subcategory_id: o.subcategory_id,
    class_id: null,
    name: r.name,
    priority,
    reliability,
    category: r.category,
  });
  const rows = [
    row(table.service, o.service_priority ?? o.priority, o.service_reliability ?? o.reliability),
    row(table.generic, o.priority, o.reliability),
    ...table.categories.map((r) => row(r, o.priority, o.reliability)),
  ];
  const seen = new Map<number, string>();
  for (const [i, r] of rows.entries()) {
    const problem = storedNameProblem(r.name);
    if (problem) {
      const src = i >= 2 ? nameSource(site, table.categories[i - 2]) : 'a built-in name';
      throw new UserError(`${site.source}: ${src}: event name ${JSON.stringify(r.name)} ${problem}`);
    }
    const other = seen.get(r.sid);
    if (other !== undefined) throw new UserError(`${site.source}: SID ${r.sid} is given to both ${other} and ${r.category}; fix siems.alienvault.translations`);
    seen.set(r.sid, r.category);
  }
  return rows;
}

function sqlValue(v: string | number | null): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`not an integer: ${v}`);
    return String(v);
  }
  return sqlString(v);
}

/** The whole kaspersky_cyberTrace.sql file. */
export function pluginSql(site: Site): string {
  const p = pluginRow(site);
  const rows = pluginSidRows(site);
  const o = options(site);
  const values = rows.map((r, i) => {
    const tuple = `(${[r.plugin_id, r.sid, r.category_id, r.subcategory_id, r.class_id, r.name, r.priority, r.reliability].map(sqlValue).join(', ')})`;
    return `${tuple}${i === rows.length - 1 ? ';' : ','} -- ${r.category}`;
  });
  const taxonomyNote =
    o.category_id === 15 && o.subcategory_id === 71
      ? [
          '-- category_id 15 / subcategory_id 71 are the values of the vendor\'s file. In OSSIM\'s own taxonomy',
          '-- 15 is "Alert" (subcategories 171-173) and 71 ("Misc") belongs to category 10 ("Info"), so the pair',
          '-- is inconsistent; set siems.alienvault.category_id / subcategory_id to change it.',
        ]
      : [`-- category_id ${o.category_id} / subcategory_id ${o.subcategory_id} are set in siems.alienvault of the site file.`];
  return [
    `-- Kaspersky CyberTrace plugin for AlienVault USM / OSSIM: plugin ${PLUGIN_ID} and one row per event type (SID).`,
    `-- Site: ${site.name}. Generated by ctconnect from the site file; change categories with \`ctconnect categories\`.`,
    '-- Import:   cat /usr/share/doc/ossim-mysql/contrib/plugins/kaspersky_cyberTrace.sql | ossim-db',
    '-- then:     restart ossim-server (it loads plugin_sid rows only at start-up).',
    '-- Running it again is safe: it replaces every row of this plugin, in one transaction.',
    ...taxonomyNote,
    `-- product_type ${p.product_type} is "${productTypeName(p.product_type) ?? '?'}" in OSSIM's product_type table (siems.alienvault.product_type).`,
    '',
    // Names are UTF-8; the session must say so whatever the client default is.
    'SET NAMES utf8;',
    // The string literals below use backslash escapes, so they must not be read under NO_BACKSLASH_ESCAPES.
    "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','));",
    'START TRANSACTION;',
    `DELETE FROM plugin WHERE id = ${PLUGIN_ID};`,
    `DELETE FROM plugin_sid WHERE plugin_id = ${PLUGIN_ID};`,
    `INSERT IGNORE INTO plugin (id, type, name, description, vendor, product_type) VALUES (${[p.id, p.type, p.name, p.description, p.vendor, p.product_type].map(sqlValue).join(', ')});`,
    'INSERT IGNORE INTO plugin_sid (plugin_id, sid, category_id, subcategory_id, class_id, name, priority, reliability) VALUES',
    ...values,
    'COMMIT;',
    '',
  ].join('\n');
}
