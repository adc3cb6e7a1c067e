/**
 * Loads a site file: YAML → schema check (with defaults) → cross-field checks. Every problem is
 * reported as `file:line:col: field.path: what is wrong`, all at once, and nothing is returned
 * (so nothing can be written) unless the whole file is valid.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { Ajv, type ErrorObject } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import { closest, distance } from 'fastest-levenshtein';
import { UserError } from '../core/errors.js';
import { exampleSitePath } from '../core/paths.js';
import { escapers } from '../render/escape.js';
import { allConnectors } from '../../connectors/registry.js';
import { siteSchema } from './schema.js';
import { formatPath, positionOf, type PathSegment } from './positions.js';
import { checkSite } from './checks.js';
import type { Site } from './site.js';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default: { default?: FormatsPlugin } & FormatsPlugin }).default.default ??
  (addFormatsModule as unknown as { default: FormatsPlugin }).default) as FormatsPlugin;

export interface SiteProblem {
  path: PathSegment[];
  message: string;
  line?: number;
  col?: number;
}

export const BUILT_IN_EXAMPLE = 'built-in example site';

/** Top-level sections that may be empty in the file (then they get their default: none). */
const SECTIONS_WITH_DEFAULTS = { categories: true, siems: true, targets: true };

let validator: ReturnType<Ajv['compile']> | undefined;
function getValidator(): ReturnType<Ajv['compile']> {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
    addFormats(ajv, ['ipv4', 'hostname']);
    validator = ajv.compile(siteSchema(allConnectors()));
  }
  return validator;
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
        message = `must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(e.data)})`;
        break;
      case 'anyOf':
      case 'pattern':
      case 'format': {
        const desc = (e.parentSchema as { description?: string }).description;
        message = `must be ${desc ?? e.message} (got ${JSON.stringify(e.data)})`;
        break;
      }
      case 'type':
        message = `must be ${(e.params as { type: string }).type} (got ${JSON.stringify(e.data)})`;
        break;
      default:
        message = `${e.message ?? 'is invalid'} (got ${JSON.stringify(e.data)})`;
    }
    const id = `${formatPath(path)}|${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ path, message, keyOf });
  }
  return out;
}

/** Parses and validates site text; throws UserError listing every problem. */
export function parseSite(text: string, source: string): Site {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const where = (line?: number, col?: number) => (line ? `${source}:${line}:${col ?? 1}` : source);
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => `${where(e.linePos?.[0].line, e.linePos?.[0].col)}: YAML: ${e.message.split('\n')[0]}`);
    throw new UserError(`${source}: the site file is not valid YAML`, lines);
  }
  const data = (doc.toJS() ?? {}) as Record<string, unknown>;
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new UserError(`${source}: the site file must be a YAML mapping (key: value), got ${Array.isArray(data) ? 'a list' : typeof data}`);
  }
  // A section with only comments under it (`targets:` and a commented example) is left out, so its default applies.
  for (const [key, value] of Object.entries(data)) if (value === null && key in SECTIONS_WITH_DEFAULTS) delete data[key];
  const validate = getValidator();
  const problems: SiteProblem[] = [];
  const warnings: SiteProblem[] = [];
  if (!validate(data)) {
    for (const p of schemaProblems(validate.errors ?? [])) {
      const keyOf = p.keyOf;
      const pos = keyOf ? positionOf(doc, lc, p.path.slice(0, -1), keyOf) : positionOf(doc, lc, p.path);
      problems.push({ path: p.path, message: p.message, line: pos?.line, col: pos?.col });
    }
  } else {
    for (const { warning, ...p } of checkSite(data as unknown as Site)) {
      const pos = positionOf(doc, lc, p.path);
      (warning ? warnings : problems).push({ ...p, line: pos?.line, col: pos?.col });
    }
  }
  const describe = (list: SiteProblem[]) =>
    list
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0))
      .map((p) => `${where(p.line, p.col)}: ${formatPath(p.path)}: ${p.message}`);
  if (problems.length > 0) {
    throw new UserError(`${source}: ${problems.length} problem${problems.length > 1 ? 's' : ''} in the site file`, describe(problems));
  }
  const site = data as unknown as Site;
  site.source = source;
  site.warnings = describe(warnings);
  site.configOption = configOptionFor(undefined);
  return site;
}

/** Loads the site file at `path`, or the built-in example site when no path is given. */
export function loadSite(path?: string): Site {
  const file = path ?? exampleSitePath();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read the site file (${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message})`);
  }
  const site = parseSite(text, path ?? BUILT_IN_EXAMPLE);
  if (path !== undefined) site.file = resolve(path);
  site.configOption = configOptionFor(site.file);
  return site;
}

/** ` --config '<file>'` for commands printed in bundles (so they use the same site file), '' for the built-in example. */
export function configOptionFor(file: string | undefined): string {
  return file ? ` --config ${escapers.sh(file)}` : '';
}
