/**
 * plugin_sid rows of one plugin in a live ossim `alienvault` database (mysql2): read them under a
 * lock, plan the change against the wanted rows, write a restore script of what will be replaced,
 * and apply everything in one transaction.
 *
 * Context: plugin .sql files and the ossim-db tools use the zero context (16 zero bytes).
 * plugin_sid.plugin_ctx is BINARY(16) NOT NULL without a default, so under the strict sql_mode of
 * current MariaDB an INSERT that leaves it out fails; every statement here names it explicitly.
 */
import mysql from 'mysql2/promise';
import { UserError } from '../../../src/kernel/errors.js';
import { sqlString } from '../../../src/connector/index.js';
import type { DbTarget } from './url.js';

export const ZERO_CTX_HEX = '00000000000000000000000000000000';

/** The columns ctconnect manages; aro is left as it is. */
export interface SidRowValues {
  sid: number;
  name: string;
  category_id: number | null;
  subcategory_id: number | null;
  class_id: number | null;
  priority: number | null;
  reliability: number | null;
}

export interface DbSidRow extends SidRowValues {
  aro: string;
}

const COLUMNS = ['name', 'category_id', 'subcategory_id', 'class_id', 'priority', 'reliability'] as const;

export interface SidUpdate {
  before: DbSidRow;
  after: SidRowValues;
  changed: Array<(typeof COLUMNS)[number]>;
}

export interface SidPlan {
  insert: SidRowValues[];
  update: SidUpdate[];
  delete: DbSidRow[];
}

export function planIsEmpty(p: SidPlan): boolean {
  return p.insert.length + p.update.length + p.delete.length === 0;
}

/** What turns `current` into `wanted`, limited to the SIDs in `scope` (all when absent). */
export function planSidChanges(current: DbSidRow[], wanted: SidRowValues[], scope?: ReadonlySet<number>): SidPlan {
  const inScope = (sid: number) => !scope || scope.has(sid);
  const cur = new Map(current.map((r) => [r.sid, r]));
  const want = new Map(wanted.map((r) => [r.sid, r]));
  const plan: SidPlan = { insert: [], update: [], delete: [] };
  for (const w of wanted) {
    if (!inScope(w.sid)) continue;
    const c = cur.get(w.sid);
    if (!c) {
      plan.insert.push(w);
      continue;
    }
    const changed = COLUMNS.filter((k) => c[k] !== w[k]);
    if (changed.length > 0) plan.update.push({ before: c, after: w, changed });
  }
  for (const c of current) if (inScope(c.sid) && !want.has(c.sid)) plan.delete.push(c);
  plan.insert.sort((a, b) => a.sid - b.sid);
  plan.update.sort((a, b) => a.after.sid - b.after.sid);
  plan.delete.sort((a, b) => a.sid - b.sid);
  return plan;
}

export function describePlan(pluginId: number, p: SidPlan): string[] {
  if (planIsEmpty(p)) return [`plugin_sid rows of plugin ${pluginId}: no change`];
  const out: string[] = [];
  for (const r of p.insert)
    out.push(
      `insert SID ${r.sid}: ${JSON.stringify(r.name)} (category ${r.category_id}/${r.subcategory_id}, priority ${r.priority}, reliability ${r.reliability})`,
    );
  for (const u of p.update) {
    out.push(`update SID ${u.after.sid}: ${u.changed.map((k) => `${k} ${JSON.stringify(u.before[k])} → ${JSON.stringify(u.after[k])}`).join(', ')}`);
  }
  for (const r of p.delete) out.push(`delete SID ${r.sid}: ${JSON.stringify(r.name)}`);
  return out;
}

function sqlNumber(v: number | null): string {
  return v === null ? 'NULL' : String(v);
}

/** A script that puts back every row the plan touches (mysql client or ossim-db). */
export function restoreScript(pluginId: number, p: SidPlan, target: DbTarget, when: Date, what: string): string {
  const touched = [...p.insert.map((r) => r.sid), ...p.update.map((u) => u.after.sid), ...p.delete.map((r) => r.sid)].sort((a, b) => a - b);
  const old = [...p.update.map((u) => u.before), ...p.delete].sort((a, b) => a.sid - b.sid);
  const lines = [
    `-- ctconnect: plugin_sid rows of plugin ${pluginId} in ${target.display} before "${what}", ${when.toISOString()}`,
    `-- To undo that change: mysql -h ${target.host} -P ${target.port} -u ${target.user} -p ${target.database} < THIS_FILE   (or: cat THIS_FILE | ossim-db)`,
    '-- then restart ossim-server.',
    'SET NAMES utf8mb4;',
    "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','));",
    'START TRANSACTION;',
  ];
  if (touched.length > 0) {
    lines.push(`DELETE FROM plugin_sid WHERE plugin_id = ${pluginId} AND plugin_ctx = UNHEX('${ZERO_CTX_HEX}') AND sid IN (${touched.join(', ')});`);
  }
  if (old.length > 0) {
    lines.push('INSERT INTO plugin_sid (plugin_ctx, plugin_id, sid, class_id, reliability, priority, name, aro, subcategory_id, category_id) VALUES');
    old.forEach((r, i) => {
      const v = [
        `UNHEX('${ZERO_CTX_HEX}')`,
        String(pluginId),
        String(r.sid),
        sqlNumber(r.class_id),
        sqlNumber(r.reliability),
        sqlNumber(r.priority),
        sqlString(r.name),
        r.aro,
        sqlNumber(r.subcategory_id),
        sqlNumber(r.category_id),
      ];
      lines.push(`(${v.join(', ')})${i === old.length - 1 ? ';' : ','}`);
    });
  }
  lines.push('COMMIT;', '');
  return lines.join('\n');
}

/** A short reason for a failed database call: the driver's code and message. */
export function describeDbError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? String(e);
  return err.code && !msg.includes(err.code) ? `${err.code}: ${msg}` : msg;
}

/** The answer to COMMIT was lost: whether the change is in the database is not known yet. */
export class CommitUnknown extends UserError {
  constructor(readonly reason: string) {
    super(`no answer to COMMIT (${reason})`);
  }
}

/** Where the rows a plan touches stand: all as planned, all as before, or anything else. */
export function planState(rows: DbSidRow[], p: SidPlan): 'applied' | 'not-applied' | 'neither' {
  const now = new Map(rows.map((r) => [r.sid, r]));
  const same = (r: DbSidRow | undefined, v: SidRowValues | undefined) => (r === undefined || v === undefined ? r === v : COLUMNS.every((k) => r[k] === v[k]));
  const applied =
    p.insert.every((r) => same(now.get(r.sid), r)) && p.update.every((u) => same(now.get(u.after.sid), u.after)) && p.delete.every((r) => !now.has(r.sid));
  if (applied) return 'applied';
  const before =
    p.insert.every((r) => !now.has(r.sid)) && p.update.every((u) => same(now.get(u.before.sid), u.before)) && p.delete.every((r) => same(now.get(r.sid), r));
  return before ? 'not-applied' : 'neither';
}

export type CommitCheck = { state: 'applied' } | { state: 'not-applied' } | { state: 'unknown'; reason: string };

/**
 * After a lost COMMIT answer: connect again, end the old session if the server still has it (so
 * its transaction is either committed or rolled back, never pending), then read the plan's rows
 * under a lock — the read waits for any transaction still holding them — and compare.
 */
export async function checkCommit(target: DbTarget, password: string, pluginId: number, p: SidPlan, lostThreadId: number, attempts = 3): Promise<CommitCheck> {
  let db: OssimDb | undefined;
  let lastError = '';
  for (let i = 0; i < attempts && !db; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1000));
    try {
      db = await OssimDb.connect(target, password, 5_000);
    } catch (e) {
      lastError = (e as Error).message;
    }
  }
  if (!db) return { state: 'unknown', reason: `cannot connect again: ${lastError}` };
  try {
    await db.endSession(lostThreadId);
    await db.begin();
    const rows = await db.lockedSidRows(pluginId);
    await db.rollback();
    const state = planState(rows, p);
    if (state === 'neither') return { state: 'unknown', reason: 'the rows are neither as before nor as planned (changed by someone else meanwhile?)' };
    return state === 'applied' ? { state: 'applied' } : { state: 'not-applied' };
  } catch (e) {
    return { state: 'unknown', reason: `connected again, but could not read the rows: ${(e as Error).message}` };
  } finally {
    await db.close();
  }
}

/** Turns mysql2 connection errors into messages a user can act on. */
function connectError(target: DbTarget, e: unknown): UserError {
  const err = e as { code?: string; message?: string };
  const reason: Record<string, string> = {
    ECONNREFUSED: `connection refused by ${target.host}:${target.port} (is the database running and listening on TCP there?)`,
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ER_ACCESS_DENIED_ERROR: 'access denied (wrong user or password, or the user may not connect from this host)',
    ER_BAD_DB_ERROR: `no database "${target.database}"`,
    ER_DBACCESS_DENIED_ERROR: `the user may not use database "${target.database}"`,
  };
  const why = (err.code && reason[err.code]) || err.message || String(e);
  return new UserError(`cannot connect to ${target.display}: ${why}; nothing was changed`);
}

export class OssimDb {
  private constructor(
    private readonly conn: mysql.Connection,
    readonly target: DbTarget,
  ) {}

  static async connect(target: DbTarget, password: string, connectTimeout = 10_000): Promise<OssimDb> {
    try {
      const conn = await mysql.createConnection({
        host: target.host,
        port: target.port,
        user: target.user,
        password,
        database: target.database,
        charset: 'utf8mb4',
        connectTimeout,
        multipleStatements: false,
        dateStrings: true,
        decimalNumbers: false,
      });
      return new OssimDb(conn, target);
    } catch (e) {
      throw connectError(target, e);
    }
  }

  async begin(): Promise<void> {
    await this.conn.query('START TRANSACTION');
  }

  async rollback(): Promise<void> {
    await this.conn.query('ROLLBACK');
  }

  /** The server's id of this connection (to find it again after the connection was lost). */
  get threadId(): number {
    return this.conn.threadId;
  }

  /**
   * COMMIT, with a time limit on the answer. Throws CommitUnknown when the answer did not come
   * (connection lost, server gone, time limit): the change may or may not be in the database.
   */
  async commit(timeoutMs = 30_000): Promise<void> {
    // Our own timer (cleared in every case): the driver's query timeout keeps the process alive after a lost connection.
    let timer: NodeJS.Timeout | undefined;
    const answer = this.conn.query('COMMIT');
    answer.catch(() => undefined);
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      await Promise.race([answer, limit]);
    } catch (e) {
      this.conn.destroy();
      throw new CommitUnknown(describeDbError(e));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends another session of this server if it still exists (its open transaction is rolled back); a bounded wait for locks afterwards. */
  async endSession(threadId: number): Promise<void> {
    await this.query('SET SESSION innodb_lock_wait_timeout = 10', []);
    const [rows] = await this.query('SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', [threadId]);
    if ((rows as unknown[]).length > 0) await this.conn.query(`KILL CONNECTION ${Number(threadId)}`).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.conn.end().catch(() => this.conn.destroy());
  }

  /** The plugin row exists (the plugin .sql was applied)? Also proves this is an ossim database. */
  async hasPlugin(pluginId: number): Promise<boolean> {
    const [rows] = await this.query('SELECT 1 AS ok FROM plugin WHERE id = ? LIMIT 1', [pluginId]);
    return (rows as unknown[]).length > 0;
  }

  /** Rows of the zero context, locked until the transaction ends. */
  async lockedSidRows(pluginId: number): Promise<DbSidRow[]> {
    const [rows] = await this.query(
      `SELECT sid, name, category_id, subcategory_id, class_id, priority, reliability, CAST(aro AS CHAR) AS aro
         FROM plugin_sid WHERE plugin_id = ? AND plugin_ctx = UNHEX(?) ORDER BY sid FOR UPDATE`,
      [pluginId, ZERO_CTX_HEX],
    );
    return (rows as DbSidRow[]).map((r) => ({ ...r, sid: Number(r.sid) }));
  }

  async apply(pluginId: number, p: SidPlan): Promise<void> {
    for (const r of p.delete) {
      await this.query('DELETE FROM plugin_sid WHERE plugin_id = ? AND plugin_ctx = UNHEX(?) AND sid = ?', [pluginId, ZERO_CTX_HEX, r.sid]);
    }
    for (const u of p.update) {
      const a = u.after;
      await this.query(
        'UPDATE plugin_sid SET name = ?, category_id = ?, subcategory_id = ?, class_id = ?, priority = ?, reliability = ? WHERE plugin_id = ? AND plugin_ctx = UNHEX(?) AND sid = ?',
        [a.name, a.category_id, a.subcategory_id, a.class_id, a.priority, a.reliability, pluginId, ZERO_CTX_HEX, a.sid],
      );
    }
    for (const r of p.insert) {
      await this.query(
        'INSERT INTO plugin_sid (plugin_ctx, plugin_id, sid, class_id, reliability, priority, name, subcategory_id, category_id) VALUES (UNHEX(?), ?, ?, ?, ?, ?, ?, ?, ?)',
        [ZERO_CTX_HEX, pluginId, r.sid, r.class_id, r.reliability, r.priority, r.name, r.subcategory_id, r.category_id],
      );
    }
  }

  private async query(sql: string, params: unknown[]): Promise<[unknown, unknown]> {
    try {
      return await this.conn.execute(sql, params as never[]);
    } catch (e) {
      const err = e as { code?: string; message?: string; fatal?: boolean };
      if (err.fatal) {
        // Nothing was committed yet: the server drops an unfinished transaction with its connection.
        throw new UserError(
          `${this.target.display}: lost the connection before the change was committed (${describeDbError(e)}); the server discards an uncommitted transaction, so nothing was changed`,
        );
      }
      if (err.code === 'ER_NO_SUCH_TABLE') {
        throw new UserError(`${this.target.display}: ${err.message}; is this the ossim "alienvault" database?`);
      }
      throw new UserError(`${this.target.display}: the database refused a statement: ${err.message ?? String(e)}`);
    }
  }
}
