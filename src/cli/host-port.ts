/** Parses HOST:PORT given on the command line. */
import { UserError } from '../kernel/errors.js';

export function parseHostPort(value: string, option: string): { host: string; port: number } {
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new UserError(`${option}: must be HOST:PORT, e.g. 127.0.0.1:514 (got "${value}")`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}
