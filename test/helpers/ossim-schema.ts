/**
 * The two tables of the ossim-db `alienvault` database that plugin .sql files write to, as in
 * FACTS.md §2 (InnoDB, utf8). Shared by the bundle SQL tests and the live translation-ID tests.
 */
import type { MariaDb } from './mariadb.js';

export const OSSIM_PLUGIN_TABLES_SQL = `
CREATE TABLE plugin (
  ctx BINARY(16) NOT NULL,
  id INT NOT NULL,
  type SMALLINT NOT NULL,
  name VARCHAR(100) NOT NULL,
  description TEXT NULL,
  product_type INT NOT NULL DEFAULT 0,
  vendor TEXT NULL,
  PRIMARY KEY (id, ctx)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE plugin_sid (
  plugin_ctx BINARY(16) NOT NULL,
  plugin_id INT NOT NULL,
  sid INT NOT NULL,
  class_id INT NULL,
  reliability INT NULL DEFAULT 1,
  priority INT NULL DEFAULT 1,
  name VARCHAR(512) NOT NULL,
  aro DECIMAL(11,4) NOT NULL DEFAULT 0,
  subcategory_id INT NULL,
  category_id INT NULL,
  PRIMARY KEY (plugin_id, sid, plugin_ctx)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
`;

/** Creates database `name` (default alienvault) with the plugin tables. */
export async function createOssimSchema(db: MariaDb, name = 'alienvault'): Promise<void> {
  const q = '`' + name.replace(/`/g, '``') + '`';
  await db.query(`CREATE DATABASE IF NOT EXISTS ${q}; USE ${q}; ${OSSIM_PLUGIN_TABLES_SQL}`);
}
