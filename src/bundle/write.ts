/**
 * Writes bundles to disk all-or-nothing across the whole run:
 * 1. check what is in the way: an existing bundle folder must be a ctconnect bundle of the same
 *    site (else --force) holding only the files its MANIFEST lists (generate never deletes files
 *    it did not write, --force or not); an existing archive must be a plain file;
 * 2. build the bundles one after another, each written under a temporary folder inside OUT while
 *    the next is built (files the earlier run already has, byte for byte, are linked, not written
 *    again); a failure of either removes that folder (and OUT, when this run made it);
 * 3. move each old folder and archive aside and the new ones into place by rename; if a move
 *    fails, every move done so far is undone, so OUT is as it was before the run.
 */
import {
  closeSync,
  fchmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  open,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Bundle } from './build.js';
import type { BundleFile } from '../model/bundle.js';
import { createArchive, type ArchiveFormat } from '../formats/archive.js';
import { MANIFEST_PATH, parseManifest, type BundleOrigin } from './manifest.js';
import { InternalError, UserError } from '../kernel/errors.js';
import { asPathProblem, checkOutputFolder } from '../kernel/files.js';

export interface WrittenBundle {
  id: string;
  folder: string;
  archive?: string;
  files: number;
  /** Archives of an earlier run in another format, removed: they held what this run replaced. */
  removed: string[];
}

export interface WriteOptions {
  /** Replace bundle folders generated from another site file. */
  force?: boolean;
  /** The rename used for the moves; fault tests replace it. */
  rename?: (from: string, to: string) => void;
  /** Polled before each bundle is built and before the moves: once true, the run ends with nothing written. */
  interrupted?: () => boolean;
}

const ARCHIVE_FORMATS: readonly ArchiveFormat[] = ['tar.gz', 'zip'];

const errCode = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

function kindOf(path: string): 'none' | 'file' | 'dir' | 'other' {
  try {
    const st = lstatSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw e;
  }
}

/** Files (and links) under `dir`, relative, with POSIX separators. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** A bundle to write: which, from which site, and how to build it (called in turn, while the bundles before it are written). */
export interface BundleJob {
  id: string;
  origin: BundleOrigin;
  build(): Promise<Bundle>;
}

/** The job of a bundle already built. */
export function builtJob(bundle: Bundle): BundleJob {
  const manifest = bundle.files.find((f) => f.path === MANIFEST_PATH);
  const origin = manifest && parseManifest(manifest.content.toString())?.origin;
  if (!origin) throw new InternalError(`the ${bundle.connector.id} bundle was built to be checked only (no MANIFEST)`);
  return { id: bundle.connector.id, origin, build: () => Promise.resolve(bundle) };
}

/** Why the old bundle folder may not be replaced, or undefined when it may. */
function folderObstacle(id: string, now: BundleOrigin, folder: string, force: boolean): string[] | undefined {
  const kind = kindOf(folder);
  if (kind === 'none') return undefined;
  const notOurs = [
    `${folder} is not a ctconnect bundle folder (no MANIFEST of a ${id} bundle); generate never deletes files it did not write: move it away or choose another --out`,
  ];
  if (kind !== 'dir') return notOurs;
  let text: string;
  try {
    text = readFileSync(join(folder, MANIFEST_PATH), 'utf8');
  } catch {
    return notOurs;
  }
  const old = parseManifest(text);
  if (!old || old.id !== id) return notOurs;
  const listed = new Set(old.paths);
  const extra = filesUnder(folder).filter((f) => !listed.has(f));
  if (extra.length > 0) {
    const shown = extra
      .slice(0, 5)
      .map((f) => join(folder, f))
      .join(', ');
    return [
      `${folder} holds files its MANIFEST does not list (${shown}${extra.length > 5 ? `, and ${extra.length - 5} more` : ''}); generate never deletes files it did not write: move them away first`,
    ];
  }
  if (force) return undefined;
  if (!old.origin) return [`${folder} does not say which site file it was generated from; --force replaces it with the bundle of ${now.file}`];
  if (old.origin.file !== now.file) {
    return [
      `${folder} was generated from another site: ${old.origin.name} (${old.origin.file}); this run uses ${now.name} (${now.file}). Give --config for that site, choose another --out, or --force to replace it`,
    ];
  }
  return undefined;
}

export async function writeBundles(
  jobs: readonly BundleJob[],
  outDir: string,
  archive: ArchiveFormat | 'none',
  opts: WriteOptions = {},
): Promise<WrittenBundle[]> {
  const rename = opts.rename ?? renameSync;
  const archiveOf = (id: string) => join(outDir, `${id}.${archive}`);
  checkOutputFolder(outDir, `--out ${outDir}`);

  // 1. Everything that would stop the run, before anything is built or written.
  const obstacles: string[] = [];
  for (const { id, origin } of jobs) {
    const folder = join(outDir, id);
    obstacles.push(...(folderObstacle(id, origin, folder, !!opts.force) ?? []));
    if (archive === 'none') continue;
    const kind = kindOf(archiveOf(id));
    if (kind === 'dir' || kind === 'other') obstacles.push(`${archiveOf(id)} exists and is not a file; move it away`);
    else if (kind === 'file' && kindOf(folder) === 'none' && !opts.force) {
      obstacles.push(`${archiveOf(id)} exists without its bundle folder, so it may not be ctconnect's; move it away or --force to replace it`);
    }
  }
  if (obstacles.length > 0) throw new UserError(`--out ${outDir}: nothing was written`, obstacles);

  let staging: string;
  // The first folder this run created on the way to OUT, if any (`mkdir -p` returns it).
  let createdFrom: string | undefined;
  try {
    createdFrom = mkdirSync(outDir, { recursive: true });
    staging = mkdtempSync(join(outDir, '.ctconnect-staging-'));
  } catch (e) {
    throw asPathProblem(`--out ${outDir}`, outDir, e);
  }
  // Takes back what this run made: the staging folder (unless it holds what a failed move could not
  // put back), then the folders it created for OUT, from OUT up (each only while empty).
  const cleanUp = (e: unknown) => {
    if (e instanceof UserError && e.details.some((d) => d.includes('NOT RESTORED'))) return;
    rmSync(staging, { recursive: true, force: true });
    if (createdFrom === undefined) return;
    const top = resolve(createdFrom);
    for (let dir = resolve(outDir); dir.startsWith(top); dir = dirname(dir)) {
      try {
        rmdirSync(dir);
      } catch {
        return;
      }
      if (dir === top) return;
    }
  };

  // 2. The new bundles, complete, beside their destination. A bundle's files are created on Node's
  // thread pool (creating a file can cost a disk 0.1–0.3 ms; spent side by side, and while the next
  // bundle is built on this thread); zlib compresses its archive there too.
  const bundles: Bundle[] = [];
  // A bundle that could not be built fails the run as it is: only the writes' errors are the output folder's problems.
  let buildFailure: { error: unknown } | undefined;
  try {
    const writes: Array<Promise<void>> = [];
    // Bundle folders and archives the earlier run left exactly as this run would write them: they stay where they are.
    const kept = new Set<string>();
    let stopped: { error: unknown } | undefined;
    try {
      const made = new Set<string>();
      for (const job of jobs) {
        if (opts.interrupted?.()) throw new UserError(`--out ${outDir}: interrupted; nothing was written`);
        let b: Bundle;
        try {
          b = await job.build();
        } catch (e) {
          buildFailure = { error: e };
          throw e;
        }
        if (!b.files.some((f) => f.path === MANIFEST_PATH)) throw new InternalError(`the ${b.connector.id} bundle was built to be checked only (no MANIFEST)`);
        bundles.push(b);
        const id = b.connector.id;
        const root = join(staging, id);
        const earlier = join(outDir, id);
        if (sameFolder(earlier, b.files)) kept.add(earlier);
        else {
          for (const f of b.files) {
            const path = join(root, f.path);
            if (!made.has(dirname(path))) mkdirSync(dirname(path), { recursive: true });
            made.add(dirname(path));
            if (!linkedIfSame(join(earlier, f.path), path, f.content, f.mode)) writes.push(writeNew(path, f.content, f.mode));
          }
        }
        if (archive !== 'none') {
          const path = join(staging, `${id}.${archive}`);
          writes.push(
            createArchive(b.files, id, archive).then((bytes) => {
              if (kept.has(earlier) && sameFile(archiveOf(id), bytes, 0o644)) kept.add(archiveOf(id));
              else if (!linkedIfSame(archiveOf(id), path, bytes, 0o644)) return writeNew(path, bytes);
            }),
          );
        }
      }
    } catch (e) {
      stopped = { error: e };
    }
    // Every write ends before the staging folder may be removed; then the first failure is thrown.
    const failed = (await Promise.allSettled(writes)).find((r) => r.status === 'rejected');
    if (stopped) throw stopped.error;
    if (failed) throw failed.reason;
    if (opts.interrupted?.()) throw new UserError(`--out ${outDir}: interrupted; nothing was written`);

    // 3. The moves, each with its undo.
    const undo: Array<{ from: string; to: string }> = [];
    const move = (from: string, to: string): void => {
      rename(from, to);
      undo.push({ from: to, to: from });
    };
    const written: WrittenBundle[] = [];
    try {
      for (const b of bundles) {
        const id = b.connector.id;
        const folder = join(outDir, id);
        const hadFolder = kindOf(folder) !== 'none';
        if (!kept.has(folder)) {
          if (hadFolder) move(folder, join(staging, `${id}.previous`));
          move(join(staging, id), folder);
        }
        // An archive of another format beside our old folder is of that earlier bundle: left there it
        // would be taken for this one (a distributed Splunk app next to a single-instance folder).
        const removed: string[] = [];
        for (const other of ARCHIVE_FORMATS.filter((f) => f !== archive)) {
          const stale = join(outDir, `${id}.${other}`);
          if (!hadFolder || kindOf(stale) !== 'file') continue;
          move(stale, join(staging, `${id}.${other}.previous`));
          removed.push(stale);
        }
        let archivePath: string | undefined;
        if (archive !== 'none') {
          archivePath = archiveOf(id);
          if (!kept.has(archivePath)) {
            if (kindOf(archivePath) !== 'none') move(archivePath, join(staging, `${id}.${archive}.previous`));
            move(join(staging, `${id}.${archive}`), archivePath);
          }
        }
        written.push({ id, folder, archive: archivePath, files: b.files.length, removed });
      }
    } catch (e) {
      const notRestored: string[] = [];
      for (const u of undo.reverse()) {
        try {
          rename(u.from, u.to);
        } catch (e2) {
          notRestored.push(`${u.to}: NOT RESTORED (${errCode(e2)}); its previous content is in ${u.from}`);
        }
      }
      if (notRestored.length > 0) {
        // Keep the staging folder: it holds what could not be put back.
        throw new UserError(`--out ${outDir}: a move failed (${errCode(e)}) and some earlier content could not be put back`, notRestored);
      }
      throw new UserError(`--out ${outDir}: could not put the bundles in place (${errCode(e)}); every bundle folder and archive is as it was`);
    }
    rmSync(staging, { recursive: true, force: true });
    return written;
  } catch (e) {
    cleanUp(e);
    throw buildFailure?.error === e ? e : asPathProblem(`--out ${outDir}`, outDir, e);
  }
}

/** Whether `path` is a regular file of this user holding exactly `content`, with `mode` (and, if `alone`, no other name). */
function sameFile(path: string, content: string | Buffer, mode: number, alone = false): boolean {
  try {
    const st = lstatSync(path);
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    if (!st.isFile() || (alone && st.nlink !== 1) || st.uid !== process.getuid?.() || (st.mode & 0o7777) !== mode || st.size !== bytes.length) return false;
    return readFileSync(path).equals(bytes);
  } catch {
    return false;
  }
}

/**
 * Whether the earlier run's bundle folder holds exactly `files` (the paths its MANIFEST lists, which
 * are all it holds — see folderObstacle —, each with the same bytes and mode): then a re-run leaves it
 * as it is.
 */
function sameFolder(folder: string, files: BundleFile[]): boolean {
  let old;
  try {
    old = parseManifest(readFileSync(join(folder, MANIFEST_PATH), 'utf8'));
  } catch {
    return false;
  }
  if (!old || old.paths.length !== files.length) return false;
  const listed = new Set(old.paths);
  return files.every((f) => listed.has(f.path) && sameFile(join(folder, f.path), f.content, f.mode));
}

/**
 * A re-run writes only what changed: when the earlier run's file at `earlier` holds exactly `content`
 * with `mode`, belongs to this user and has no other name, it is linked at `path` instead of written
 * again (no new file, no rewrite of a large unchanged one; it keeps its timestamps). The earlier
 * folder is removed after the moves, so the file is again the only name of its data; if the run
 * fails, only the staging link goes.
 */
function linkedIfSame(earlier: string, path: string, content: string | Buffer, mode: number): boolean {
  if (!sameFile(earlier, content, mode, true)) return false;
  try {
    linkSync(earlier, path);
    return true;
  } catch {
    return false;
  }
}

/** Creates `path` (it must not exist) with `content`, and `mode` exactly (not as the umask leaves it). */
function writeNew(path: string, content: string | Buffer, mode?: number): Promise<void> {
  // Creating the file is what takes the disk time: that is done on the thread pool, side by side with
  // the other files. Writing a bundle file's few kB and setting its mode take microseconds: done
  // right here, as one more round trip to the pool each would cost more.
  return new Promise((resolve, reject) => {
    open(path, 'wx', mode ?? 0o666, (e, fd) => {
      if (e) return reject(e);
      try {
        writeFileSync(fd, content);
        if (mode !== undefined) fchmodSync(fd, mode);
        resolve();
      } catch (err) {
        reject(err instanceof Error ? err : new InternalError(String(err)));
      } finally {
        closeSync(fd);
      }
    });
  });
}

/**
 * What in `outDir` generate did not make: anything but bundle folders (with a MANIFEST), their
 * archives and staging folders. The names of the bundles being written (`writing`) are left out:
 * writeBundles says exactly what is wrong with those. Empty when the folder does not exist.
 */
export function foreignEntries(outDir: string, ids: readonly string[], writing: readonly string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(outDir);
  } catch {
    return [];
  }
  const ours = (name: string): boolean => {
    if (name.startsWith('.ctconnect-staging-')) return true;
    if (writing.some((id) => name === id || name === `${id}.tar.gz` || name === `${id}.zip`)) return true;
    const m = /^(.+)\.(?:tar\.gz|zip)$/.exec(name);
    if (m && ids.includes(m[1])) return kindOf(join(outDir, name)) === 'file';
    return ids.includes(name) && kindOf(join(outDir, name, MANIFEST_PATH)) === 'file';
  };
  return names.filter((n) => !ours(n)).sort();
}
