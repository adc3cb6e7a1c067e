/**
 * Golden files for every registered connector and each of its variants, because it is
 * registered: test/golden/<connector>/<variant>/ holds the whole bundle built from the example
 * site's section of that connector (the variant's options merged over it). Archives are
 * compared as the listing of their entries, other binary files by size and sha256. `UPDATE_GOLDEN=1 npx vitest run test/bundle/golden.test.ts`
 * writes them; review the diff before committing.
 */
import { describe, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { buildBundle } from '../../src/bundle/build.js';
import { createRenderer } from '../../src/render/engine.js';
import { sha256 } from '../../src/kernel/hash.js';
import { connectorVariants, exampleSiteYamlFor, siteFromYaml } from '../helpers/bundles.js';
import { expectGolden, tarListing } from '../helpers/golden.js';

const GOLDEN_ROOT = fileURLToPath(new URL('../golden/', import.meta.url));

describe.each(connectorVariants())('golden files: $c.id ($variant)', ({ c, variant, options }) => {
  it('the bundle equals the reviewed files', async () => {
    const bundle = await buildBundle(c, siteFromYaml(exampleSiteYamlFor(c, options)), createRenderer());
    const texts: Record<string, string> = {};
    for (const f of bundle.files) {
      if (typeof f.content === 'string') texts[f.path] = f.content;
      // An archive (a Splunk .spl) as the listing of its entries: readable when one changes.
      else if (f.content[0] === 0x1f && f.content[1] === 0x8b) texts[`${f.path}.entries`] = tarListing(f.content);
      else texts[f.path] = `binary file: ${f.content.length} bytes, sha256 ${sha256(f.content)}\n`;
    }
    expectGolden(texts, `${GOLDEN_ROOT}${c.id}/${variant.replace(/[^A-Za-z0-9_.-]+/g, '-')}`);
  });
});
