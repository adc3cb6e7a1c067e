/**
 * The two tables of the ossim-db `alienvault` database that plugin .sql files write to, as in
 * the AlienVault ossim-agent source (InnoDB, utf8), and the `product_type` table the web interface joins
 * `plugin.product_type` with, filled with the rows OSSIM 5.x ships (ossim-mysql data, "Data:
 * Product Types"). Shared by the bundle SQL tests and the live translation-ID tests.
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
CREATE TABLE product_type (
  id INT(11) NOT NULL AUTO_INCREMENT,
  name VARCHAR(100) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;
INSERT IGNORE INTO product_type (id, name) VALUES
(1, "Alarm"), (2, "Anomaly Detection"), (3, "Antivirus"), (4, "Application"), (5, "Application Firewall"),
(6, "Authentication and DHCP"), (7, "Data Protection"), (8, "Database"), (9, "Endpoint Security"), (10, "Firewall"),
(11, "Honeypot"), (12, "Infrastructure Monitoring"), (13, "Intrusion Detection"), (14, "Intrusion Prevention"),
(15, "Mail Security"), (16, "Mail Server"), (17, "Management Platform"), (18, "Network Access Control"),
(19, "Network Discovery"), (20, "Operating System"), (21, "Other Devices"), (22, "Proxy"),
(23, "Remote Application Access"), (24, "Router/Switch"), (25, "Server"), (26, "Unified threat management"),
(27, "VPN"), (28, "Vulnerability Scanner"), (29, "Web Server"), (30, "Wireless Security/Management");
`;

/** Creates database `name` (default alienvault) with the plugin tables. */
export async function createOssimSchema(db: MariaDb, name = 'alienvault'): Promise<void> {
  const q = '`' + name.replace(/`/g, '``') + '`';
  await db.query(`CREATE DATABASE IF NOT EXISTS ${q}; USE ${q}; ${OSSIM_PLUGIN_TABLES_SQL}`);
}
