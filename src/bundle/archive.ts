/**
 * Reproducible archives: entries sorted, fixed timestamp and modes, no owner names; the same
 * bundle always gives the same bytes. The timestamp is SOURCE_DATE_EPOCH when set.
 */
import type archiver from 'archiver';
import { PassThrough } from 'node:stream';
import type { BundleFile } from '../../connectors/types.js';

export type ArchiveFormat = 'tar.gz' | 'zip';

export function fixedDate(): Date {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date('2000-01-01T00:00:00Z');
}

/** Archive of `files` under the top-level folder `topDir`. */
export async function createArchive(files: BundleFile[], topDir: string, format: ArchiveFormat): Promise<Buffer> {
  // Loaded here, not at the top: archiver and its dependencies take about 40 ms to load, and most commands write no archive.
  const { default: archiver } = await import('archiver');
  const archive =
    format === 'zip'
      ? archiver('zip', { zlib: { level: 9 }, forceLocalTime: false } as archiver.ArchiverOptions)
      : archiver('tar', { gzip: true, gzipOptions: { level: 9 } });
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    sink.on('end', resolve);
    sink.on('error', reject);
    archive.on('error', reject);
    archive.on('warning', reject);
  });
  archive.pipe(sink);
  const date = fixedDate();
  // Folder entries too (0755), so what an extracted archive looks like does not depend on the umask.
  const folders = new Set<string>([`${topDir}/`]);
  for (const f of files) {
    const parts = f.path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) folders.add(`${topDir}/${parts.slice(0, i).join('/')}/`);
  }
  const entries: Array<{ name: string; content?: Buffer; mode: number }> = [
    ...[...folders].map((name) => ({ name, mode: 0o755 })),
    ...files.map((f) => ({ name: `${topDir}/${f.path}`, content: typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content, mode: f.mode })),
  ];
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.content) archive.append(e.content, { name: e.name, date, mode: e.mode });
    else archive.append(Buffer.alloc(0), { name: e.name, date, mode: e.mode, type: 'directory' } as archiver.EntryData);
  }
  await archive.finalize();
  await done;
  return Buffer.concat(chunks);
}
