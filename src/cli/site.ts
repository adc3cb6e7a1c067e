/** The --config option every command shares, and loading the site it names (or discovers). */
import { loadSite } from '../config/load.js';
import { CONFIG_ENV, DEFAULT_SITE_FILE, findSiteFile } from '../config/discover.js';
import type { Site } from '../model/site.js';
import type { ConnectorSet } from '../connector/connector-set.js';
import { exampleSitePath } from '../kernel/paths.js';
import { detail, info } from './output.js';

export const CONFIG_HELP = `site file (default: $${CONFIG_ENV}, else ./${DEFAULT_SITE_FILE}, else the built-in example site)`;

/** The site a command works on; says on stderr when that is the built-in example. */
export function loadCliSite(config: string | undefined, connectors: ConnectorSet): Site {
  const choice = findSiteFile(config);
  if (choice.path === undefined) {
    info(`ctconnect: no site file (no --config, no $${CONFIG_ENV}, no ./${DEFAULT_SITE_FILE}): using the built-in example site ${exampleSitePath()}`);
  } else {
    detail(`site file: ${choice.path} (from ${choice.how})`);
  }
  return loadSite(choice.path, connectors);
}
