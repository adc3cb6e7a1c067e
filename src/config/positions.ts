/** Maps a path inside the parsed YAML document to file:line:column, for error messages. */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';

export type PathSegment = string | number;

export interface Position {
  line: number;
  col: number;
}

/** Where the value at `path` is, or the nearest parent that exists (defaults are not in the file). */
export function positionOf(doc: Document, lc: LineCounter, path: PathSegment[], keyOf?: string): Position | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (!node || !('range' in node) || !node.range) continue;
    if (keyOf !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === keyOf);
      const keyNode = pair?.key as Node | undefined;
      if (keyNode?.range) return lc.linePos(keyNode.range[0]);
    }
    return lc.linePos(node.range[0]);
  }
  return undefined;
}

/** The start of a node in the text: its line (1-based), column (0-based) and offset. */
interface Spot {
  line: number;
  col: number;
  offset: number;
}

/** A line with content (not blank, not only a comment). */
interface ContentLine extends Spot {
  /** Offset just past the line (its newline, or the end of the text). */
  end: number;
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';
const atEnd = (text: string, i: number, end: number): boolean => {
  while (i < end && isSpace(text[i])) i++;
  return i >= end || text[i] === '#' || text[i] === '\r';
};

/**
 * The content lines of a block that starts at `from` (line `line`): every line up to the first one
 * whose content is at column `ownerCol` or left of it. Blank and comment lines are passed over.
 */
function* blockLines(text: string, from: number, line: number, ownerCol: number): Generator<ContentLine> {
  let start = from;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let i = start;
    while (i < end && text[i] === ' ') i++;
    if (i < end && text[i] !== '#' && text[i] !== '\r') {
      const col = i - start;
      if (col <= ownerCol) return;
      yield { line, col, offset: i, end };
    }
    start = end + 1;
    line++;
  }
}

/** Where the value of a key or sequence item starts: on the same line after `at`, or on the next content line. */
function valueAfter(text: string, at: number, first: ContentLine, ownerCol: number): Spot | undefined {
  let i = at;
  while (i < first.end && isSpace(text[i])) i++;
  if (!atEnd(text, i, first.end)) return { line: first.line, col: first.col + (i - first.offset), offset: i };
  const next = blockLines(text, first.end + 1, first.line + 1, ownerCol).next();
  // A value left empty (null), or a sequence at the key's own column: the document knows better.
  return next.done ? undefined : next.value;
}

/** The key a mapping line starts with, when it is `key` (plain or simply quoted) followed by `:`. */
function keyLength(text: string, offset: number, end: number, key: string): number | undefined {
  for (const written of [key, `'${key.replace(/'/g, "''")}'`, JSON.stringify(key)]) {
    if (!text.startsWith(written, offset)) continue;
    let i = offset + written.length;
    while (i < end && isSpace(text[i])) i++;
    if (text[i] === ':' && (i + 1 >= end || isSpace(text[i + 1]) || text[i + 1] === '\r')) return i + 1 - offset;
  }
  return undefined;
}

/**
 * `positionOf` read from the text alone, for a site file the fast parser read (block-style YAML
 * without anchors, tags or explicit keys): no document is built, and only the lines of the blocks
 * on the path are looked at. Gives up (undefined) on anything it does not read as the `yaml`
 * library does — flow collections on the path, a key or item not found, an empty value, a sequence
 * at its key's own column — and the caller then asks the document.
 */
export function positionInText(text: string, path: PathSegment[], keyOf?: string): Position | undefined {
  let from = 0;
  let line = 1;
  if (text.startsWith('---')) {
    const nl = text.indexOf('\n');
    if (!atEnd(text, 3, nl < 0 ? text.length : nl)) return undefined;
    from = nl + 1;
    line = 2;
  }
  const root = blockLines(text, from, line, -1).next();
  if (root.done) return undefined;
  let node: Spot = root.value;
  let ownerCol = -1;
  const wanted: PathSegment[] = keyOf === undefined ? path : [...path, keyOf];
  for (const [depth, seg] of wanted.entries()) {
    const c = node.col;
    const opener = text[node.offset];
    if (opener === '[' || opener === '{' || opener === '|' || opener === '>' || opener === '"' || opener === "'") return undefined;
    // The node's first line may start mid-line (after `- `); the lines after it belong to it while right of ownerCol.
    const firstEnd = text.indexOf('\n', node.offset);
    const first: ContentLine = { ...node, end: firstEnd < 0 ? text.length : firstEnd };
    const rest = blockLines(text, first.end + 1, first.line + 1, ownerCol);
    let found: Spot | undefined;
    let index = 0;
    for (let l: ContentLine | undefined = first; l; l = rest.next().value) {
      if (l.col < c) return undefined;
      if (l.col > c) continue;
      const dash = text[l.offset] === '-' && (l.offset + 1 >= l.end || isSpace(text[l.offset + 1]) || text[l.offset + 1] === '\r');
      if (typeof seg === 'number') {
        if (!dash) return undefined;
        if (index++ !== seg) continue;
        found = valueAfter(text, l.offset + 1, l, c);
        if (!found) return undefined;
      } else {
        if (dash) return undefined;
        const n = keyLength(text, l.offset, l.end, seg);
        if (n === undefined) continue;
        // With keyOf, the key itself is the answer.
        if (keyOf !== undefined && depth === wanted.length - 1) return { line: l.line, col: l.col + 1 };
        found = valueAfter(text, l.offset + n, l, c);
        if (!found) return undefined;
      }
      break;
    }
    // Not there: the document may still have it written in another way (a number key, a quoted one with escapes).
    if (!found) return undefined;
    ownerCol = c;
    node = found;
  }
  return { line: node.line, col: node.col + 1 };
}

export function formatPath(path: PathSegment[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** A key of the index below: path segments joined by NUL (no site key can hold a control character). */
const idOf = (path: PathSegment[]): string => path.map(String).join('\u0000');

/**
 * positionOf for many paths: the document is walked once, and each look-up costs the length of its
 * path (a site with 40,000 problems would otherwise search its maps 40,000 times).
 */
export function positionIndex(doc: Document, lc: LineCounter): (path: PathSegment[], keyOf?: string) => Position | undefined {
  const values = new Map<string, number>();
  const keys = new Map<string, number>();
  const walk = (node: unknown, path: PathSegment[]): void => {
    const n = node as Node | null | undefined;
    if (!n) return;
    if (n.range) values.set(idOf(path), n.range[0]);
    if (isMap(n)) {
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (k === undefined) continue;
        path.push(k);
        const id = idOf(path);
        // The first of duplicate keys, as the document's getIn finds it.
        if (!keys.has(id) && (pair.key as Node).range) keys.set(id, (pair.key as Node).range![0]);
        if (!values.has(id)) walk(pair.value, path);
        path.pop();
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => {
        path.push(i);
        walk(item, path);
        path.pop();
      });
    }
  };
  walk(doc.contents, []);
  return (path, keyOf) => {
    if (keyOf !== undefined) {
      const k = keys.get(idOf([...path, keyOf]));
      if (k !== undefined) return lc.linePos(k);
    }
    for (let n = path.length; n >= 0; n--) {
      const at = values.get(idOf(path.slice(0, n)));
      if (at !== undefined) return lc.linePos(at);
    }
    return undefined;
  };
}
