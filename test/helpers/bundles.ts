/** Test helpers: load a site (the built-in example or YAML text) and build a connector's bundle in memory. */
import { parseSite, loadSite } from '../../src/config/load.js';
import { getConnector } from '../../connectors/registry.js';
import { buildBundle, type Bundle } from '../../src/bundle/build.js';
import { createRenderer } from '../../src/render/engine.js';
import type { Site } from '../../src/config/site.js';
import { registry } from '../../connectors/registry.js';

export function exampleSite(): Site {
  return loadSite(undefined, registry);
}

export function siteFromYaml(text: string): Site {
  return parseSite(text, 'test-site.yaml', registry);
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
