/**
 * CyberTrace tenants in the site file: one SIEM per tenant, one port per tenant, names CyberTrace
 * accepts, every SIEM served; refusals name the field and file:line:col. Several SIEMs on one 5.x
 * instance, one per tenant, is valid with no warning; who gets the global service alerts is said.
 */
import { describe, expect, it } from 'vitest';
import { parseSite } from '../../src/config/load.js';
import { siteViewFor } from '../../src/config/instances.js';
import { UserError } from '../../src/kernel/errors.js';
import { registry } from '../../connectors/registry.js';
import { settingsFor } from '../../src/bundle/build.js';

const SIEMS = `siems:
  fortisiem:
    address: 192.0.2.30
  alienvault:
    address: 192.0.2.20
    devices: [{ ip: 198.51.100.11, name: proxy-1 }]
  splunk:
    address: 192.0.2.40
    input_port: 3000
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

const THREE = `cybertrace:
  address: 192.0.2.10
  version: "5.x"
  tenants:
    - name: General
      serves: [fortisiem]
    - name: SOC-AlienVault
      serves: [alienvault]
      input_port: 9997
    - name: SOC-Splunk
      serves: [splunk]
      input_port: 9996
${SIEMS}`;

describe('a 5.x instance with tenants', () => {
  it('serves three SIEMs, one per tenant, with no warning; each SIEM sees its tenant and port', () => {
    const site = parseSite(THREE, 'site.yaml', registry);
    expect(site.warnings).toEqual([]);
    expect(site.notes).toEqual([
      'site.yaml:5:5: cybertrace.tenants: CyberTrace sends its service alerts to fortisiem; alienvault and splunk will not get service alerts ' +
        '(service alerts are global in CyberTrace 5.x (NotificationSettings > ServiceAlertsSettings), so one SIEM receives them); choose with cybertrace.service_alerts',
    ]);
    expect(siteViewFor(site, 'alienvault').cybertrace).toMatchObject({ input_port: 9997, tenant: { name: 'SOC-AlienVault', serviceAlerts: false } });
    expect(siteViewFor(site, 'fortisiem').cybertrace).toMatchObject({ input_port: 9999, tenant: { name: 'General', serviceAlerts: true } });
    expect(settingsFor(registry.get('splunk'), site).target).toEqual({ version: '5.x', tenant: 'SOC-Splunk', serviceAlerts: false, sitePath: 'cybertrace' });
    expect(settingsFor(registry.get('alienvault'), site).input.connectionString).toBe('192.0.2.10:9997');
  });

  it('service_alerts chooses who gets them', () => {
    const site = parseSite(THREE.replace('  tenants:', '  service_alerts: splunk\n  tenants:'), 'site.yaml', registry);
    expect(site.notes?.[0]).toMatch(
      /^site.yaml:4:19: cybertrace.service_alerts: CyberTrace sends its service alerts to splunk; fortisiem and alienvault will not/,
    );
    expect(settingsFor(registry.get('splunk'), site).target?.serviceAlerts).toBe(true);
    expect(settingsFor(registry.get('fortisiem'), site).target?.serviceAlerts).toBe(false);
  });

  it.each([
    [
      'two SIEMs on one tenant',
      THREE.replace('serves: [fortisiem]', 'serves: [fortisiem, alienvault]').replace(
        /    - name: SOC-AlienVault\n      serves: \[alienvault\]\n      input_port: 9997\n/,
        '',
      ),
      /^site\.yaml:6:27: cybertrace\.tenants\[0\]\.serves\[1\]: tenant "General" already serves fortisiem: one tenant has one OutputSettings, so alienvault would replace fortisiem's output format/,
    ],
    [
      'two tenants on one input port',
      THREE.replace('input_port: 9996', 'input_port: 9997'),
      /^site\.yaml:12:19: cybertrace\.tenants\[2\]\.input_port: tenants "SOC-AlienVault" and "SOC-Splunk" would both listen on port 9997: give each tenant its own input_port/,
    ],
    [
      'two tenants on the default input port',
      THREE.replace('      input_port: 9996\n', ''),
      /^site\.yaml:10:7: cybertrace\.tenants\[2\]: tenants "General" and "SOC-Splunk" would both listen on port 9999 \(cybertrace\.input_port, the default\)/,
    ],
    [
      'a tenant name longer than 64 characters',
      THREE.replace('SOC-Splunk', 'S'.repeat(65)),
      /^site\.yaml:10:13: cybertrace\.tenants\[2\]\.name: a tenant name is 1 to 64 characters in CyberTrace \(got 65\)/,
    ],
    [
      'an empty tenant name',
      THREE.replace('name: SOC-Splunk', 'name: ""'),
      /^site\.yaml:10:13: cybertrace\.tenants\[2\]\.name: a tenant name is 1 to 64 characters in CyberTrace \(got 0\)/,
    ],
    [
      'a tenant listed twice',
      THREE.replace('SOC-Splunk', 'SOC-AlienVault'),
      /^site\.yaml:10:13: cybertrace\.tenants\[2\]\.name: tenant "SOC-AlienVault" is listed twice/,
    ],
    [
      'a SIEM no tenant serves',
      THREE.replace(/    - name: SOC-Splunk\n      serves: \[splunk\]\n      input_port: 9996\n/, ''),
      /^site\.yaml:\d+:\d+: siems\.splunk: no CyberTrace instance serves splunk \(CyberTrace serves fortisiem, alienvault\); add "splunk" to the serves: of the tenant/,
    ],
    [
      'serves next to tenants',
      THREE.replace('  tenants:', '  serves: [fortisiem]\n  tenants:'),
      /^site\.yaml:4:11: cybertrace\.serves: with tenants:, each tenant says what it serves/,
    ],
    [
      'service_alerts naming a SIEM no tenant serves',
      THREE.replace('  tenants:', '  service_alerts: kuma\n  tenants:'),
      /cybertrace\.service_alerts: kuma is served by no tenant of this CyberTrace/,
    ],
    ['tenants on a 3.x instance', THREE.replace('"5.x"', '"3.x"'), /^site\.yaml:5:5: cybertrace\.tenants: CyberTrace 3\.x has no tenants/],
  ])('refuses %s, naming the field and its position', (_what, text, message) => {
    const found = problems(text);
    expect(
      found.some((p) => message.test(p)),
      found.join('\n'),
    ).toBe(true);
  });

  it('a 5.x instance without tenants and two SIEMs points at tenants', () => {
    const text = `cybertrace:\n  address: 192.0.2.10\n  version: "5.x"\n  serves: [fortisiem, alienvault]\n${SIEMS.replace(/  splunk:\n.*\n.*\n$/, '')}`;
    expect(problems(text).join('\n')).toMatch(
      /site\.yaml:4:11: cybertrace\.serves: fortisiem and alienvault would both write .* or list this CyberTrace's tenants/,
    );
  });
});

describe('the cybertraces: list form with tenants', () => {
  const LIST = `cybertraces:
  - name: ct-old
    address: 192.0.2.11
    version: "4.x"
    serves: [fortisiem]
  - name: ct-new
    address: 192.0.2.10
    version: "5.x"
    tenants:
      - name: General
        serves: [alienvault]
      - name: SOC-Splunk
        serves: [splunk]
        input_port: 9997
${SIEMS}`;

  it('works the same way: valid, no warning, each SIEM on its instance and tenant', () => {
    const site = parseSite(LIST, 'site.yaml', registry);
    expect(site.warnings).toEqual([]);
    expect(siteViewFor(site, 'splunk').cybertrace).toMatchObject({ name: 'ct-new', input_port: 9997, tenant: { name: 'SOC-Splunk' } });
    expect(siteViewFor(site, 'fortisiem').cybertrace.tenant).toBeUndefined();
    expect(settingsFor(registry.get('splunk'), site).target).toMatchObject({ version: '5.x', tenant: 'SOC-Splunk', sitePath: 'cybertraces[1]' });
  });

  it('refuses the same mistakes at the positions of the list', () => {
    expect(problems(LIST.replace('        input_port: 9997\n', ''))).toEqual([
      'site.yaml:12:9: cybertraces[1].tenants[1]: tenants "General" and "SOC-Splunk" would both listen on port 9999 (cybertraces[1].input_port, the default): give each tenant its own input_port',
    ]);
    expect(problems(LIST.replace('    serves: [fortisiem]\n', '')).join('\n')).toMatch(/site\.yaml:2:5: cybertraces\[0\]: missing required key "serves"/);
  });
});

describe('KUMA with cybertrace-http and CyberTrace 5', () => {
  const kuma = (tenant: string) => `cybertrace:
  address: 192.0.2.10
  version: "5.x"
  tenants:
    - name: General
      serves: [fortisiem]
    - name: ${tenant}
      serves: [kuma]
      input_port: 9997
siems:
  fortisiem:
    address: 192.0.2.30
  kuma:
    version: "4.x"
    rule:
      source_kind: cybertrace-http
`;

  it('is refused when KUMA is served by a tenant other than General, with the reason', () => {
    expect(problems(kuma('SOC-KUMA')).join('\n')).toMatch(
      /siems\.kuma\.rule\.source_kind: KUMA's cybertrace-http source kind with CyberTrace 5 and later queries the General tenant only, and this KUMA is served by the tenant "SOC-KUMA"/,
    );
  });

  it('is valid on the General tenant, and with the TCP source kind on another tenant', () => {
    const general = kuma('X')
      .replace('serves: [fortisiem]', 'serves: [kuma]')
      .replace('serves: [kuma]\n      input_port', 'serves: [fortisiem]\n      input_port');
    expect(problems(general)).toEqual([]);
    expect(problems(kuma('SOC-KUMA').replace('cybertrace-http', 'cybertrace'))).toEqual([]);
  });
});
