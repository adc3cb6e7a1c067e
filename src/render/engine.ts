/**
 * Template rendering: one isolated Handlebars instance (no global helpers leak in or out),
 * strict mode (a missing value is an error, not an empty string) and no HTML escaping —
 * every value is escaped by the helper named for the format it lands in (src/render/escape.ts).
 *
 * `npm run build` precompiles the files under templates/ (scripts/precompile.mjs, with
 * TEMPLATE_OPTIONS below); a run then loads only the small Handlebars runtime. A template whose
 * file differs from what was precompiled, or any other source, is compiled when first used.
 */
import type Handlebars from 'handlebars';
import HandlebarsRuntime from 'handlebars/runtime.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapers, EscapeError } from './escape.js';
import { InternalError, UserError } from '../kernel/errors.js';
import { templatesDir } from '../kernel/paths.js';
import { requirePrecompiled } from '../kernel/precompiled.js';

export type Renderer = (templatePath: string, context: object) => string;

/** How every template is compiled, at build time and at run time alike. */
export const TEMPLATE_OPTIONS = { strict: true, noEscape: true } as const;

/** File name of the precompiled templates, next to the compiled form of this module. */
export const PRECOMPILED_TEMPLATES = 'templates.generated.cjs';

/** One precompiled template: the source it was built from and Handlebars' template spec. */
export type PrecompiledTemplate = { source: string; spec: TemplateSpecification };

// The small runtime is imported (so the build bundles it); the full compiler (about 30 ms to
// load) is required only when a template must be compiled.
const require = createRequire(import.meta.url);
const runtime = (): typeof Handlebars => HandlebarsRuntime as unknown as typeof Handlebars;
const compiler = (): typeof Handlebars => require('handlebars') as typeof Handlebars;

function createInstance(lib: typeof Handlebars): typeof Handlebars {
  const hb = lib.create();
  for (const [name, fn] of Object.entries(escapers)) {
    // Strict mode does not check helper arguments, so a missing value is caught here.
    hb.registerHelper(name, (value: unknown, options: Handlebars.HelperOptions & { loc?: { start: { line: number } } }) => {
      if (typeof value !== 'string' && typeof value !== 'number') {
        const line = options?.loc?.start.line;
        throw new InternalError(
          `helper "${name}"${line ? ` at line ${line}` : ''} got ${value === undefined ? 'no value (missing field)' : `a ${typeof value}`}`,
        );
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

/** Runs a template, turning its failures into the errors the CLI reports. */
function run(tpl: HandlebarsTemplateDelegate, context: object, name: string): string {
  try {
    return tpl(context);
  } catch (e) {
    if (e instanceof EscapeError) throw new UserError(`${name}: ${e.message}`);
    if (e instanceof UserError) throw e;
    throw new InternalError(`template ${name}: ${(e as Error).message}`, { cause: e });
  }
}

/** Renders template strings; used directly by tests and by the file renderer below. `partials`: name → source. */
export function createStringRenderer(partials: Record<string, string> = {}): (source: string, context: object, name?: string) => string {
  let hb: typeof Handlebars | undefined;
  const cache = new Map<string, HandlebarsTemplateDelegate>();
  return (source, context, name = '<inline>') => {
    let tpl = cache.get(source);
    if (!tpl) {
      if (!hb) {
        hb = createInstance(compiler());
        for (const [partial, text] of Object.entries(partials)) hb.registerPartial(partial, hb.compile(text, TEMPLATE_OPTIONS));
      }
      tpl = hb.compile(source, TEMPLATE_OPTIONS);
      cache.set(source, tpl);
    }
    return run(tpl, context, name);
  };
}

/** The templates `npm run build` precompiled, keyed by their path under templates/ (none when not built). */
function precompiled(): Record<string, PrecompiledTemplate> {
  const built = fileURLToPath(new URL(`./${PRECOMPILED_TEMPLATES}`, import.meta.url));
  return existsSync(built) ? (requirePrecompiled(built) as Record<string, PrecompiledTemplate>) : {};
}

/** Folder under templates/ whose files every template can include: `{{> name}}` for `partials/name.hbs`. */
const PARTIALS_DIR = 'partials';

/** The shared partials: name → path under templates/. */
function partialPaths(root: string): Record<string, string> {
  const dir = join(root, PARTIALS_DIR);
  if (!existsSync(dir)) return {};
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (f.endsWith('.hbs')) out[f.slice(0, -'.hbs'.length)] = `${PARTIALS_DIR}/${f}`;
  return out;
}

/** Renders files under templates/ (e.g. 'fortisiem/INSTALL.md.hbs'). */
export function createRenderer(root = templatesDir()): Renderer {
  const partials = Object.entries(partialPaths(root)).map(([name, path]) => ({ name, path, source: readFileSync(join(root, path), 'utf8') }));
  const renderString = createStringRenderer(Object.fromEntries(partials.map((p) => [p.name, p.source])));
  let built = root === templatesDir() ? precompiled() : {};
  // Partials are shared by every template: if one was edited since the build, every template is compiled afresh.
  if (partials.some((p) => built[p.path]?.source !== p.source)) built = {};
  let hb: typeof Handlebars | undefined;
  const templates = new Map<string, HandlebarsTemplateDelegate | string>();
  return (templatePath, context) => {
    const name = `templates/${templatePath}`;
    let tpl = templates.get(templatePath);
    if (tpl === undefined) {
      const source = readFileSync(join(root, templatePath), 'utf8');
      const pre = Object.hasOwn(built, templatePath) ? built[templatePath] : undefined;
      // The file as it is now decides: a template edited after the build is compiled afresh.
      if (pre && pre.source === source) {
        if (!hb) {
          hb = createInstance(runtime());
          for (const p of partials) hb.registerPartial(p.name, hb.template(built[p.path].spec));
        }
        tpl = hb.template(pre.spec);
      } else tpl = source;
      templates.set(templatePath, tpl);
    }
    return typeof tpl === 'string' ? renderString(tpl, context, name) : run(tpl, context, name);
  };
}
