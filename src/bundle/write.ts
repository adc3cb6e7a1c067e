/**
 * Writes bundles to disk all-or-nothing across the whole run:
 * 1. check what is in the way: an existing bundle folder must be a ctconnect bundle of the same
 *    site (else --force) holding only the files its MANIFEST lists (generate never deletes files
 *    it did not write, --force or not); an existing archive must be a plain file;
 * 2. write everything under a temporary folder inside OUT;
 * 3. move each old folder and archive aside and the new ones into place by rename; if a move
 *    fails, every move done so far is undone, so OUT is as it was before the run.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Bundle } from './build.js';
import { createArchive, type ArchiveFormat } from '../formats/archive.js';
import { MANIFEST_PATH, parseManifest } from './manifest.js';
import { UserError } from '../kernel/errors.js';
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

/** Why the old bundle folder may not be replaced, or undefined when it may. */
function folderObstacle(b: Bundle, folder: string, force: boolean): string[] | undefined {
  const kind = kindOf(folder);
  if (kind === 'none') return undefined;
  const notOurs = [
    `${folder} is not a ctconnect bundle folder (no MANIFEST of a ${b.connector.id} bundle); generate never deletes files it did not write: move it away or choose another --out`,
  ];
  if (kind !== 'dir') return notOurs;
  let text: string;
  try {
    text = readFileSync(join(folder, MANIFEST_PATH), 'utf8');
  } catch {
    return notOurs;
  }
  const old = parseManifest(text);
  if (!old || old.id !== b.connector.id) return notOurs;
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
  const now = parseManifest(b.files.find((f) => f.path === MANIFEST_PATH)!.content.toString())!.origin!;
  if (force) return undefined;
  if (!old.origin) return [`${folder} does not say which site file it was generated from; --force replaces it with the bundle of ${now.file}`];
  if (old.origin.file !== now.file) {
    return [
      `${folder} was generated from another site: ${old.origin.name} (${old.origin.file}); this run uses ${now.name} (${now.file}). Give --config for that site, choose another --out, or --force to replace it`,
    ];
  }
  return undefined;
}

export async function writeBundles(bundles: Bundle[], outDir: string, archive: ArchiveFormat | 'none', opts: WriteOptions = {}): Promise<WrittenBundle[]> {
  const rename = opts.rename ?? renameSync;
  const archiveOf = (id: string) => join(outDir, `${id}.${archive}`);
  checkOutputFolder(outDir, `--out ${outDir}`);

  // 1. Everything that would stop the run, before anything is written.
  const obstacles: string[] = [];
  for (const b of bundles) {
    const folder = join(outDir, b.connector.id);
    obstacles.push(...(folderObstacle(b, folder, !!opts.force) ?? []));
    if (archive === 'none') continue;
    const kind = kindOf(archiveOf(b.connector.id));
    if (kind === 'dir' || kind === 'other') obstacles.push(`${archiveOf(b.connector.id)} exists and is not a file; move it away`);
    else if (kind === 'file' && kindOf(folder) === 'none' && !opts.force) {
      obstacles.push(`${archiveOf(b.connector.id)} exists without its bundle folder, so it may not be ctconnect's; move it away or --force to replace it`);
    }
  }
  if (obstacles.length > 0) throw new UserError(`--out ${outDir}: nothing was written`, obstacles);

  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw asPathProblem(`--out ${outDir}`, outDir, e);
  }

  // 2. The new bundles, complete, beside their destination. The archives are made in memory while
  // the files are written (zlib compresses on Node's thread pool, so all of it takes the cores
  // there are); a failure of either ends the run before anything has been moved into place.
  let staging: string;
  try {
    staging = mkdtempSync(join(outDir, '.ctconnect-staging-'));
  } catch (e) {
    throw asPathProblem(`--out ${outDir}`, outDir, e);
  }
  try {
    const write = async (w: { path: string; content: string | Buffer; mode?: number }) => {
      await writeFile(w.path, w.content);
      if (w.mode !== undefined) await chmod(w.path, w.mode);
    };
    const writes: Array<{ path: string; content: string | Buffer; mode?: number }> = [];
    for (const b of bundles) {
      const root = join(staging, b.connector.id);
      for (const f of b.files) writes.push({ path: join(root, f.path), content: f.content, mode: f.mode });
    }
    for (const folder of new Set(writes.map((w) => dirname(w.path)))) mkdirSync(folder, { recursive: true });
    const archiving =
      archive === 'none'
        ? []
        : bundles.map(async (b) =>
            write({ path: join(staging, `${b.connector.id}.${archive}`), content: await createArchive(b.files, b.connector.id, archive) }),
          );
    await allDone([...archiving, ...writes.map(write)]);

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
        if (hadFolder) move(folder, join(staging, `${id}.previous`));
        move(join(staging, id), folder);
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
          if (kindOf(archivePath) !== 'none') move(archivePath, join(staging, `${id}.${archive}.previous`));
          move(join(staging, `${id}.${archive}`), archivePath);
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
    await rm(staging, { recursive: true, force: true });
    return written;
  } catch (e) {
    if (!(e instanceof UserError && e.details.some((d) => d.includes('NOT RESTORED')))) await rm(staging, { recursive: true, force: true });
    throw asPathProblem(`--out ${outDir}`, outDir, e);
  }
}

/** Waits for every one (so none is still writing into a folder about to be removed), then throws the first failure. */
async function allDone(work: Array<Promise<void>>): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
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
