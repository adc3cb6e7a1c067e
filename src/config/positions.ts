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
