/**
 * Loads a site file: YAML → schema check (with defaults) → cross-field checks. Every problem is
 * reported as `file:line:col: field.path: what is wrong`, all at once, and nothing is returned
 * (so nothing can be written) unless the whole file is valid.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlias, isScalar, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { load as loadYaml, CORE_SCHEMA } from 'js-yaml';
import type { Ajv, ErrorObject, Options as AjvOptions, ValidateFunction } from 'ajv';
import type { FormatsPlugin } from 'ajv-formats';
import { closest, distance } from 'fastest-levenshtein';
import { UserError } from '../kernel/errors.js';
import { exampleSitePath } from '../kernel/paths.js';
import { requirePrecompiled } from '../kernel/precompiled.js';
import { readSiteFile } from '../kernel/site-file.js';
import { escapers } from '../render/escape.js';
import type { ConnectorSet } from '../connector/connector-set.js';
import { siteSchema } from './schema.js';
import { formatPath, positionIndex, positionInText, type PathSegment } from './positions.js';
import { checkSite } from './checks.js';
import type { Site } from '../model/site.js';

export interface SiteProblem {
  path: PathSegment[];
  message: string;
  line?: number;
  col?: number;
}

export const BUILT_IN_EXAMPLE = 'built-in example site';

/** Top-level sections that may be empty in the file (then they get their default: none). */
const SECTIONS_WITH_DEFAULTS = { categories: true, siems: true, targets: true };

// Loaded only when needed: Ajv and its compiler, when the schema is compiled here (see below).
const require = createRequire(import.meta.url);

/**
 * The Ajv instance the site schema is compiled with. `npm run build` (scripts/precompile.mjs) calls
 * this with `code: { source: true }` and writes the validator as standalone code next to this
 * module, so a run loads that instead of compiling the schema (about 60 ms); both come from here.
 */
export function siteSchemaAjv(extra: AjvOptions = {}): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const addFormats = require('ajv-formats') as FormatsPlugin;
  const ajv = new AjvClass({ allErrors: true, useDefaults: true, strict: false, verbose: true, ...extra });
  addFormats(ajv, ['ipv4', 'hostname']);
  return ajv;
}

/** File name of the precompiled validator, next to the compiled form of this module. */
export const PRECOMPILED_VALIDATOR = 'site-validator.generated.cjs';

/** The schema of a connector set and its validator, made once per set. */
const validators = new WeakMap<ConnectorSet, { validate: ValidateFunction; tree: SchemaNode }>();
function validatorFor(connectors: ConnectorSet): { validate: ValidateFunction; tree: SchemaNode } {
  let v = validators.get(connectors);
  if (!v) {
    const tree = siteSchema(connectors.all()) as SchemaNode;
    const file = fileURLToPath(new URL(`./${PRECOMPILED_VALIDATOR}`, import.meta.url));
    // The build precompiles the validator for the registry's connectors (it records their ids); any
    // other set, or the TypeScript sources run directly (the unit tests), compiles it now.
    const built = existsSync(file) ? (requirePrecompiled(file) as ValidateFunction & { connectorIds?: string[] }) : undefined;
    const validate = built && built.connectorIds?.join() === connectors.ids().join() ? built : siteSchemaAjv().compile(tree as object);
    validators.set(connectors, (v = { validate, tree }));
  }
  return v;
}

/**
 * A refused value as it is echoed in a message: JSON-quoted (so control characters show as
 * escapes), cut to a readable length — a refused 100 KB value is not printed whole.
 */
export function shown(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? String(value);
  if (text.length <= max) return text;
  const size = typeof value === 'string' ? `${value.length} characters` : `${text.length} characters of JSON`;
  return `${text.slice(0, max - 1)}… (${size})`;
}

/** What a character is, for messages: U+0009 (TAB). */
function charName(ch: string): string {
  const names: Record<string, string> = { '\u0000': 'NUL', '\t': 'TAB', '\n': 'LF, a line break', '\r': 'CR, a line break', '\u001b': 'ESC', '\u007f': 'DEL' };
  return `U+${ch.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}${names[ch] ? ` (${names[ch]})` : ''}`;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
/** For string fields marked `multiline: true` in the schema: line feeds and tabs are allowed. */
const CONTROL_MULTILINE = /[\u0000-\u0008\u000b-\u001f\u007f]/;

type SchemaNode = { properties?: Record<string, SchemaNode>; items?: SchemaNode; multiline?: boolean } | undefined;

/**
 * Every string of the site lands in some config, script or guide, and none of those formats can
 * carry a control character as the user meant it (a TAB or line break splits a .conf or ini
 * line, NUL ends a C string, XML forbids most of them). So they are refused here, once, with
 * the field and its position — no template ever has to refuse one.
 */
function controlCharacterProblems(value: unknown, schema: SchemaNode, path: PathSegment[], out: Array<{ path: PathSegment[]; message: string }>): void {
  // `path` is one array, extended and shortened on the way (a site may hold 100,000 values); a problem gets a copy.
  if (typeof value === 'string') {
    const m = (schema?.multiline ? CONTROL_MULTILINE : CONTROL).exec(value);
    if (m)
      out.push({
        path: [...path],
        message: `contains the control character ${charName(m[0])} at character ${m.index + 1}, which no file this value is written to can carry (got ${shown(value)})`,
      });
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      controlCharacterProblems(value[i], schema?.items, path, out);
      path.pop();
    }
  } else if (value && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      path.push(k);
      controlCharacterProblems((value as Record<string, unknown>)[k], schema?.properties?.[k], path, out);
      path.pop();
    }
  }
}

function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function suggestion(word: string, candidates: string[]): string {
  if (candidates.length === 0) return '';
  const best = closest(word, candidates);
  return distance(word, best) <= Math.max(2, Math.floor(best.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

/** Turns Ajv's errors into one readable problem per field. */
function schemaProblems(errors: ErrorObject[]): Array<{ path: PathSegment[]; message: string; keyOf?: string }> {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const out: Array<{ path: PathSegment[]; message: string; keyOf?: string }> = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const path = pointerToPath(e.instancePath);
    let message: string;
    let keyOf: string | undefined;
    if (anyOfPaths.has(e.instancePath) && e.keyword !== 'anyOf') continue;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String((e.params as { additionalProperty: string }).additionalProperty);
        const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        message = `unknown key "${key}"${suggestion(key, known)}; allowed keys: ${known.join(', ')}`;
        path.push(key);
        keyOf = key;
        break;
      }
      case 'required':
        message = `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
        break;
      case 'enum':
        message = `must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')} (got ${shown(e.data)})`;
        break;
      case 'anyOf':
      case 'pattern':
      case 'format': {
        // Ajv's own wording already starts with "must" ("must match pattern …").
        const desc = (e.parentSchema as { description?: string }).description;
        message = `${desc ? `must be ${desc}` : e.message} (got ${shown(e.data)})`;
        break;
      }
      case 'type':
        message = `must be ${(e.params as { type: string }).type} (got ${shown(e.data)})`;
        break;
      default:
        message = `${e.message ?? 'is invalid'} (got ${shown(e.data)})`;
    }
    const id = `${formatPath(path)}|${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ path, message, keyOf });
  }
  return out;
}

/**
 * Constructs the fast parser cannot be trusted to read exactly as the `yaml` library does (anchors
 * and aliases — whose expansion the library limits —, tags, merge keys, directives, explicit keys).
 */
const NEEDS_FULL_PARSE = /[&*!]|<<|^\s*[%?]|\s\?\s/m;

/**
 * The site as data, fast: js-yaml reads plain YAML several times faster and in a fraction of the
 * memory of the `yaml` library's document (a site with 100,000 devices: seconds and hundreds of
 * MB). Its CORE_SCHEMA resolves scalars as the library's core schema does. Anything unusual and
 * any file it refuses are left to the full parse, which also reports the errors.
 */
function fastParse(text: string): Record<string, unknown> | undefined {
  // Small files too: both parsers are in the bundle, and a site of 1,000 devices read by the full
  // parse took longer than one of 10,000 read fast.
  if (NEEDS_FULL_PARSE.test(text)) return undefined;
  try {
    return (loadYaml(text, { schema: CORE_SCHEMA }) ?? {}) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** `file:line:col`, or the file alone when the position is not known. */
function whereIn(source: string, line?: number, col?: number): string {
  return line ? `${source}:${line}:${col ?? 1}` : source;
}

/** The document with positions, for messages; `source` names the file in them. */
function locatedDocument(text: string, source: string): { doc: Document; lc: LineCounter } {
  const lc = new LineCounter();
  // The library's own duplicate-key check compares each key with every earlier one (minutes for a map of 40,000 keys): keys are checked below, once each.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: false });
  const lines = doc.errors.map((e) => `${whereIn(source, e.linePos?.[0].line, e.linePos?.[0].col)}: YAML: ${e.message.split('\n')[0]}`);
  if (lines.length === 0) {
    visit(doc, {
      Map: (_k, map) => {
        const seen = new Set<unknown>();
        for (const pair of map.items) {
          const key = isScalar(pair.key) ? pair.key.value : pair.key;
          // `<<` merges another map in; it may be given more than once.
          if (key === '<<') continue;
          if (seen.has(key)) {
            const pos = (pair.key as Node | null)?.range ? lc.linePos((pair.key as Node).range![0]) : undefined;
            lines.push(`${whereIn(source, pos?.line, pos?.col)}: YAML: Map keys must be unique (${shown(key)} is given twice)`);
          }
          seen.add(key);
        }
      },
    });
  }
  if (lines.length > 0) throw new UserError(`${source}: the site file is not valid YAML`, lines.slice(0, MAX_PROBLEMS_SHOWN));
  return { doc, lc };
}

/** Positions read from the text of a plain file before the document is built instead. */
const MAX_TEXT_LOOKUPS = 32;

/** Problems listed in one message: past a screenful, more lines help no one fix the file. */
export const MAX_PROBLEMS_SHOWN = 200;

/** Parses and validates site text; throws UserError listing every problem (the first MAX_PROBLEMS_SHOWN of them). */
export function parseSite(text: string, source: string, connectors: ConnectorSet): Site {
  // The position-keeping document is built only when a message needs a position that the text of a
  // plain file (one the fast parser read) does not give by itself: a large site never builds it for a warning.
  let located: { doc: Document; lc: LineCounter } | undefined;
  let index: ReturnType<typeof positionIndex> | undefined;
  let data = fastParse(text);
  const plain = data !== undefined;
  // Reading the text costs a scan per look-up: past a few, the document's index (one pass) is cheaper.
  let textLookups = 0;
  const positionAt = (path: PathSegment[], keyOf?: string) => {
    const found = plain && !located && ++textLookups <= MAX_TEXT_LOOKUPS ? positionInText(text, path, keyOf) : undefined;
    if (found) return found;
    located ??= locatedDocument(text, source);
    index ??= positionIndex(located.doc, located.lc);
    return index(path, keyOf);
  };
  if (data === undefined) {
    const { doc, lc } = (located = locatedDocument(text, source));
    // An alias inside the node it names (`r: &r [*r]`) makes a value that contains itself: no site can mean that.
    // Anchors are tracked in document order (an alias names the latest anchor before it): one pass, however many aliases.
    let recursive: Node | undefined;
    const anchors = new Map<string, unknown>();
    visit(doc, (_k, n, path) => {
      if (isAlias(n)) {
        const target = anchors.get(n.source);
        if (target !== undefined && path.includes(target as never)) return ((recursive = n), visit.BREAK);
      } else if (n && typeof n === 'object' && 'anchor' in n && typeof n.anchor === 'string') anchors.set(n.anchor, n);
      return undefined;
    });
    if (recursive) {
      const pos = recursive.range ? lc.linePos(recursive.range[0]) : undefined;
      throw new UserError(`${source}: the site file cannot be read`, [
        `${whereIn(source, pos?.line, pos?.col)}: YAML: the alias *${(recursive as { source?: string }).source ?? ''} refers to a node that contains it (a value cannot contain itself)`,
      ]);
    }
    try {
      // The yaml library stops a document whose aliases expand too far (a "billion laughs" file).
      data = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Record<string, unknown>;
    } catch (e) {
      let first: Node | undefined;
      visit(doc, { Alias: (_k, n) => ((first = n), visit.BREAK) });
      const pos = first?.range ? lc.linePos(first.range[0]) : undefined;
      throw new UserError(`${source}: the site file cannot be read`, [`${whereIn(source, pos?.line, pos?.col)}: YAML: ${(e as Error).message}`]);
    }
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new UserError(`${source}: the site file must be a YAML mapping (key: value), got ${Array.isArray(data) ? 'a list' : typeof data}`);
  }
  // A section with only comments under it (`targets:` and a commented example) is left out, so its default applies.
  for (const [key, value] of Object.entries(data)) if (value === null && key in SECTIONS_WITH_DEFAULTS) delete data[key];
  const { validate, tree: schemaTree } = validatorFor(connectors);
  const problems: SiteProblem[] = [];
  const warnings: SiteProblem[] = [];
  const notes: SiteProblem[] = [];
  const schemaOk = validate(data);
  if (!schemaOk) {
    for (const p of schemaProblems(validate.errors ?? [])) {
      const keyOf = p.keyOf;
      const pos = keyOf ? positionAt(p.path.slice(0, -1), keyOf) : positionAt(p.path);
      problems.push({ path: p.path, message: p.message, line: pos?.line, col: pos?.col });
    }
  }
  // Where the field's own pattern already refused the value, its message (which names the format) is enough.
  const reported = new Set(problems.map((p) => formatPath(p.path)));
  const control: Array<{ path: PathSegment[]; message: string }> = [];
  controlCharacterProblems(data, schemaTree, [], control);
  for (const p of control) {
    if (reported.has(formatPath(p.path))) continue;
    const pos = positionAt(p.path);
    problems.push({ ...p, line: pos?.line, col: pos?.col });
  }
  if (schemaOk && problems.length === 0) {
    for (const { warning, note, ...p } of checkSite(data as unknown as Site, connectors)) {
      const pos = positionAt(p.path);
      (note ? notes : warning ? warnings : problems).push({ ...p, line: pos?.line, col: pos?.col });
    }
  }
  const describe = (list: SiteProblem[]) => {
    const lines = list
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0))
      .slice(0, MAX_PROBLEMS_SHOWN)
      .map((p) => `${whereIn(source, p.line, p.col)}: ${formatPath(p.path)}: ${p.message}`);
    if (list.length > MAX_PROBLEMS_SHOWN)
      lines.push(`… and ${list.length - MAX_PROBLEMS_SHOWN} more (the first ${MAX_PROBLEMS_SHOWN} are shown; fix them and run again)`);
    return lines;
  };
  if (problems.length > 0) {
    throw new UserError(`${source}: ${problems.length} problem${problems.length > 1 ? 's' : ''} in the site file`, describe(problems));
  }
  const site = data as unknown as Site;
  site.source = source;
  site.warnings = describe(warnings);
  site.notes = describe(notes);
  site.configOption = configOptionFor(undefined);
  return site;
}

/** Loads the site file at `path`, or the built-in example site when no path is given. */
export function loadSite(path: string | undefined, connectors: ConnectorSet): Site {
  const file = path ?? exampleSitePath();
  const text = readSiteFile(file);
  const site = parseSite(text, path ?? BUILT_IN_EXAMPLE, connectors);
  if (path !== undefined) site.file = resolve(path);
  site.configOption = configOptionFor(site.file);
  return site;
}

/** ` --config '<file>'` for commands printed in bundles (so they use the same site file), '' for the built-in example. */
export function configOptionFor(file: string | undefined): string {
  return file ? ` --config ${escapers.sh(file)}` : '';
}
