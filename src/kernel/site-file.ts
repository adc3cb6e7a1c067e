/**
 * Reading the site file: bounded in size and UTF-8 only, so that no command reads a hostile file
 * for minutes or works on text that is not what the file holds (a lenient decoding turns latin-1
 * into U+FFFD, which an edit would then write back). Kernel-level: the loader and the categories
 * edit transaction both read through it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from './errors.js';

/**
 * The largest site file read. A site with 100,000 devices is a few MB; a larger file is a mistake
 * (a log or an archive named as the site) and would only cost minutes and memory to refuse.
 */
export const MAX_SITE_FILE_BYTES = 32 * 1024 * 1024;

/**
 * The site file's bytes as text. Anything but UTF-8 is refused as a whole: decoded leniently, a
 * latin-1 title would turn into U+FFFD and an edit would write those characters back in its place.
 */
export function siteText(bytes: Buffer, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Everything before the first replacement character that the bytes do not spell is decoded as it is.
    const lenient = bytes.toString('utf8');
    let offset = 0;
    let line = 1;
    let col = 1;
    for (const ch of lenient) {
      const size = Buffer.byteLength(ch);
      if (ch === '\ufffd' && !(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) break;
      offset += size;
      if (ch === '\n') {
        line++;
        col = 1;
      } else col++;
    }
    const byte = bytes[offset] ?? 0;
    throw new UserError(`${source}: the site file is not UTF-8 text; nothing was read or written`, [
      `${source}:${line}:${col}: byte 0x${byte.toString(16).toUpperCase().padStart(2, '0')} (at byte ${offset + 1}) is not UTF-8; save the file as UTF-8 (latin-1 or Windows-1252 text must be converted, e.g. iconv -f latin1 -t utf-8)`,
    ]);
  }
}

/** Reads a site file: bounded in size, UTF-8 only; a UserError says why not. */
export function readSiteFile(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size > MAX_SITE_FILE_BYTES) {
      throw new UserError(
        `${file}: the site file is ${(size / 1024 / 1024).toFixed(1)} MiB; a site file may have at most ${MAX_SITE_FILE_BYTES / 1024 / 1024} MiB`,
      );
    }
    // Read up to one byte past the bound: a file that grows while it is read is still bounded.
    const buf = Buffer.alloc(Math.min(size, MAX_SITE_FILE_BYTES) + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0;) n += r;
    if (n > MAX_SITE_FILE_BYTES)
      throw new UserError(`${file}: the site file is larger than ${MAX_SITE_FILE_BYTES / 1024 / 1024} MiB, the most a site file may have`);
    return siteText(buf.subarray(0, n), file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read the site file (${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
