/**
 * What the core promises about every registered connector, whatever its SIEM: a site without its
 * `siems.<id>` section is a clear user error (not a TypeError), and the connector set refuses
 * two connectors with one id, and every connector's detection event round-trips placeholder by
 * placeholder.
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
import { contractFields } from '../../src/cybertrace/event-contract.js';
import { renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import type { FieldRole } from '../../src/model/events.js';

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
      for (const args of [
        ['generate', c.id, '--out', join(dir, 'out')],
        ['verify', c.id, '--to', '127.0.0.1:9'],
        ['simulate', c.id, '--to', '127.0.0.1:9', '--count', '1'],
      ]) {
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
    expect(() => connectorSet([first, first])).toThrow(`connector id "${first.id}" is registered twice`);
    expect(() => registry.get('no such siem')).toThrow(`unknown SIEM "no such siem"; known: ${registry.ids().join(', ')}`);
  });
});

/**
 * Both halves from one definition: every placeholder of a connector's detection event, rendered
 * with the bundle's EventFormat as the service fills it in, is read back by the SIEM side into the
 * field of its role. A placeholder the parser drops, or two that land in one field, fail here for
 * any registered connector.
 */
describe.each(registry.all().map((c) => ({ c })))('$c.id: every placeholder of the detection event round-trips', ({ c }) => {
  const site = exampleSite();
  // Values shaped like what the service substitutes, distinct per placeholder, so a swap shows.
  const sample = (role: FieldRole, placeholder: string, i: number): string => {
    switch (role) {
      case 'src_ip':
      case 'dst_ip':
      case 'device_ip':
        return `192.0.2.${10 + i}`;
      case 'hash':
      case 'md5':
        return `${'0'.repeat(30)}${String(10 + i)}`;
      case 'sha1':
        return `${'1'.repeat(38)}${String(10 + i)}`;
      case 'sha256':
        return `${'2'.repeat(62)}${String(10 + i)}`;
      case 'url':
        return `fakess123.nu/p${i}`;
      case 'category':
        return 'KL_Malicious_URL';
      case 'confidence':
        return String(50 + i);
      case 'date':
        return 'Jan  2 03:04:05';
      default:
        return `v${i}-${placeholder}`;
    }
  };

  it('gives each role the value of its placeholder', () => {
    const settings = c.cybertrace(site);
    const fields = contractFields(c.events(site).detection).filter((f) => f.role !== 'context' && f.role !== 'actionable');
    const values = Object.fromEntries(fields.map((f, i) => [f.placeholder, sample(f.role, f.placeholder, i)]));
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, { values, context: [['k', 'v']] });
    const parsed = c.wire.parseEvent(c.wire.asReceived ? c.wire.asReceived(line, site) : line, site);
    expect(parsed.kind).toBe('detection');
    for (const f of fields) expect(parsed.fields[f.role], `%${f.placeholder}% (${f.role})`).toBe(values[f.placeholder]);
  });
});

describe.each(registry.all().map((c) => ({ c })))('$c.id built to be checked (validate)', ({ c }) => {
  it('renders every file the written bundle has, byte for byte, except the MANIFEST and archives of its own files', async () => {
    const { buildBundle } = await import('../../src/bundle/build.js');
    const { createRenderer } = await import('../../src/render/engine.js');
    const site = exampleSite();
    const render = createRenderer();
    const written = await buildBundle(c, site, render);
    const checked = await buildBundle(c, site, render, { checkOnly: true });
    // An archive's bytes start with gzip's magic number (Splunk's .spl, for instance).
    const archiveOrManifest = (f: { path: string; content: string | Buffer }) =>
      f.path === 'MANIFEST' || (Buffer.isBuffer(f.content) && f.content[0] === 0x1f && f.content[1] === 0x8b);
    const text = (files: typeof written.files) => files.map((f) => ({ path: f.path, mode: f.mode, install: f.install, content: String(f.content) }));
    expect(text(checked.files)).toEqual(text(written.files.filter((f) => !archiveOrManifest(f))));
    expect(checked.steps).toEqual(written.steps);
  });
});
