/** The init template (examples/site.yaml) documents every site key, and its commented examples work when uncommented. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSite } from '../../src/config/load.js';
import { siteSchema } from '../../src/config/schema.js';
import { allConnectors } from '../../connectors/registry.js';
import { REPO } from '../helpers/cli.js';
import { registry } from '../../connectors/registry.js';

const TEMPLATE = readFileSync(join(REPO, 'examples', 'site.yaml'), 'utf8');
const README = readFileSync(join(REPO, 'README.md'), 'utf8');

/** Every key path of the site schema, e.g. "targets[].root_prefix". */
function schemaKeys(): Array<{ path: string; key: string }> {
  const out: Array<{ path: string; key: string }> = [];
  const walk = (s: Record<string, unknown> | undefined, path: string): void => {
    if (!s || typeof s !== 'object') return;
    for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      out.push({ path: path ? `${path}.${k}` : k, key: k });
      walk(v, path ? `${path}.${k}` : k);
    }
    walk(s.items as Record<string, unknown> | undefined, `${path}[]`);
    for (const alt of ['anyOf', 'oneOf'] as const) for (const a of (s[alt] ?? []) as Array<Record<string, unknown>>) walk(a, path);
  };
  walk(siteSchema(allConnectors()), '');
  return out;
}

/** The commented 5.x form of cybertrace: (version, tenants, service_alerts), tested on its own below. */
const FIVE_X = /^  # --- CyberTrace 5\.x.*\n((?:  # .*\n)+)/m;

describe('the site file template', () => {
  it('every site key is in the template or the README', () => {
    const undocumented = schemaKeys().filter(({ key }) => {
      const re = new RegExp(`(^|[\\s{,#])${key}:|\`${key}\`|\\.${key}\\b`, 'm');
      return !re.test(TEMPLATE) && !re.test(README);
    });
    expect(undocumented.map((k) => k.path)).toEqual([]);
  });

  it('validates as it is, and with the example target and the optional settings uncommented', () => {
    expect(parseSite(TEMPLATE, 'site.yaml', registry).targets).toEqual([]);
    // Optional one-line settings: "# key: value" indented under a section. Keys that only fit another
    // setup are left out (a KUMA 4.x key on this 3.x example; serves, which would leave the other SIEMs unserved;
    // a target's cybertrace, which names an item of a cybertraces: list).
    const otherSetup = /^\s+#\s+(serves|secret|queue_limit|cybertrace_major|cybertrace):/;
    const uncommented = TEMPLATE.replace(FIVE_X, '')
      .split('\n')
      .map((l) =>
        otherSetup.test(l)
          ? l
          : l
              .replace(/^(\s+)# ([a-z_]+: )/, '$1$2')
              .replace(/^  # (- name: ct1)$/, '  $1')
              .replace(/^  #   /, '    '),
      )
      .join('\n');
    expect(uncommented).not.toBe(TEMPLATE);
    const site = parseSite(uncommented, 'site.yaml', registry);
    expect(site.targets).toMatchObject([{ name: 'ct1', host: '192.0.2.10', roles: ['cybertrace'], root_prefix: '/srv/staging', sudo: 'nopasswd' }]);
    expect(site.siems.fortisiem).toMatchObject({ severity: 'High', organization: 'Super' });
  });

  it('shows the 5.x form next to the 4.x one, and it validates with no warning once uncommented', () => {
    const block = FIVE_X.exec(TEMPLATE)![1];
    const five = block
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => `  ${l.slice(4)}`)
      .join('\n');
    const text = TEMPLATE.replace(/^  version: "4\.x".*$/m, five);
    const site = parseSite(text, 'site.yaml', registry);
    expect(site.cybertrace.version).toBe('5.x');
    expect(site.cybertrace.tenants?.map((t) => t.name)).toEqual(['General', 'SOC-AlienVault', 'SOC-Splunk', 'SOC-KUMA', 'SOC-ArcSight', 'SOC-QRadar']);
    expect(site.warnings).toEqual([]);
    expect(site.notes?.join('\n')).toMatch(/sends its service alerts to fortisiem; alienvault, splunk, kuma, arcsight and qradar will not get service alerts/);
  });
});
