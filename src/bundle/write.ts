/**
 * Writes bundles to disk all-or-nothing: everything is first written under a temporary folder
 * inside OUT, then each bundle folder and archive is moved into place by rename. A failure
 * before the moves leaves OUT as it was.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Bundle } from './build.js';
import { createArchive, type ArchiveFormat } from './archive.js';
import { UserError } from '../core/errors.js';

export interface WrittenBundle {
  id: string;
  folder: string;
  archive?: string;
  files: number;
}

export async function writeBundles(bundles: Bundle[], outDir: string, archive: ArchiveFormat | 'none'): Promise<WrittenBundle[]> {
  // Archives first, in memory: archiving can fail, and then nothing has been written yet.
  const archives = new Map<string, Buffer>();
  if (archive !== 'none') {
    for (const b of bundles) archives.set(b.connector.id, await createArchive(b.files, b.connector.id, archive));
  }
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new UserError(`--out ${outDir}: cannot create the output folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const staging = mkdtempSync(join(outDir, '.ctconnect-staging-'));
  try {
    for (const b of bundles) {
      const root = join(staging, b.connector.id);
      for (const f of b.files) {
        const p = join(root, f.path);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, f.content);
        chmodSync(p, f.mode);
      }
      const buf = archives.get(b.connector.id);
      if (buf) writeFileSync(join(staging, `${b.connector.id}.${archive}`), buf);
    }
    const written: WrittenBundle[] = [];
    for (const b of bundles) {
      const id = b.connector.id;
      const folder = join(outDir, id);
      const old = join(staging, `${id}.previous`);
      if (existsSync(folder)) renameSync(folder, old);
      renameSync(join(staging, id), folder);
      let archivePath: string | undefined;
      if (archives.has(id)) {
        archivePath = join(outDir, `${id}.${archive}`);
        renameSync(join(staging, `${id}.${archive}`), archivePath);
      }
      written.push({ id, folder, archive: archivePath, files: b.files.length });
    }
    return written;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
