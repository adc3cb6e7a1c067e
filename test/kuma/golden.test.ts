/** The whole KUMA bundle of the example site against reviewed expected files. */
import { describe, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { bundleFor, bundleTexts } from '../helpers/bundles.js';
import { expectGolden } from '../helpers/golden.js';

const GOLDEN = fileURLToPath(new URL('./golden/example-site', import.meta.url));

describe('KUMA bundle of the example site', () => {
  it('matches the golden files', async () => {
    expectGolden(bundleTexts((await bundleFor('kuma'))), GOLDEN);
  });
});
