/** Maps a path inside the parsed YAML document to file:line:column, for error messages. */
import { isMap, isPair, isScalar, LineCounter, type Document, type Node } from 'yaml';

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
