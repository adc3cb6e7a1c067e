/** The SQL string escaper checked by a real MariaDB server: every literal reads back byte for byte. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlString, EscapeError } from '../../src/render/escape.js';
import { startMariaDb, type MariaDb } from '../helpers/mariadb.js';

const HOSTILE = [
  'plain',
  "O'Brien",
  "two '' quotes",
  'back\\slash',
  'trailing\\',
  "\\'",
  'line\nbreak\r\n',
  'ctrl-z \u001a',
  '%(x)s ; -- comment',
  'unicode é 日本 Ж',
  "'); DROP TABLE t; --",
];

describe('SQL string escaping (MariaDB)', () => {
  let db: MariaDb;
  beforeAll(async () => {
    db = await startMariaDb();
  });
  afterAll(async () => {
    await db?.stop();
  });

  it.each(HOSTILE)('%j reads back exactly through the mysql client', (value) => {
    // The mysql client, as ossim-db feeds SQL files to it; HEX() shows the stored bytes exactly.
    const r = db.mysqlCli(`SET NAMES utf8mb4; SELECT HEX(${sqlString(value)}) AS h;`, ['--batch', '--skip-column-names']);
    expect(r.code, r.stderr).toBe(0);
    expect(Buffer.from(r.stdout.trim(), 'hex').toString('utf8')).toBe(value);
  });

  it('refuses NUL', () => {
    expect(() => sqlString('a\u0000b')).toThrow(EscapeError);
  });
});
