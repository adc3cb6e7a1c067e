/**
 * Reproducible archives: entries sorted, fixed timestamp and modes, no owner names; the same
 * bundle always gives the same bytes. The timestamp is SOURCE_DATE_EPOCH when set.
 */
import archiver from 'archiver';
import { PassThrough } from 'node:stream';
import type { BundleFile } from '../../connectors/types.js';

export type ArchiveFormat = 'tar.gz' | 'zip';

export function fixedDate(): Date {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date('2000-01-01T00:00:00Z');
}

/** Archive of `files` under the top-level folder `topDir`. */
export async function createArchive(files: BundleFile[], topDir: string, format: ArchiveFormat): Promise<Buffer> {
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
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of sorted) {
    const content = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
    archive.append(content, { name: `${topDir}/${f.path}`, date, mode: f.mode });
  }
  await archive.finalize();
  await done;
  return Buffer.concat(chunks);
}
