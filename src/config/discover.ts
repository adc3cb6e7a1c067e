/**
 * Which site file a command uses, like tools people know: --config, else $CTCONNECT_CONFIG,
 * else `site.yaml` in the working folder (what `ctconnect init` writes), else the built-in
 * example site. Only the last case is a fallback the user may not expect, so the caller says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The file `ctconnect init` writes by default and discovery looks for in the working folder. */
export const DEFAULT_SITE_FILE = 'site.yaml';
export const CONFIG_ENV = 'CTCONNECT_CONFIG';

export interface SiteFileChoice {
  /** Absent = the built-in example site. */
  path?: string;
  how: '--config' | `$${typeof CONFIG_ENV}` | 'working folder' | 'built-in example';
}

export function findSiteFile(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): SiteFileChoice {
  if (explicit) return { path: explicit, how: '--config' };
  const fromEnv = env[CONFIG_ENV];
  if (fromEnv) return { path: fromEnv, how: `$${CONFIG_ENV}` };
  if (existsSync(join(cwd, DEFAULT_SITE_FILE))) return { path: DEFAULT_SITE_FILE, how: 'working folder' };
  return { how: 'built-in example' };
}
