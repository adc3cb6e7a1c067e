/**
 * Template rendering: one isolated Handlebars instance (no global helpers leak in or out),
 * strict mode (a missing value is an error, not an empty string) and no HTML escaping —
 * every value is escaped by the helper named for the format it lands in (src/render/escape.ts).
 */
import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapers, EscapeError } from './escape.js';
import { InternalError, UserError } from '../core/errors.js';
import { templatesDir } from '../core/paths.js';

export type Renderer = (templatePath: string, context: object) => string;

function createInstance(): typeof Handlebars {
  const hb = Handlebars.create();
  for (const [name, fn] of Object.entries(escapers)) {
    // Strict mode does not check helper arguments, so a missing value is caught here.
    hb.registerHelper(name, (value: unknown, options: Handlebars.HelperOptions & { loc?: { start: { line: number } } }) => {
      if (typeof value !== 'string' && typeof value !== 'number') {
        const line = options?.loc?.start.line;
        throw new InternalError(`helper "${name}"${line ? ` at line ${line}` : ''} got ${value === undefined ? 'no value (missing field)' : `a ${typeof value}`}`);
      }
      return fn(String(value));
    });
  }
  hb.registerHelper('join', (list: unknown, sep: unknown) => {
    if (!Array.isArray(list)) throw new InternalError('template helper "join" needs a list');
    return list.join(typeof sep === 'string' ? sep : ', ');
  });
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('octal', (n: unknown) => (typeof n === 'number' ? n.toString(8).padStart(4, '0') : String(n)));
  hb.registerHelper('inc', (n: unknown) => Number(n) + 1);
  return hb;
}

/** Renders template strings; used directly by tests and by the file renderer below. */
export function createStringRenderer(): (source: string, context: object, name?: string) => string {
  const hb = createInstance();
  const cache = new Map<string, HandlebarsTemplateDelegate>();
  return (source, context, name = '<inline>') => {
    let tpl = cache.get(source);
    if (!tpl) {
      tpl = hb.compile(source, { strict: true, noEscape: true });
      cache.set(source, tpl);
    }
    try {
      return tpl(context);
    } catch (e) {
      if (e instanceof EscapeError) throw new UserError(`${name}: ${e.message}`);
      if (e instanceof UserError) throw e;
      throw new InternalError(`template ${name}: ${(e as Error).message}`, { cause: e });
    }
  };
}

/** Renders files under templates/ (e.g. 'fortisiem/INSTALL.md.hbs'). */
export function createRenderer(root = templatesDir()): Renderer {
  const renderString = createStringRenderer();
  const sources = new Map<string, string>();
  return (templatePath, context) => {
    let source = sources.get(templatePath);
    if (source === undefined) {
      source = readFileSync(join(root, templatePath), 'utf8');
      sources.set(templatePath, source);
    }
    return renderString(source, context, `templates/${templatePath}`);
  };
}
