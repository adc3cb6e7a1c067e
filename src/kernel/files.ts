/**
 * The one way ctconnect names backups and replaces files, locally and on targets:
 * - a backup of PATH is `PATH.ctconnect-bak-<UTC time>` (`20250131T235959Z`: sorts by time, no
 *   character a shell or Windows minds), then `-2`, `-3`… when two changes fall in one second;
 * - a file is replaced through a temp file beside it, with the old file's mode and owner, then a
 *   rename: readers see the old file or the new one, never half of one.
 */
import { accessSync, chmodSync, chownSync, constants, copyFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { UserError } from './errors.js';
import { randomHex } from './hash.js';

/** `20250131T235959Z`. */
export function utcStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

const BACKUP_INFIX = '.ctconnect-bak-';

/** The first-choice backup name of `path` at `date`; `backupName(…, n)` is the n-th when that one is taken. */
export function backupName(path: string, date: Date, n = 1): string {
  return `${path}${BACKUP_INFIX}${utcStamp(date)}${n > 1 ? `-${n}` : ''}`;
}

/** Creates the first free name of `backupName(path, date, n)` exclusively with `write`; returns it. */
export function createNumbered(name: (n: number) => string, write: (path: string) => void): string {
  for (let n = 1; ; n++) {
    const candidate = name(n);
    try {
      write(candidate);
      return candidate;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) throw e;
    }
  }
}

/** Copies `path` to its backup name (mode kept, and the owner when `owner` is given); returns the backup's path. */
export function backupFile(path: string, date: Date, owner?: { uid: number; gid: number }): string {
  return createNumbered(
    (n) => backupName(path, date, n),
    (p) => {
      copyFileSync(path, p, constants.COPYFILE_EXCL);
      if (!owner) return;
      try {
        chownSync(p, owner.uid, owner.gid);
      } catch (e) {
        rmSync(p, { force: true });
        throw e;
      }
    },
  );
}

export interface PreparedReplacement {
  /** The temp file holding the new content, beside the real file. */
  tmp: string;
  /** The file that the rename replaces: through a symlink, its target (the link stays a link). */
  real: string;
  /** Mode and owner of the file replaced (absent for a new file). */
  existing?: { mode: number; uid: number; gid: number };
}

/**
 * Writes the new content beside the real file with the old file's mode and owner, ready to be
 * renamed over it. Fails before anything is replaced when owner or mode cannot be kept (e.g.
 * someone else's file, edited without root).
 */
export function prepareReplacement(path: string, content: string | Buffer): PreparedReplacement {
  let real = path;
  let existing: PreparedReplacement['existing'];
  try {
    real = realpathSync(path);
    const st = statSync(real);
    existing = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = join(dirname(real), `.${basename(real)}.ctconnect-${process.pid}-${randomHex(4)}.tmp`);
  writeFileSync(tmp, content, { mode: existing ? 0o600 : 0o666, flag: 'wx' });
  try {
    if (existing) {
      // writeFileSync's mode is reduced by the umask; set it exactly.
      chmodSync(tmp, existing.mode);
      const st = statSync(tmp);
      if (st.uid !== existing.uid || st.gid !== existing.gid) chownSync(tmp, existing.uid, existing.gid);
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return { tmp, real, ...(existing ? { existing } : {}) };
}

/** Replaces `path` atomically (see prepareReplacement); the temp file is removed if the rename fails. */
export function writeFileAtomic(path: string, content: string | Buffer): void {
  const { tmp, real } = prepareReplacement(path, content);
  try {
    renameSync(tmp, real);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * What the user can do about a file-system error on `path` they named (`what`: "--out out", "init
 * site.yaml"): a sentence naming the path, never a bare EISDIR; undefined for errors no user causes.
 */
export function pathProblem(what: string, path: string, e: unknown): UserError | undefined {
  const code = (e as NodeJS.ErrnoException).code;
  // The path the user named, not a temp file beside it.
  const on = path;
  const why: Record<string, string> = {
    ENOENT: `the folder ${dirname(on)} does not exist: create it first or choose another path`,
    ENOTDIR: `a part of ${on} is a file, not a folder: choose a path under a folder`,
    EISDIR: `${on} is a folder: name a file`,
    EEXIST: `${on} exists and is not a folder: choose another path or move it away`,
    EACCES: `no permission to write ${on}: choose a folder you may write, or run as a user who may`,
    EPERM: `no permission to write ${on}: choose a folder you may write, or run as a user who may`,
    EROFS: `${on} is on a read-only file system: choose another path`,
    ENOSPC: `no space left on the device of ${on}: free some or choose another path`,
    EDQUOT: `disk quota exceeded writing ${on}: free some or choose another path`,
    ENAMETOOLONG: `${on}: name too long`,
    ELOOP: `${on}: too many symbolic links on the way`,
  };
  return code && why[code] ? new UserError(`${what}: cannot write: ${why[code]}`, ['nothing was written']) : undefined;
}

/** `pathProblem`, or the error itself when it is none a user causes. */
export const asPathProblem = (what: string, path: string, e: unknown): unknown => pathProblem(what, path, e) ?? e;

/**
 * Checks, before anything is created, that `dir` can be (or is) a folder to write into: every
 * existing part of it is a folder, the nearest existing one may be written, and it is not under
 * /proc or /sys (kernel file systems, where a recursive mkdir never ends).
 */
export function checkOutputFolder(dir: string, what: string): void {
  const target = resolve(dir);
  // The nearest part of the path that exists (ENOTDIR: a part above is a file; it is found on the way up).
  let existing = target;
  for (;;) {
    try {
      statSync(existing);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw asPathProblem(what, dir, e);
      existing = dirname(existing);
    }
  }
  const real = realpathSync(existing);
  if (['/proc', '/sys'].some((k) => real === k || real.startsWith(k + sep))) {
    throw new UserError(`${what}: cannot write: ${real} is a kernel file system (/proc, /sys), not a place for files: choose another path`, [
      'nothing was written',
    ]);
  }
  if (!statSync(existing).isDirectory()) {
    const which =
      existing === target
        ? `${dir} is a file, not a folder: choose another path or move it away`
        : `${existing} is a file, not a folder: choose a path under a folder`;
    throw new UserError(`${what}: cannot write: ${which}`, ['nothing was written']);
  }
  try {
    accessSync(existing, constants.W_OK);
  } catch (e) {
    throw asPathProblem(what, existing, e);
  }
}
