/**
 * A real, throw-away MariaDB server for integration tests: a fresh datadir in the system temp
 * folder (mariadb-install-db), a random TCP port bound to 127.0.0.1 only, and a unix socket in
 * that temp folder. Root logs in without a password (mariadb-install-db
 * --auth-root-authentication-method=normal), over TCP or the socket. `stop()` shuts the server
 * down and removes the folder; a server still running when the test process exits is killed.
 *
 * Server character set: the compiled-in default (latin1), so SQL files must say which charset
 * they are written in (SET NAMES) — as on an appliance whose client charset is not UTF-8.
 *
 * sql_mode: by default the server runs with MariaDB's own default (10.11:
 * STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION);
 * pass `sqlMode` to test under another one (e.g. '' for the permissive mode of older appliances).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './net.js';

export interface MariaDbOptions {
  /** Value for the server's global sql_mode; absent = the server default. */
  sqlMode?: string;
  /** Databases created empty before the server is handed out (default: none). */
  databases?: string[];
  /** Seconds to wait for the server to accept connections (default 60). */
  startTimeoutSec?: number;
}

export interface MysqlCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface MariaDb {
  host: '127.0.0.1';
  port: number;
  /** Unix socket path (inside the temp folder). */
  socket: string;
  /** Superuser with no password. */
  user: 'root';
  /** The temp folder holding datadir, socket, pid and error log. */
  dir: string;
  /** Runs SQL as root over one shared mysql2 connection (multipleStatements on); returns the rows of the last statement. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs the `mysql` command-line client as root on the socket with `sql` on stdin, the way ossim-db does. */
  mysqlCli(sql: string, args?: string[]): MysqlCliResult;
  /** The server's error log so far (for failure messages). */
  errorLog(): string;
  /** Kills the server at once (SIGKILL), as a power cut or the OOM killer would. */
  crash(): Promise<void>;
  /** Starts the crashed server again on the same port and data (InnoDB recovers what was committed). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test that crashes before afterAll must not leave a server behind.
  process.on('exit', () => {
    for (const p of running) p.kill('SIGKILL');
  });
}

function findBinary(names: string[]): string {
  for (const n of names) {
    for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/usr/libexec']) {
      const p = join(dir, n);
      if (existsSync(p)) return p;
    }
  }
  throw new Error(`none of ${names.join(', ')} found: install the mariadb-server and mariadb-client packages`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startOnce(opts: MariaDbOptions): Promise<MariaDb> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'ctconnect-mariadb-'));
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const errLog = join(dir, 'error.log');
  const asRoot = process.getuid?.() === 0;
  const userArgs = asRoot ? ['--user=root'] : [];

  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  const inst = spawnSync(
    installDb,
    ['--no-defaults', `--datadir=${datadir}`, ...userArgs, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (inst.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed (exit ${inst.status}):\n${inst.stdout}\n${inst.stderr}`);
  }

  const port = await freePort();
  const serverArgs = [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    `--log-error=${errLog}`,
    `--tmpdir=${dir}`,
    '--skip-name-resolve',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=32M',
    '--innodb-log-file-size=8M',
    ...(opts.sqlMode !== undefined ? [`--sql-mode=${opts.sqlMode}`] : []),
    ...userArgs,
  ];
  const errorLog = () => (existsSync(errLog) ? readFileSync(errLog, 'utf8') : '');
  let child: ChildProcess;
  let exited: number | null | undefined;
  let exitPromise: Promise<void>;

  /** Spawns mariadbd and waits until it accepts a connection on the socket. */
  async function launch(): Promise<mysql.Connection> {
    child = spawn(findBinary(['mariadbd', 'mysqld']), serverArgs, { stdio: 'ignore' });
    running.add(child);
    exited = undefined;
    const me = child;
    exitPromise = new Promise<void>((resolve) =>
      me.on('exit', (code) => {
        exited = code;
        running.delete(me);
        resolve();
      }),
    );
    const deadline = Date.now() + (opts.startTimeoutSec ?? 60) * 1000;
    for (;;) {
      if (exited !== undefined) {
        const log = errorLog();
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`mariadbd exited with code ${exited} during start-up; error log:\n${log}`);
      }
      try {
        return await mysql.createConnection({ socketPath: socket, user: 'root', multipleStatements: true, charset: 'utf8mb4' });
      } catch (e) {
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          await exitPromise;
          const log = errorLog();
          rmSync(dir, { recursive: true, force: true });
          throw new Error(`mariadbd did not accept connections within ${opts.startTimeoutSec ?? 60}s (${(e as Error).message}); error log:\n${log}`, {
            cause: e,
          });
        }
        await sleep(100);
      }
    }
  }

  let connection = await launch();
  for (const db of opts.databases ?? []) await connection.query(`CREATE DATABASE \`${db.replace(/`/g, '``')}\``);

  const mysqlBin = findBinary(['mariadb', 'mysql']);
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    socket,
    user: 'root',
    dir,
    async query<T>(sql: string, params?: unknown[]) {
      const [result] = await connection.query(sql, params);
      if (!Array.isArray(result)) return [];
      // Several statements give one result per statement (row arrays or ResultSetHeaders): keep the last row set.
      const multi = result.length > 0 && (Array.isArray(result[0]) || (result[0] as object).constructor?.name === 'ResultSetHeader');
      if (!multi) return result as T[];
      const sets = (result as unknown[]).filter((r) => Array.isArray(r));
      return (sets.length > 0 ? sets[sets.length - 1] : []) as T[];
    },
    mysqlCli(sql: string, args: string[] = []) {
      const r = spawnSync(mysqlBin, ['--no-defaults', `--socket=${socket}`, '--user=root', '--batch', ...args], {
        input: sql,
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
    },
    errorLog,
    async crash() {
      connection.destroy();
      if (exited === undefined) {
        child.kill('SIGKILL');
        await exitPromise;
      }
    },
    async restart() {
      connection = await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await connection.end().catch(() => undefined);
      if (exited === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exitPromise;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a server (a second attempt on a new port if the first one lost a port race).
 * Call `stop()` in afterAll.
 */
export async function startMariaDb(opts: MariaDbOptions = {}): Promise<MariaDb> {
  try {
    return await startOnce(opts);
  } catch (e) {
    if (!/Address already in use|Can't start server/i.test((e as Error).message)) throw e;
    return startOnce(opts);
  }
}
