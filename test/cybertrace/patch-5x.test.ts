/**
 * CyberTrace 5.x files (every tenant, General included, is a `Domains > Domain`) and 4.x files
 * with extra tenants: what a patch may change and what it must leave byte for byte. Every
 * registered connector is patched into the General tenant and into another one. The checks read
 * the result with the test-side reader (fixtures/xml-read.ts), laid out as the CyberTrace 5.x help
 * documents the elements, and xmllint judges the file.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { ConfigPatchError, patchFeedServiceConfig } from '../../src/cybertrace/patch.js';
import type { CyberTraceSettings } from '../../src/model/cybertrace.js';
import { settingsFor } from '../../src/bundle/build.js';
import { exampleSitePath } from '../../src/kernel/paths.js';
import { allConnectors, getConnector } from '../../connectors/registry.js';
import { siteFromYaml } from '../helpers/bundles.js';
import { at, readXml, xmllint, type Node } from './fixtures/xml-read.js';

const FIXTURE = readFileSync(new URL('./fixtures/kl_feed_service.5x.conf', import.meta.url), 'utf8');
const FIXTURE_4X = readFileSync(new URL('./fixtures/kl_feed_service.conf', import.meta.url), 'utf8');
const IDS = allConnectors().map((c) => c.id);

interface TenantSpec {
  name: string;
  serves: string[];
  input_port?: number;
}

/** The example site with its CyberTrace replaced by one of this version and these tenants. */
function siteWith(version: string, tenants?: TenantSpec[], extra: Record<string, unknown> = {}) {
  const doc = parse(readFileSync(exampleSitePath(), 'utf8')) as Record<string, unknown>;
  doc.cybertrace = { address: '192.0.2.10', version, ...(tenants ? { tenants } : {}), ...extra };
  // An instance without tenants serves one SIEM: the others are left out of the site.
  const only = extra.serves as string[] | undefined;
  if (only) doc.siems = Object.fromEntries(Object.entries(doc.siems as object).filter(([id]) => only.includes(id)));
  if (only) delete doc.targets;
  return siteFromYaml(stringify(doc));
}

/** `siem` in tenant `tenant`; every other SIEM of the registry in a tenant of its own. */
function tenantsWith(siem: string, tenant: string): TenantSpec[] {
  const others = IDS.filter((id) => id !== siem);
  const list: TenantSpec[] = [{ name: tenant, serves: [siem], ...(tenant === 'General' ? {} : { input_port: 9997 }) }];
  if (tenant !== 'General') list.unshift({ name: 'General', serves: [others.shift()!] });
  others.forEach((id, i) => list.push({ name: `T-${id}`, serves: [id], input_port: 10001 + i }));
  return list;
}

function settings(siem: string, site: ReturnType<typeof siteWith>): CyberTraceSettings {
  return settingsFor(getConnector(siem), site);
}

const domainOf = (root: Node, name: string): Node => at(root, 'Domains/Domain', (d) => d.attrs.name === name);
const slice = (text: string, n: Node): string => text.slice(n.start, n.end);

/** The tenant's elements hold exactly the settings, where the 5.x help puts them. */
function expectTenantHolds(domain: Node, s: CyberTraceSettings): void {
  expect(at(domain, 'InputSettings/ConnectionString').text).toBe(s.input.connectionString);
  if (s.input.eventDelimiter !== undefined) expect(at(domain, 'InputSettings/EventDelimiter').text).toBe(s.input.eventDelimiter);
  const source = at(domain, 'InputSettings/RegExps/Source', (c) => c.attrs.id === 'default');
  const regexps = source.children.filter((c) => c.attrs.type !== undefined);
  expect(regexps.map((r) => [r.name, r.attrs.type, r.attrs.extract, r.text])).toEqual(s.input.regexps.map((r) => [r.name, r.type, r.extract, r.pattern]));
  expect(at(domain, 'OutputSettings/ConnectionString').text).toBe(s.output.connectionString);
  expect(at(domain, 'OutputSettings/RecordFieldContextFormat').text).toBe(s.output.recordFieldContextFormat);
  expect(at(domain, 'OutputSettings/EventSettings/EventFormat').text).toBe(s.output.eventFormat);
  expect(at(domain, 'OutputSettings/EventSettings/ActionableFieldContextFormat').text).toBe(s.output.actionableFieldContextFormat);
  const finished = at(domain, 'OutputSettings/EventSettings/FinishedEventFormat');
  const flags = ['enabled', 'enable'].filter((f) => finished.attrs[f] !== undefined);
  expect(flags.length).toBeGreaterThan(0);
  for (const f of flags) expect(finished.attrs[f]).toBe(String(s.output.finishedEventEnabled));
  if (s.output.finishedEventText !== undefined) expect(finished.text).toBe(s.output.finishedEventText);
  // 4.x places are not used in a 5.x tenant.
  expect(at(domain, 'OutputSettings').children.map((c) => c.name)).not.toContain('EventFormat');
}

describe.each(
  IDS.flatMap(
    (id) =>
      [
        [id, 'General'],
        [id, 'Tenant1'],
      ] as const,
  ),
)('%s in the %s tenant of a 5.x file', (siem, tenant) => {
  const site = siteWith('5.x', tenantsWith(siem, tenant));
  const s = settings(siem, site);
  const r = patchFeedServiceConfig(FIXTURE, s);
  const before = readXml(FIXTURE);
  const after = readXml(r.text);

  it('sets what the bundle owns inside that tenant, and xmllint accepts the file', () => {
    expect(r.changed).toBe(true);
    expect(xmllint(r.text)).toBe('');
    expectTenantHolds(domainOf(after, tenant), s);
  });

  it('leaves every other tenant and every global element byte for byte', () => {
    for (const d of before.children.find((c) => c.name === 'Domains')!.children) {
      if (d.attrs.name !== tenant) expect(slice(r.text, domainOf(after, d.attrs.name))).toBe(slice(FIXTURE, d));
    }
    const serviceAlerts = site.cybertrace.service_alerts === siem;
    for (const name of ['ServiceSettings', 'Feeds', 'LookupSettings', 'Plugins', ...(serviceAlerts ? [] : ['NotificationSettings'])]) {
      expect(slice(r.text, at(after, name))).toBe(slice(FIXTURE, at(before, name)));
    }
    expect(r.text.slice(0, domainOf(after, 'General').start)).toBe(FIXTURE.slice(0, domainOf(before, 'General').start));
  });

  it("keeps the tenant's other elements, the other Source and the normalizing rules as they were", () => {
    const d0 = domainOf(before, tenant);
    const d1 = domainOf(after, tenant);
    for (const name of ['Description', 'EPSLimit', 'Feeds']) expect(slice(r.text, at(d1, name))).toBe(slice(FIXTURE, at(d0, name)));
    if (tenant === 'General') {
      expect(
        slice(
          r.text,
          at(d1, 'InputSettings/RegExps/Source', (c) => c.attrs.id === 'ExampleSource1'),
        ),
      ).toBe(
        slice(
          FIXTURE,
          at(d0, 'InputSettings/RegExps/Source', (c) => c.attrs.id === 'ExampleSource1'),
        ),
      );
      const rules = (d: Node) =>
        at(
          at(d, 'InputSettings/RegExps/Source', (c) => c.attrs.id === 'default'),
          'NormalizingRules',
        );
      expect(slice(r.text, rules(d1))).toBe(slice(FIXTURE, rules(d0)));
      expect(slice(r.text, at(d1, 'OutputSettings/EventSettings/SendEventFilters'))).toBe(
        slice(FIXTURE, at(d0, 'OutputSettings/EventSettings/SendEventFilters')),
      );
    }
  });

  it('sets the global service alerts only for the SIEM that receives them', () => {
    const sa = at(after, 'NotificationSettings/ServiceAlertsSettings');
    if (site.cybertrace.service_alerts === siem) {
      expect(at(sa, 'AlertFormat').text).toBe(s.output.alertFormat);
      expect(at(sa, 'AlertConnectionString').text).toBe(s.output.connectionString);
      expect(at(sa, 'AlertConnectionString').attrs.enabled).toBe('true');
      expect(at(sa, 'ContextFormat').text).toBe(s.output.recordFieldContextFormat);
    } else {
      expect(r.changes.join('\n')).toMatch(/ServiceAlertsSettings: kept as it is/);
    }
  });

  it('changes nothing the second time', () => {
    const again = patchFeedServiceConfig(r.text, s);
    expect(again.changed).toBe(false);
    expect(again.text).toBe(r.text);
  });
});

describe('one 5.x file patched for three SIEMs, one after another', () => {
  const site = siteWith('5.x', [
    { name: 'General', serves: ['fortisiem'] },
    { name: 'Tenant1', serves: ['splunk'], input_port: 9997 },
    { name: 'Tenant 2', serves: ['kuma'], input_port: 9995 },
    ...IDS.filter((id) => !['fortisiem', 'splunk', 'kuma'].includes(id)).map((id, i) => ({ name: `T-${id}`, serves: [id], input_port: 10001 + i })),
  ]);
  const order = [
    ['fortisiem', 'General'],
    ['splunk', 'Tenant1'],
    ['kuma', 'Tenant 2'],
  ] as const;

  it("each patch leaves the tenants patched before it as they were; every tenant ends with its SIEM's settings", () => {
    let text = FIXTURE;
    const done: Array<[string, string]> = [];
    for (const [siem, tenant] of order) {
      const next = patchFeedServiceConfig(text, settings(siem, site)).text;
      for (const [, t] of done) expect(slice(next, domainOf(readXml(next), t))).toBe(slice(text, domainOf(readXml(text), t)));
      text = next;
      done.push([siem, tenant]);
    }
    expect(xmllint(text)).toBe('');
    const root = readXml(text);
    for (const [siem, tenant] of order) expectTenantHolds(domainOf(root, tenant), settings(siem, site));
    // Ports of the site's tenants are the tenants' input ports.
    expect(at(domainOf(root, 'Tenant1'), 'InputSettings/ConnectionString').text).toMatch(/:9997$/);
    expect(at(domainOf(root, 'Tenant 2'), 'InputSettings/ConnectionString').text).toMatch(/:9995$/);
    for (const [siem] of order) expect(patchFeedServiceConfig(text, settings(siem, site)).changed).toBe(false);
  });
});

function refusal(f: () => unknown): ConfigPatchError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigPatchError);
    return e as ConfigPatchError;
  }
  throw new Error('expected a ConfigPatchError');
}

describe('refusals', () => {
  it('a tenant the file does not have, naming those it has', () => {
    const site = siteWith('5.x', [
      { name: 'General', serves: ['alienvault'] },
      { name: 'SOC-Splunk', serves: ['splunk'], input_port: 9997 },
      ...IDS.filter((id) => !['alienvault', 'splunk'].includes(id)).map((id, i) => ({ name: `T-${id}`, serves: [id], input_port: 10001 + i })),
    ]);
    const e = refusal(() => patchFeedServiceConfig(FIXTURE, settings('splunk', site)));
    expect(e.reason).toMatch(/no tenant "SOC-Splunk" \(tenants: "General", "Tenant1", "Tenant 2"\)/);
    expect(e.reason).toMatch(/Create the tenant in CyberTrace Web/);
    expect(e.line).toBe(FIXTURE.slice(0, FIXTURE.indexOf('<Domains>')).split('\n').length);
  });

  it('a 5.x file for a 4.x instance, saying what to change in the site', () => {
    const site = siteWith('4.x', undefined, { serves: ['fortisiem'] });
    const e = refusal(() => patchFeedServiceConfig(FIXTURE, settings('fortisiem', site)));
    expect(e.reason).toMatch(/this is a CyberTrace 5\.x file .* the site says version "4\.x" for cybertrace: set cybertrace\.version: "5\.x"/);
  });

  it('a 4.x file for a 5.x instance, saying what to change in the site', () => {
    const site = siteWith('5.x', undefined, { serves: ['fortisiem'] });
    const e = refusal(() => patchFeedServiceConfig(FIXTURE_4X, settings('fortisiem', site)));
    expect(e.reason).toMatch(
      /this is a CyberTrace 3\.x\/4\.x file \(top-level <InputSettings>\), but the site says version "5\.x" for cybertrace: set cybertrace\.version: "4\.x"/,
    );
  });

  it.each([
    [
      'top-level InputSettings next to 5.x-only NotificationSettings',
      FIXTURE_4X.replace('<Feeds ', '<NotificationSettings/>\n    <Feeds '),
      /<InputSettings> .* and <NotificationSettings> .* matches no documented layout/,
    ],
    [
      'Domains without General and without top-level settings',
      FIXTURE.replace('<Domain name="General" id="0">', '<Domain name="Main" id="0">'),
      /no Domain named "General" .* matches no documented layout/,
    ],
    ['5.x-only elements without Domains', '<Configuration>\n  <LookupSettings/>\n</Configuration>\n', /<LookupSettings> \(5\.x only\) but no <Domains>/],
    ['two Domains elements', FIXTURE.replace('<ServiceSettings>', '<Domains/>\n    <ServiceSettings>'), /<Domains> appears 2 times/],
    ['a tenant listed twice', FIXTURE.replace('<Domain name="Tenant1" id="1">', '<Domain name="General" id="1">'), /tenant "General" appears 2 times/],
  ])('a file with %s', (_what, text, reason) => {
    const site = siteWith('5.x', tenantsWith('fortisiem', 'General'));
    const e = refusal(() => patchFeedServiceConfig(text, settings('fortisiem', site)));
    expect(e.reason).toMatch(reason);
    expect(e.line).toBeGreaterThan(0);
  });
});

describe('what the 5.x help leaves open', () => {
  const site = siteWith('5.x', tenantsWith('splunk', 'Tenant1'));
  const s = settings('splunk', site);

  it('sets the FinishedEventFormat flag in the spelling the file uses (enable), and enabled where there is none', () => {
    const r = patchFeedServiceConfig(FIXTURE, s);
    const finished = at(domainOf(readXml(r.text), 'Tenant1'), 'OutputSettings/EventSettings/FinishedEventFormat');
    expect(finished.attrs).toEqual({ enable: String(s.output.finishedEventEnabled) });
    const none = patchFeedServiceConfig(FIXTURE.replace('<FinishedEventFormat enable="false">', '<FinishedEventFormat>'), s);
    expect(at(domainOf(readXml(none.text), 'Tenant1'), 'OutputSettings/EventSettings/FinishedEventFormat').attrs).toEqual({
      enabled: String(s.output.finishedEventEnabled),
    });
  });

  it('does not check the name of the root element of a 5.x file', () => {
    const other = FIXTURE.replace('<Configuration>', '<KasperskyCyberTrace>').replace('</Configuration>', '</KasperskyCyberTrace>');
    const r = patchFeedServiceConfig(other, s);
    expect(xmllint(r.text)).toBe('');
    expectTenantHolds(domainOf(readXml(r.text), 'Tenant1'), s);
  });

  it('leaves the shared Feeds alone and says what it did not rename', () => {
    const fsm = settings('fortisiem', siteWith('5.x', tenantsWith('fortisiem', 'Tenant1')));
    const r = patchFeedServiceConfig(FIXTURE, fsm);
    expect(slice(r.text, at(readXml(r.text), 'Feeds'))).toBe(slice(FIXTURE, at(readXml(FIXTURE), 'Feeds')));
    if (Object.keys(fsm.feedFieldRenames).length) expect(r.changes.join('\n')).toMatch(/Feeds: 1 input_regexp_to_match RE_MD5→RE_HASH NOT renamed/);
  });
});

describe('a 4.x file with <Domains> for extra tenants', () => {
  const DOMAINS = `    <Domains>
        <Domain name="Example Domain">
            <!-- a 4.x tenant: its OutputSettings has the 4.x children -->
            <InputSettings>
                <ConnectionString>0.0.0.0:9997</ConnectionString>
                <RegExps>
                    <Source id="default"/>
                </RegExps>
            </InputSettings>
            <OutputSettings>
                <ConnectionString>127.0.0.1:9996</ConnectionString>
                <EventFormat>%Date% category=%Category%</EventFormat>
                <RecordFieldContextFormat>%ParamName%=%ParamValue%</RecordFieldContextFormat>
                <ActionableFieldContextFormat>%ParamName%=%ParamValue%</ActionableFieldContextFormat>
                <FinishedEventFormat enabled="false">LookupFinished</FinishedEventFormat>
            </OutputSettings>
        </Domain>
    </Domains>
`;
  const text = FIXTURE_4X.replace('    <Feeds ', `${DOMAINS}    <Feeds `);
  const site = siteWith('4.x', [
    { name: 'General', serves: ['fortisiem'] },
    { name: 'Example Domain', serves: ['splunk'], input_port: 9997 },
    ...IDS.filter((id) => !['fortisiem', 'splunk'].includes(id)).map((id, i) => ({ name: `T-${id}`, serves: [id], input_port: 10001 + i })),
  ]);

  it('is a 4.x file: the General tenant is the top-level settings', () => {
    const s = settings('fortisiem', site);
    const r = patchFeedServiceConfig(text, s);
    const root = readXml(r.text);
    expect(at(root, 'InputSettings/ConnectionString').text).toBe(s.input.connectionString);
    expect(at(root, 'OutputSettings/EventFormat').text).toBe(s.output.eventFormat);
    expect(at(root, 'OutputSettings/AlertFormat').text).toBe(s.output.alertFormat);
    expect(slice(r.text, at(root, 'Domains'))).toBe(slice(text, at(readXml(text), 'Domains')));
    expect(xmllint(r.text)).toBe('');
  });

  it("patches a SIEM of another tenant inside that tenant's Domain, in the 4.x layout and without AlertFormat", () => {
    const s = settings('splunk', site);
    const r = patchFeedServiceConfig(text, s);
    const before = readXml(text);
    const root = readXml(r.text);
    const d = at(root, 'Domains/Domain');
    expect(at(d, 'InputSettings/ConnectionString').text).toBe(s.input.connectionString);
    expect(at(d, 'OutputSettings/ConnectionString').text).toBe(s.output.connectionString);
    expect(at(d, 'OutputSettings/EventFormat').text).toBe(s.output.eventFormat);
    expect(d.children.find((c) => c.name === 'OutputSettings')!.children.map((c) => c.name)).not.toContain('AlertFormat');
    for (const name of ['InputSettings', 'OutputSettings', 'Feeds', 'ServiceSettings'])
      expect(slice(r.text, at(root, name))).toBe(slice(text, at(before, name)));
    expect(xmllint(r.text)).toBe('');
    expect(patchFeedServiceConfig(r.text, s).changed).toBe(false);
  });

  it('a tenant it does not have is refused, naming General (the top level) and the Domains', () => {
    const other = siteWith('4.x', [
      { name: 'General', serves: ['fortisiem'] },
      { name: 'SOC', serves: ['splunk'], input_port: 9997 },
      ...IDS.filter((id) => !['fortisiem', 'splunk'].includes(id)).map((id, i) => ({ name: `T-${id}`, serves: [id], input_port: 10001 + i })),
    ]);
    const e = refusal(() => patchFeedServiceConfig(text, settings('splunk', other)));
    expect(e.reason).toMatch(/no tenant "SOC" \(tenants: "General" \(the top-level settings\), "Example Domain"\)/);
  });
});

describe('the record of which SIEM a tenant serves', () => {
  const first = siteWith('5.x', tenantsWith('splunk', 'Tenant1'));
  const second = siteWith('5.x', tenantsWith('alienvault', 'Tenant1'));

  it('is kept inside the tenant, so another tenant may serve another SIEM, and switching a tenant needs allowSwitch', () => {
    const once = patchFeedServiceConfig(FIXTURE, settings('splunk', first)).text;
    const t1 = domainOf(readXml(once), 'Tenant1');
    expect(slice(once, t1)).toMatch(/<!-- ctconnect: serves siem="splunk"/);
    // The General tenant serves another SIEM of the same site: no refusal, its own record.
    const both = patchFeedServiceConfig(once, settings(first.cybertrace.tenants![0].serves[0], first)).text;
    expect(slice(both, domainOf(readXml(both), 'General'))).toMatch(/<!-- ctconnect: serves siem="/);
    const e = refusal(() => patchFeedServiceConfig(both, settings('alienvault', second)));
    expect(e.reason).toMatch(/^the tenant "Tenant1" of this CyberTrace serves splunk .* patching it for alienvault would replace splunk's OutputSettings/);
    const switched = patchFeedServiceConfig(both, { ...settings('alienvault', second), serves: { siem: 'alienvault', site: second.name, allowSwitch: true } });
    expect(slice(switched.text, domainOf(readXml(switched.text), 'Tenant1'))).toMatch(/serves siem="alienvault"/);
    expect(xmllint(switched.text)).toBe('');
  });
});
