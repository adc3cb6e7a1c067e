/**
 * Reproducible archives: entries sorted, fixed timestamp and modes, no owner names; the same
 * bundle always gives the same bytes. The timestamp is SOURCE_DATE_EPOCH when set.
 */
import type archiver from 'archiver';
import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import type { BundleFile } from '../model/bundle.js';

export type ArchiveFormat = 'tar.gz' | 'zip';

/** zlib's default: level 9 took several times as long (90 ms on a large AlienVault bundle) for archives 0.5–1% smaller. */
const COMPRESSION_LEVEL = 6;

const gzipAsync = promisify(gzip);

export function fixedDate(): Date {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date('2000-01-01T00:00:00Z');
}

type Entry = { name: string; content?: Buffer; mode: number };

/** Archive of `files` under the top-level folder `topDir`. */
export async function createArchive(files: BundleFile[], topDir: string, format: ArchiveFormat): Promise<Buffer> {
  // Folder entries too (0755), so what an extracted archive looks like does not depend on the umask.
  const folders = new Set<string>([`${topDir}/`]);
  for (const f of files) {
    const parts = f.path.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) folders.add(`${topDir}/${parts.slice(0, i).join('/')}/`);
  }
  const entries: Entry[] = [
    ...[...folders].map((name) => ({ name, mode: 0o755 })),
    ...files.map((f) => ({ name: `${topDir}/${f.path}`, content: typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content, mode: f.mode })),
  ];
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return format === 'zip' ? zipArchive(entries) : tarGzArchive(entries);
}

/** Collects a stream's bytes. */
function collected(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise<Buffer>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/**
 * tar.gz straight from tar-stream and zlib, the two that archiver uses for it, with the headers
 * it would give, without loading archiver (about 90 ms), which every Splunk bundle (its .spl)
 * would otherwise cost.
 */
async function tarGzArchive(entries: Entry[]): Promise<Buffer> {
  // Through `default` (module.exports): a bundled CommonJS module offers nothing else to import().
  const { pack } = (await import('tar-stream')).default;
  const tar = pack();
  const bytes = buffer(tar);
  const mtime = fixedDate();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, mode: e.mode & 0o7777, mtime, type: e.content ? ('file' as const) : ('directory' as const) };
      tar.entry(header, e.content ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }
  tar.finalize();
  // Compressed in one piece, into one output buffer, not streamed: each piece of a stream is a
  // round trip to Node's thread pool (about a hundred for a large AlienVault forwarding file).
  const tarBytes = await bytes;
  return gzipAsync(tarBytes, { level: COMPRESSION_LEVEL, chunkSize: Math.max(constants.Z_DEFAULT_CHUNK, tarBytes.length + 1024) });
}

async function zipArchive(entries: Entry[]): Promise<Buffer> {
  // Loaded here, not at the top: archiver and its dependencies take about 90 ms to load.
  const { default: archiver } = await import('archiver');
  const archive = archiver('zip', { zlib: { level: COMPRESSION_LEVEL }, forceLocalTime: false });
  const sink = new PassThrough();
  const done = collected(sink);
  archive.on('error', (e) => sink.destroy(e));
  archive.on('warning', (e) => sink.destroy(e));
  archive.pipe(sink);
  const date = fixedDate();
  for (const e of entries) {
    if (e.content) archive.append(e.content, { name: e.name, date, mode: e.mode });
    else archive.append(Buffer.alloc(0), { name: e.name, date, mode: e.mode, type: 'directory' } as archiver.EntryData);
  }
  await archive.finalize();
  return done;
}
