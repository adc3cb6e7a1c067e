/**
 * `--db mysql://user@host:port/database`. The password never comes from the command line (it
 * would show in `ps` and the shell history): a URL that carries one is refused.
 */
import { UserError } from '../../../src/kernel/errors.js';

export interface DbTarget {
  user: string;
  host: string;
  port: number;
  database: string;
  /** The URL without any secret, for messages. */
  display: string;
}

export const PASSWORD_ENV = 'CTCONNECT_DB_PASSWORD';

export function parseDbUrl(text: string, defaultDatabase = 'alienvault'): DbTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError('--db: not a URL; expected mysql://user@host[:port]/alienvault');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new UserError(`--db: the scheme must be mysql:// (got ${url.protocol}//); expected mysql://user@host[:port]/alienvault`);
  }
  if (url.password !== '' || /^[^/]*\/\/[^/@]*:[^/@]*@/.test(text)) {
    throw new UserError('--db: the URL contains a password; passwords are never taken from the command line', [
      `set the environment variable ${PASSWORD_ENV}, or leave it unset to be asked for the password`,
    ]);
  }
  if (!url.username) throw new UserError('--db: the URL has no user name; expected mysql://user@host[:port]/alienvault');
  if (!url.hostname) throw new UserError('--db: the URL has no host; expected mysql://user@host[:port]/alienvault');
  if (url.search || url.hash) throw new UserError('--db: query parameters and fragments are not supported');
  const user = decodeURIComponent(url.username);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || defaultDatabase;
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) throw new UserError(`--db: "${database}" is not a plain database name`);
  const port = url.port ? Number(url.port) : 3306;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { user, host, port, database, display: `mysql://${encodeURIComponent(user)}@${url.host || host}/${database}` };
}
