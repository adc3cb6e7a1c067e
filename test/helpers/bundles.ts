/** Test helpers: load a site (the built-in example or YAML text) and build a connector's bundle in memory. */
import { parseSite, loadSite } from '../../src/config/load.js';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { allConnectors, getConnector } from '../../connectors/registry.js';
import type { Connector } from '../../src/connector/contract.js';
import { exampleSitePath } from '../../src/kernel/paths.js';
import { buildBundle, type Bundle } from '../../src/bundle/build.js';
import { createRenderer } from '../../src/render/engine.js';
import type { Site } from '../../src/model/site.js';
import { registry } from '../../connectors/registry.js';
import { UserError } from '../../src/kernel/errors.js';

export function exampleSite(): Site {
  return loadSite(undefined, registry);
}

export function siteFromYaml(text: string): Site {
  return parseSite(text, 'test-site.yaml', registry);
}

/** The problem lines (`file:line:col: field: message`) a site text is refused with, or "accepted". */
export function siteProblems(text: string): string {
  try {
    siteFromYaml(text);
  } catch (e) {
    if (e instanceof UserError) return e.details.join('\n');
    throw e;
  }
  return 'accepted';
}

export async function bundleFor(id: string, site: Site = exampleSite()): Promise<Bundle> {
  return buildBundle(getConnector(id), site, createRenderer());
}

/** Bundle files as path → text (binary files as base64), for golden comparison. */
export function bundleTexts(b: Bundle): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of b.files) out[f.path] = typeof f.content === 'string' ? f.content : `base64:${f.content.toString('base64')}`;
  return out;
}

export function fileText(b: Bundle, path: string): string {
  const f = b.files.find((x) => x.path === path);
  if (!f) throw new Error(`bundle ${b.connector.id} has no file ${path}; it has: ${b.files.map((x) => x.path).join(', ')}`);
  return typeof f.content === 'string' ? f.content : f.content.toString('utf8');
}

/** Every registered connector with each option set the tests build: the example site's section ("default") and its `variants`. */
export function connectorVariants(): Array<{ c: Connector; variant: string; options: Record<string, unknown> }> {
  return allConnectors().flatMap((c) => [
    { c, variant: 'default', options: {} },
    ...(c.variants ?? []).map((v) => ({ c, variant: v.name, options: v.options })),
  ]);
}

/** `over` laid over `base`: objects merged key by key, anything else replaced. */
export function merged(base: unknown, over: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof over !== 'object' || over === null || Array.isArray(over)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? merged(out[k], v) : v;
  return out;
}

/** The example site file (YAML) with only this connector's section, `options` merged over it. */
export function exampleSiteYamlFor(c: Connector, options: Record<string, unknown> = {}): string {
  const doc = parse(readFileSync(exampleSitePath(), 'utf8')) as Record<string, unknown>;
  doc.siems = { [c.id]: merged((doc.siems as Record<string, unknown>)[c.id] ?? {}, options) };
  return stringify(doc);
}
