/** CyberTrace instances: which SIEM each serves, conflicts explained, and bundles built from the serving instance. */
import { describe, expect, it } from 'vitest';
import { parseSite } from '../../src/config/load.js';
import { UserError } from '../../src/kernel/errors.js';
import { bundleFor, fileText } from '../helpers/bundles.js';
import { registry } from '../../connectors/registry.js';

const SIEMS = `siems:
  fortisiem:
    address: 192.0.2.30
  alienvault:
    address: 192.0.2.20
    devices: [{ ip: 198.51.100.11, name: proxy-1 }]
`;

function problems(text: string): string[] {
  try {
    parseSite(text, 'site.yaml', registry);
  } catch (e) {
    if (e instanceof UserError) return e.details;
    throw e;
  }
  return [];
}

describe('CyberTrace instances', () => {
  it('gives each SIEM the instance that serves it', async () => {
    const site = parseSite(
      `cybertraces:
  - name: ct-fsm
    address: 192.0.2.10
    serves: [fortisiem]
  - name: ct-soc
    address: 192.0.2.11
    input_port: 9997
    version: "3.x"
    serves: [alienvault]
${SIEMS}`,
      'site.yaml',
      registry,
    );
    expect(site.warnings).toEqual([]);
    expect(site.cybertrace.name).toBe('ct-fsm');
    expect(fileText(await bundleFor('fortisiem', site), 'cybertrace/kl_feed_service.fragment.xml')).toContain(
      '<ConnectionString>192.0.2.10:9999</ConnectionString>',
    );
    const av = await bundleFor('alienvault', site);
    expect(fileText(av, 'cybertrace/kl_feed_service.fragment.xml')).toContain('<ConnectionString>192.0.2.11:9997</ConnectionString>');
    expect(av.settings.serves).toEqual({ siem: 'alienvault', site: 'site' });
  });

  it('refuses two SIEMs on one 3.x/4.x instance, with the fields to change', () => {
    const p = problems(`cybertraces:
  - name: ct
    address: 192.0.2.10
    serves: [fortisiem, alienvault]
${SIEMS}`);
    expect(p).toEqual([
      expect.stringMatching(
        /^site\.yaml:4:13: cybertraces\[0\]\.serves: fortisiem and alienvault would both write the one OutputSettings of this CyberTrace 4\.x \(192\.0\.2\.10\).*Keep one SIEM in cybertraces\[0\]\.serves, and describe the CyberTrace of each other SIEM as its own item of cybertraces:/,
      ),
    ]);
  });

  it('refuses a SIEM no instance serves, one served twice, a serves entry without its SIEM, and both forms at once', () => {
    expect(problems(`cybertrace:\n  address: 192.0.2.10\n  serves: [fortisiem]\n${SIEMS}`)).toEqual([
      expect.stringMatching(
        /^site\.yaml:8:5: siems\.alienvault: no CyberTrace instance serves alienvault \(CyberTrace serves fortisiem\); add "alienvault" to the serves: of the instance/,
      ),
    ]);
    const twice = problems(
      `cybertraces:\n  - { name: a, address: 192.0.2.10, serves: [fortisiem] }\n  - { name: b, address: 192.0.2.11, serves: [fortisiem, alienvault] }\n${SIEMS}`,
    );
    expect(twice.join('\n')).toContain('cybertraces[1].serves: fortisiem is served by CyberTrace "a" and CyberTrace "b"');
    expect(problems(`cybertrace:\n  address: 192.0.2.10\n  serves: [kuma]\n`)).toEqual([
      expect.stringMatching(/^site\.yaml:3:12: cybertrace\.serves\[0\]: "kuma" is not configured under siems:/),
    ]);
    expect(problems(`cybertrace:\n  address: 192.0.2.10\ncybertraces:\n  - { name: a, address: 192.0.2.11, serves: [fortisiem] }\n`)[0]).toContain(
      'give either cybertrace: (one instance) or cybertraces: (a list), not both',
    );
  });

  it('warns, without refusing, when the single cybertrace: form serves several SIEMs', () => {
    const site = parseSite(`cybertrace:\n  address: 192.0.2.10\n${SIEMS}`, 'site.yaml', registry);
    expect(site.warnings).toEqual([
      expect.stringMatching(
        /^site\.yaml:2:3: cybertrace: fortisiem and alienvault would both write the one OutputSettings .* or set cybertrace\.serves: \[fortisiem\]/,
      ),
    ]);
  });
});
