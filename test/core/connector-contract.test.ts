/**
 * What the core promises about every registered connector, whatever its SIEM: a site without its
 * `siems.<id>` section is a clear user error (not a TypeError), and the connector set refuses
 * two connectors with one id.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { exampleSitePath } from '../../src/kernel/paths.js';
import { registry } from '../../connectors/registry.js';
import { connectorSet } from '../../src/connector/connector-set.js';
import { UserError } from '../../src/kernel/errors.js';
import type { Site } from '../../src/model/site.js';
import { exampleSite } from '../helpers/bundles.js';
import { runCli } from '../helpers/cli.js';

describe.each(registry.all().map((c) => ({ c })))('$c.id without its siems section', ({ c }) => {
  const site: Site = { ...exampleSite(), siems: {} };

  it('is a user error naming the section, for the settings and the steps', () => {
    for (const call of [() => c.cybertrace(site), () => c.steps(site)]) {
      expect(call).toThrow(UserError);
      expect(call).toThrow(`no "siems.${c.id}" section`);
    }
  });

  it('generate, verify and simulate say so, exit 1 and send nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctc-nosection-'));
    try {
      const doc = parse(readFileSync(exampleSitePath(), 'utf8')) as { siems: Record<string, unknown> };
      delete doc.siems[c.id];
      const file = join(dir, 'site.yaml');
      writeFileSync(file, stringify(doc));
      for (const args of [['generate', c.id, '--out', join(dir, 'out')], ['verify', c.id, '--to', '127.0.0.1:9'], ['simulate', c.id, '--to', '127.0.0.1:9', '--count', '1']]) {
        const r = runCli([...args, '--config', file]);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toContain(`no "siems.${c.id}" section`);
        expect(r.stderr).not.toMatch(/TypeError|internal error/i);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the connector set', () => {
  it('refuses two connectors with one id, and names the known ones for an unknown id', () => {
    const [first] = registry.all();
    expect(() => connectorSet([first!, first!])).toThrow(`connector id "${first!.id}" is registered twice`);
    expect(() => registry.get('no such siem')).toThrow(`unknown SIEM "no such siem"; known: ${registry.ids().join(', ')}`);
  });
});
