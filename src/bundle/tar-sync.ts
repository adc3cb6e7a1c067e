/**
 * A reproducible .tar.gz built synchronously, for archives that are themselves bundle files
 * (a connector's files() is synchronous; createArchive streams). Same rules as archive.ts:
 * entries sorted, fixed date (SOURCE_DATE_EPOCH), given modes, uid/gid 0 and no owner names.
 * Directory entries (0755) are written too, so extracted folders do not depend on the umask.
 */
import { gzipSync } from 'node:zlib';
import type { BundleFile } from '../../connectors/types.js';
import { fixedDate } from './archive.js';

const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

/** Splits a path into ustar prefix (≤155) and name (≤100) at a '/'. */
function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return { name, prefix };
  }
  throw new Error(`path too long for a tar header: ${path}`);
}

function header(path: string, mode: number, size: number, type: '0' | '5', mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { name, prefix } = splitName(path);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(octal(0, 8), 329, 'ascii');
  h.write(octal(0, 8), 337, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/** The tar.gz of `files` under the top-level folder `topDir`. */
export function createTarGzSync(files: BundleFile[], topDir: string): Buffer {
  const mtime = Math.floor(fixedDate().getTime() / 1000);
  const dirs = new Set<string>([topDir]);
  for (const f of files) {
    const parts = `${topDir}/${f.path}`.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const entries: Array<{ path: string; file?: BundleFile }> = [
    ...[...dirs].map((d) => ({ path: `${d}/` })),
    ...files.map((f) => ({ path: `${topDir}/${f.path}`, file: f })),
  ];
  // Byte order of the paths, a folder ("a/") right before its contents.
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const chunks: Buffer[] = [];
  for (const e of entries) {
    if (!e.file) {
      chunks.push(header(e.path, 0o755, 0, '5', mtime));
      continue;
    }
    const body = typeof e.file.content === 'string' ? Buffer.from(e.file.content, 'utf8') : e.file.content;
    chunks.push(header(e.path, e.file.mode, body.length, '0', mtime), body);
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (pad) chunks.push(Buffer.alloc(pad));
  }
  chunks.push(Buffer.alloc(2 * BLOCK));
  let tar = Buffer.concat(chunks);
  // Pad to whole 10 KiB records as tar(1) does.
  const record = 20 * BLOCK;
  if (tar.length % record) tar = Buffer.concat([tar, Buffer.alloc(record - (tar.length % record))]);
  const gz = gzipSync(tar, { level: 9 });
  // The gzip header's OS byte depends on the platform zlib was built for; 255 = unknown keeps the bytes the same everywhere.
  gz[9] = 255;
  return gz;
}
