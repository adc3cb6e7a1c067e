/**
 * Reproducible archives: entries sorted, fixed timestamp and modes, no owner names; the same
 * bundle always gives the same bytes. The timestamp is SOURCE_DATE_EPOCH when set.
 */
import type archiver from 'archiver';
import { PassThrough } from 'node:stream';
import { Header } from 'tar/header';
import { Pax } from 'tar/pax';
import type { BundleFile } from '../model/bundle.js';

export type ArchiveFormat = 'tar.gz' | 'zip';

/** zlib's default: level 9 took several times as long (90 ms on a large AlienVault bundle) for archives 0.5–1% smaller. */
const COMPRESSION_LEVEL = 6;

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
 * tar.gz: ustar headers (a pax header before a name that does not fit one) encoded by node-tar's
 * Header and Pax, each entry's bytes after its header padded to 512, two zero blocks at the end.
 * Put together in memory in one pass: a bundle is a few hundred kB, and a streaming tar writer
 * spent longer on its stream machinery (3 ms for a Splunk .spl) than on the bytes.
 */
function tarGzArchive(entries: Entry[]): Promise<Buffer> {
  const mtime = fixedDate();
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = {
      path: e.name,
      mode: e.mode & 0o7777,
      uid: 0,
      gid: 0,
      size: e.content?.length ?? 0,
      mtime,
      type: e.content ? ('File' as const) : ('Directory' as const),
    };
    const header = new Header(data);
    if (header.encode()) blocks.push(new Pax(data).encode());
    blocks.push(header.block!);
    if (e.content) blocks.push(e.content, Buffer.alloc(-e.content.length & 511));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipped(Buffer.concat(blocks));
}

/**
 * Compressed in one piece into one output buffer, not streamed: each piece of a stream is a round
 * trip to Node's thread pool (about a hundred for a large AlienVault forwarding file).
 */
function gzipped(bytes: Buffer): Promise<Buffer> {
  // zlib is loaded here, when an archive is made, not by every command that imports this module.
  const zlib = process.getBuiltinModule('node:zlib');
  const options = { level: COMPRESSION_LEVEL, chunkSize: Math.max(zlib.constants.Z_DEFAULT_CHUNK, bytes.length + 1024) };
  return new Promise((resolve, reject) => zlib.gzip(bytes, options, (e, out) => (e ? reject(e) : resolve(out))));
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
