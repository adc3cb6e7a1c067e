/**
 * Edits a YAML site file in place while keeping the user's comments and layout.
 *
 * The yaml Document API knows where every node is (ranges); re-stringifying the whole document
 * would reflow it (comment columns, flow lists, blank lines). So each change is spliced into the
 * original text: a list that only gains or loses items gets only those lines added or removed, a
 * changed value is rewritten in place, a missing key is added after its last sibling. The result
 * is re-parsed and must equal what the Document API computes for the same changes; if it does
 * not (an unusual layout), the Document API's own output is used (comments kept, layout
 * normalised) and the caller is told.
 */
import { isDeepStrictEqual } from 'node:util';
import { isMap, isNode, isPair, isScalar, isSeq, parseDocument, stringify, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { InternalError, UserError } from './errors.js';

export type YamlPath = Array<string | number>;

/** Set the value at `path` (created with its parents if missing), or delete the key when `value` is undefined. */
export interface YamlChange {
  path: YamlPath;
  value: unknown;
}

export interface EditResult {
  text: string;
  /** False when the layout could not be kept and the document was re-stringified. */
  layoutKept: boolean;
}

class CannotSplice extends InternalError {}

const stringifyOptions = { lineWidth: 0, minContentWidth: 0 } as const;

function parse(text: string): Document {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new UserError(`YAML: ${doc.errors[0].message}`);
  return doc;
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

/** Position just after the line break that ends the line holding the last character before `end`. */
function lineEndAfter(text: string, end: number): number {
  if (end > 0 && text[end - 1] === '\n') return end;
  const nl = text.indexOf('\n', end);
  return nl < 0 ? text.length : nl + 1;
}

function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

function plainValue(n: unknown): unknown {
  return isNode(n) ? n.toJSON() : n;
}

function inline(value: unknown, flow: boolean): string {
  return stringify(value, { ...stringifyOptions, collectionStyle: flow ? 'flow' : 'any' }).replace(/\n$/, '');
}

function isCollectionValue(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (!Array.isArray(v) || v.length > 0) && (Array.isArray(v) || Object.keys(v).length > 0);
}

/** `text` indented by `indent` spaces on every line but the first. */
function indentRest(text: string, indent: number): string {
  const pad = ' '.repeat(indent);
  return text
    .split('\n')
    .map((l, i) => (i === 0 || l === '' ? l : pad + l))
    .join('\n');
}

/** One list item as `- …` lines at column `indent` (no trailing newline), flow maps on one line. */
function renderItem(item: unknown, indent: number, flowItems: boolean): string {
  const body = typeof item === 'object' && item !== null && !flowItems ? inline(item, false) : inline(item, true);
  return ' '.repeat(indent) + '- ' + indentRest(body, indent + 2);
}

/** `key: value` at column `indent` (block collections below it, items as flow maps). */
function renderPair(key: string, value: unknown, indent: number): string {
  const k = inline(key, true);
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v !== 'object' || v === null)) {
    return ' '.repeat(indent) + `${k}: ${inline(value, true)}`;
  }
  if (Array.isArray(value) && value.length > 0) {
    return ' '.repeat(indent) + `${k}:\n` + value.map((v) => renderItem(v, indent + 2, true)).join('\n');
  }
  if (isCollectionValue(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    return ' '.repeat(indent) + `${k}:\n` + entries.map(([ck, cv]) => renderPair(ck, cv, indent + 2)).join('\n');
  }
  return ' '.repeat(indent) + `${k}: ${inline(value, true)}`;
}

function splice(text: string, from: number, to: number, insert: string): string {
  return text.slice(0, from) + insert + text.slice(to);
}

/** Adds/removes only the items that differ between the old and the new list of a block sequence. */
function spliceSequence(text: string, seq: YAMLSeq, value: unknown[]): string {
  const items = seq.items as Node[];
  if (seq.flow || items.length === 0) throw new CannotSplice('flow or empty list');
  const old = items.map(plainValue);
  let p = 0;
  while (p < old.length && p < value.length && isDeepStrictEqual(old[p], value[p])) p++;
  let s = 0;
  while (s < old.length - p && s < value.length - p && isDeepStrictEqual(old[old.length - 1 - s], value[value.length - 1 - s])) s++;
  const first = items[0];
  const dashLine = text.slice(lineStart(text, first.range![0]), first.range![0]);
  if (!/^ *- +$/.test(dashLine)) throw new CannotSplice('unusual list layout');
  const indent = dashLine.indexOf('-');
  const flowItems = !(isMap(first) && !first.flow);
  const added = value
    .slice(p, value.length - s)
    .map((v) => renderItem(v, indent, flowItems) + '\n')
    .join('');
  const removed = items.slice(p, items.length - s);
  for (const r of removed) if (!/^ *- +$/.test(text.slice(lineStart(text, r.range![0]), r.range![0]))) throw new CannotSplice('unusual list layout');
  let from: number;
  let to: number;
  if (removed.length > 0) {
    from = lineStart(text, removed[0].range![0]);
    to = lineEndAfter(text, removed[removed.length - 1].range![1]);
  } else if (p > 0) {
    from = to = lineEndAfter(text, items[p - 1].range![1]);
  } else {
    from = to = lineStart(text, items[0].range![0]);
  }
  const ins = from === text.length && !text.endsWith('\n') && added ? '\n' + added : added;
  return splice(text, from, to, ins);
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p): p is Pair => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
}

/** Applies one change to the text, splicing at the deepest block map that exists. */
function spliceChange(text: string, change: YamlChange): string {
  const doc = parse(text);
  const { path, value } = change;
  if (path.length === 0) throw new CannotSplice('root');
  // Find the deepest existing block map on the path.
  let depth = path.length - 1;
  let parent: unknown = doc.getIn(path.slice(0, depth), true) ?? (depth === 0 ? doc.contents : undefined);
  while (!(isMap(parent) && !parent.flow && parent.items.length > 0) && depth > 0) {
    depth--;
    parent = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
  }
  if (!(isMap(parent) && !parent.flow && parent.items.length > 0)) throw new CannotSplice('no block map to edit');
  const map = parent;
  const key = path[depth];
  if (typeof key !== 'string') throw new CannotSplice('list index in path');
  // The value to write under `key`: the change itself, or the subtree it lives in.
  let subValue: unknown = value;
  if (depth < path.length - 1) {
    if (value === undefined) return text; // deleting below a key that does not exist: nothing to do
    subValue = value;
    for (let i = path.length - 1; i > depth; i--) {
      const seg = path[i];
      if (typeof seg !== 'string') throw new CannotSplice('list index in path');
      const existing = plainValue(doc.getIn(path.slice(0, i), true));
      const base = typeof existing === 'object' && existing !== null && !Array.isArray(existing) ? (existing as Record<string, unknown>) : {};
      subValue = { ...base, [seg]: subValue };
    }
  }
  const pair = pairOf(map, key);
  const indent = column(text, (map.items[0] as Pair<Node>).key.range![0]);
  if (!pair) {
    if (subValue === undefined) return text;
    const last = map.items[map.items.length - 1] as Pair<Node, Node>;
    const end = last.value?.range?.[1] ?? last.key.range![1];
    const at = lineEndAfter(text, end);
    const prefix = at === text.length && !text.endsWith('\n') ? '\n' : '';
    return splice(text, at, at, prefix + renderPair(key, subValue, indent) + '\n');
  }
  const keyNode = pair.key as Node;
  const valNode = pair.value as Node | null;
  if (subValue === undefined) {
    if (map.items.length === 1) throw new CannotSplice('would empty a map');
    const end = valNode?.range?.[1] ?? keyNode.range![1];
    return splice(text, lineStart(text, keyNode.range![0]), lineEndAfter(text, end), '');
  }
  if (isSeq(valNode) && !valNode.flow && Array.isArray(subValue) && subValue.length > 0 && valNode.items.length > 0) {
    return spliceSequence(text, valNode, subValue);
  }
  if (isMap(valNode) && !valNode.flow && valNode.items.length > 0 && isCollectionValue(subValue) && !Array.isArray(subValue)) {
    // A map that stays a map: change its keys one by one.
    let out = text;
    const oldKeys = Object.keys(plainValue(valNode) as object);
    const newValue = subValue as Record<string, unknown>;
    for (const k of [...new Set([...oldKeys, ...Object.keys(newValue)])]) {
      const before = plainValue(parse(out).getIn([...path.slice(0, depth + 1), k], true));
      if (!isDeepStrictEqual(before, newValue[k])) out = spliceChange(out, { path: [...path.slice(0, depth + 1), k], value: newValue[k] });
    }
    return out;
  }
  // Rewrite `key: value` in place; a flow value stays flow, block collections go below the key.
  const end = valNode?.range?.[1] ?? keyNode.range![1];
  const oldEnd = valNode && !isScalar(valNode) && !(valNode as YAMLSeq).flow ? lineEndAfter(text, end) : end;
  const wasFlow = !!valNode && (isSeq(valNode) || isMap(valNode)) && !!(valNode as YAMLSeq).flow;
  let rendered: string;
  if (wasFlow) rendered = ' '.repeat(indent) + `${inline(key, true)}: ${inline(subValue, true)}`;
  else rendered = renderPair(key, subValue, indent);
  if (oldEnd !== end) rendered += '\n';
  return splice(text, lineStart(text, keyNode.range![0]), oldEnd, rendered);
}

/** Applies `changes` to the YAML `text`, keeping comments and (where possible) layout. */
export function editYaml(text: string, changes: YamlChange[]): EditResult {
  const doc = parse(text);
  for (const c of changes) {
    if (c.value === undefined) doc.deleteIn(c.path);
    else doc.setIn(c.path, doc.createNode(c.value));
  }
  const expected = doc.toJS();
  try {
    let out = text;
    for (const c of changes) out = spliceChange(out, c);
    if (isDeepStrictEqual(parse(out).toJS(), expected)) return { text: out, layoutKept: true };
  } catch (e) {
    if (!(e instanceof CannotSplice) && !(e instanceof Error && e.message.startsWith('YAML:'))) throw e;
  }
  return { text: doc.toString(stringifyOptions), layoutKept: false };
}
