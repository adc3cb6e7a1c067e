/**
 * Merges a bundle file into an existing file on the target instead of replacing it whole.
 * Pure functions: old text in, new text out. Everything outside the part we own stays byte for byte.
 */
import type { MergeSpec } from '../model/bundle.js';
import { ConfigPatchError, decodeConfigBytes, encodeConfigText, patchFeedServiceConfig } from '../cybertrace/patch.js';
import { UserError } from '../kernel/errors.js';

/** The existing file cannot be merged into (broken markers, unreadable config); nothing is written. */
/** An existing file on a host that a bundle's block or settings cannot be merged into. */
export class MergeError extends UserError {}

interface Line {
  /** Offset of the first character. */
  start: number;
  /** Offset just after the line terminator (or the end of the text). */
  end: number;
  /** The line without its terminator. */
  text: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const end = nl === -1 ? text.length : nl + 1;
    let body = text.slice(at, nl === -1 ? text.length : nl);
    if (body.endsWith('\r')) body = body.slice(0, -1);
    lines.push({ start: at, end, text: body });
    at = end;
  }
  return lines;
}

export function blockMarkers(spec: { marker: string; commentPrefix: string }): { begin: string; end: string } {
  if (/[\r\n]/.test(spec.marker) || /[\r\n]/.test(spec.commentPrefix) || spec.marker.trim() === '') {
    throw new MergeError(`bad block marker ${JSON.stringify(spec.marker)}: one non-empty line is needed`);
  }
  return { begin: `${spec.commentPrefix} BEGIN ${spec.marker}`, end: `${spec.commentPrefix} END ${spec.marker}` };
}

/**
 * Puts `content` between `<prefix> BEGIN <marker>` / `<prefix> END <marker>` lines in `old`.
 * An existing block is replaced in place; a new one goes after the line `after`, else before the
 * first of the `before` lines, else at the end. Line endings follow the file (CRLF stays CRLF).
 */
export function mergeMarkedBlock(
  spec: { marker: string; commentPrefix: string; after?: string; before?: string[] },
  old: string | undefined,
  content: string,
): string {
  const { begin, end } = blockMarkers(spec);
  const text = old ?? '';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const body = content.replace(/\r?\n/g, eol);
  if (splitLines(body).some((l) => l.text.trim() === begin || l.text.trim() === end)) {
    throw new MergeError(`the block content itself contains a "${begin}" or "${end}" line`);
  }
  const block = `${begin}${eol}${body}${body === '' || body.endsWith(eol) ? '' : eol}${end}${eol}`;
  const lines = splitLines(text);

  const begins = lines.map((l, i) => (l.text.trim() === begin ? i : -1)).filter((i) => i >= 0);
  const ends = lines.map((l, i) => (l.text.trim() === end ? i : -1)).filter((i) => i >= 0);
  if (begins.length > 1)
    throw new MergeError(
      `the marker line "${begin}" appears ${begins.length} times (lines ${begins.map((i) => i + 1).join(', ')}); remove the extra block by hand`,
    );
  if (ends.length > 1)
    throw new MergeError(`the marker line "${end}" appears ${ends.length} times (lines ${ends.map((i) => i + 1).join(', ')}); remove the extra block by hand`);
  if (begins.length === 1 || ends.length === 1) {
    const b = begins[0];
    const e = ends[0];
    if (b === undefined) throw new MergeError(`line ${e + 1} has "${end}" but no "${begin}" comes before it; fix the block by hand`);
    if (e === undefined || e < b) throw new MergeError(`line ${b + 1} opens "${begin}" but no "${end}" follows; fix the block by hand`);
    const from = lines[b].start;
    const to = lines[e].end;
    // A last line without a terminator keeps having none, so the file's ending does not change.
    const ownEnd = lines[e].end === text.length && !text.endsWith('\n') ? block.slice(0, -eol.length) : block;
    return text.slice(0, from) + ownEnd + text.slice(to);
  }

  const insertAt = (offsetLine: Line | undefined, where: 'after' | 'before'): string => {
    if (!offsetLine) return text;
    if (where === 'before') return text.slice(0, offsetLine.start) + block + text.slice(offsetLine.start);
    const lineEnd = offsetLine.end;
    const needsEol = lineEnd === text.length && !text.endsWith('\n') ? eol : '';
    return text.slice(0, lineEnd) + needsEol + block + text.slice(lineEnd);
  };
  if (spec.after !== undefined) {
    const anchor = lines.find((l) => l.text.trim() === spec.after!.trim());
    if (anchor) return insertAt(anchor, 'after');
  }
  if (spec.before && spec.before.length > 0) {
    const wanted = new Set(spec.before.map((b) => b.trim()));
    const anchor = lines.find((l) => wanted.has(l.text.trim()));
    if (anchor) return insertAt(anchor, 'before');
  }
  if (text === '' || text.endsWith('\n')) return text + block;
  return text + eol + block;
}

/**
 * Removes every `<prefix> BEGIN <m>` … `<prefix> END <m>` block whose marker starts with `family`
 * and is not in `keep`: blocks a bundle wrote earlier and no longer has. Broken blocks are left to
 * mergeMarkedBlock's checks.
 */
export function removeStaleBlocks(text: string, spec: { family: string; commentPrefix: string }, keep: string[]): string {
  const beginPrefix = `${spec.commentPrefix} BEGIN ${spec.family}`;
  let out = text;
  for (;;) {
    const lines = splitLines(out);
    const stale = lines.find((l) => {
      const t = l.text.trim();
      return t.startsWith(beginPrefix) && !keep.includes(t.slice(`${spec.commentPrefix} BEGIN `.length));
    });
    if (!stale) return out;
    const marker = stale.text.trim().slice(`${spec.commentPrefix} BEGIN `.length);
    const endLine = `${spec.commentPrefix} END ${marker}`;
    const from = lines.indexOf(stale);
    const to = lines.findIndex((l, i) => i > from && l.text.trim() === endLine);
    if (to < 0) throw new MergeError(`line ${from + 1} opens "${stale.text.trim()}" but no "${endLine}" follows; fix the block by hand`);
    out = out.slice(0, lines[from].start) + out.slice(lines[to].end);
  }
}

/**
 * The new text of a merged file. `old` is undefined when the target has no such file.
 * For 'cybertrace-settings' the file must exist: the service's own config is patched, never invented.
 */
export function applyMerge(spec: MergeSpec, old: string | undefined, bundleContent: string): string {
  switch (spec.kind) {
    case 'marked-block':
      return mergeMarkedBlock(spec, old, bundleContent);
    case 'cybertrace-settings': {
      if (old === undefined)
        throw new MergeError('the file does not exist on the target: install CyberTrace first, or check cybertrace.install_dir in the site file');
      try {
        return patchFeedServiceConfig(old, spec.settings).text;
      } catch (e) {
        if (e instanceof ConfigPatchError) throw new MergeError(`cannot patch the existing file: ${e.message}`);
        throw e;
      }
    }
  }
}

/**
 * All of one bundle's edits of one target file, applied in order to the old bytes (undefined: no
 * such file yet); then blocks of the bundle's families that it no longer has are removed.
 */
export function mergeParts(parts: Array<{ spec: MergeSpec; content: string | Buffer }>, old: Buffer | undefined): Buffer {
  let current = old;
  let previous: MergeSpec | undefined;
  for (const p of parts) {
    // A new block goes right after the bundle's previous block, so blocks keep the bundle's order.
    const spec = p.spec.kind === 'marked-block' && previous?.kind === 'marked-block' ? { ...p.spec, after: blockMarkers(previous).end } : p.spec;
    current = mergeBytes(spec, current, p.content);
    previous = p.spec;
  }
  const blocks = parts.map((p) => p.spec).filter((s): s is Extract<MergeSpec, { kind: 'marked-block' }> => s.kind === 'marked-block');
  if (!blocks.some((b) => b.family !== undefined)) return current!;
  const keep = blocks.map((b) => b.marker);
  let text = current!.toString('latin1');
  for (const b of blocks) if (b.family !== undefined) text = removeStaleBlocks(text, { family: b.family, commentPrefix: b.commentPrefix }, keep);
  return Buffer.from(text, 'latin1');
}

/**
 * applyMerge on bytes. Marked blocks work on latin1 text (one character per byte), so bytes we do
 * not own are written back exactly, whatever the file's encoding; the block itself is UTF-8.
 * kl_feed_service.conf is decoded as its XML declaration says.
 */
export function mergeBytes(spec: MergeSpec, old: Buffer | undefined, bundleContent: string | Buffer): Buffer {
  const content = typeof bundleContent === 'string' ? bundleContent : bundleContent.toString('utf8');
  if (spec.kind === 'marked-block') {
    const oldText = old?.toString('latin1');
    const block = Buffer.from(content, 'utf8').toString('latin1');
    return Buffer.from(mergeMarkedBlock(spec, oldText, block), 'latin1');
  }
  if (old === undefined) return Buffer.from(applyMerge(spec, undefined, content), 'utf8');
  let decoded;
  try {
    decoded = decodeConfigBytes(old);
  } catch (e) {
    if (e instanceof ConfigPatchError) throw new MergeError(`cannot read the existing file: ${e.message}`);
    throw e;
  }
  const merged = applyMerge(spec, decoded.text, content);
  try {
    return encodeConfigText(merged, decoded.encoding);
  } catch (e) {
    if (e instanceof ConfigPatchError) throw new MergeError(e.message);
    throw e;
  }
}
