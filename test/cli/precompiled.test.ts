/**
 * The CLI runs the forms `npm run build` precompiled and bundled (site validator, templates, the
 * lines of the top-level help, the CLI as one file with a code cache per command); what they
 * produce must be what compiling the same sources at run time gives.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { REPO, runCli } from '../helpers/cli.js';
import { bundleFor } from '../helpers/bundles.js';
import { allConnectors } from '../../connectors/registry.js';
import { requirePrecompiled } from '../../src/kernel/precompiled.js';
import { builtCliFor, COMMAND_NAMES } from '../../src/cli/command-names.js';

const out = mkdtempSync(join(tmpdir(), 'ctc-pre-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('precompiled at build', () => {
  it('is what the CLI runs', () => {
    // The CLI runs the bundle (dist/cli/), whose modules read these files from beside themselves.
    for (const file of ['site-validator.generated.cjs', 'templates.generated.cjs', 'commands.generated.json']) {
      expect(existsSync(join(REPO, 'dist', 'cli', file)), file).toBe(true);
    }
  });

  it("comes with V8 code caches that this Node accepts: the generated files', and the bundled CLI's for each command", () => {
    const caches: Array<[string, string]> = [
      ['site-validator.generated.cjs', 'site-validator.generated.cjs.cache'],
      ['templates.generated.cjs', 'templates.generated.cjs.cache'],
      // As src/cli/launch.ts finds them: each command's bundle and cache, the top-level help's, and an unknown command's.
      ...[...COMMAND_NAMES, undefined, 'no-such-command'].map((c): [string, string] => {
        const { file, cache } = builtCliFor(['node', 'ctconnect', ...(c ? [c] : [])]);
        return [file, cache];
      }),
    ];
    for (const [name, cache] of caches) {
      const file = join(REPO, 'dist', 'cli', name);
      const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData: readFileSync(join(REPO, 'dist', 'cli', cache)) });
      expect(script.cachedDataRejected, cache).toBe(false);
    }
  });

  it('loads a generated file whose code cache V8 refuses (made by another Node) by compiling it', () => {
    const file = join(mkdtempSync(join(out, 'refused-')), 'answer.generated.cjs');
    writeFileSync(file, "'use strict';\nmodule.exports = { answer: () => 42 };\n");
    writeFileSync(`${file}.cache`, Buffer.from('not a code cache'));
    expect((requirePrecompiled(file) as { answer(): number }).answer()).toBe(42);
  });

  it('generate writes the bytes the sources compiled at run time give', async () => {
    const bundles = join(out, 'bundles');
    const r = runCli(['-q', 'generate', '--all', '--archive', 'none', '--out', bundles]);
    expect(r.code, r.stderr).toBe(0);
    for (const c of allConnectors()) {
      for (const f of (await bundleFor(c.id)).files) {
        const expected = typeof f.content === 'string' ? Buffer.from(f.content, 'utf8') : f.content;
        expect(readFileSync(join(bundles, c.id, f.path)).equals(expected), `${c.id}/${f.path}`).toBe(true);
      }
    }
  });

  it('the top-level help lists every command as when all are loaded', () => {
    const quick = runCli(['--help']);
    const loaded = runCli(['help']);
    expect(quick.code).toBe(0);
    expect(quick.stdout).toBe(loaded.stdout);
    for (const c of ['generate', 'validate', 'deploy', 'completion']) expect(quick.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });
});
