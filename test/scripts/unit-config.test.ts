/**
 * `npm run test:unit` runs every test file but those vitest.unit.config.ts lists as needing root or
 * the Debian packages; `npm test` runs them all. The list names files that exist (a renamed test
 * would otherwise slip into the quick run and fail on a machine without the packages).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';
import unit, { NEEDS_ROOT_OR_PACKAGES } from '../../vitest.unit.config.js';

describe('npm run test:unit', () => {
  it('leaves out only test files that exist, and npm test still runs every one', () => {
    for (const f of NEEDS_ROOT_OR_PACKAGES) expect(existsSync(join(REPO, f)), f).toBe(true);
    expect(unit.test?.exclude).toEqual(expect.arrayContaining(NEEDS_ROOT_OR_PACKAGES));
    const scripts = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['test:unit']).toBe('npm run build && vitest run --config vitest.unit.config.ts');
    expect(scripts.test).toMatch(/ vitest run$/);
    // The tests that start programs of the packages are among those left out.
    for (const f of ['test/deploy/lab.test.ts', 'test/alienvault/sql.test.ts', 'test/verify/verify.test.ts', 'test/cybertrace/serve.test.ts'])
      expect(NEEDS_ROOT_OR_PACKAGES).toContain(f);
  });
});
