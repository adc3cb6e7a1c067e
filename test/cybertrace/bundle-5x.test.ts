/**
 * Every registered connector's bundle for a SIEM served by a CyberTrace 5.x tenant (General and
 * another one): INSTALL.md names the tenant and the CyberTrace Web steps for it, the fragment is
 * laid out as the 5.x help places the elements, and deploy's merge patches the same tenant.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { allConnectors } from '../../connectors/registry.js';
import { exampleSitePath } from '../../src/kernel/paths.js';
import { bundleFor, fileText, siteFromYaml } from '../helpers/bundles.js';
import { mergeBytes } from '../../src/deploy/merge.js';
import { at, readXml, xmllint } from './fixtures/xml-read.js';

const IDS = allConnectors().map((c) => c.id);
const FIXTURE = readFileSync(new URL('./fixtures/kl_feed_service.5x.conf', import.meta.url), 'utf8');

/** Every SIEM of the example site in a tenant of its own; `siem` in `tenant` (Tenant1 is in the 5.x fixture). */
function site(siem: string, tenant: string) {
  const doc = parse(readFileSync(exampleSitePath(), 'utf8')) as Record<string, unknown>;
  const others = IDS.filter((id) => id !== siem);
  const tenants: Array<Record<string, unknown>> = [{ name: tenant, serves: [siem], ...(tenant === 'General' ? {} : { input_port: 9997 }) }];
  if (tenant !== 'General') tenants.unshift({ name: 'General', serves: [others.shift()!] });
  others.forEach((id, i) => tenants.push({ name: `T-${id}`, serves: [id], input_port: 10001 + i }));
  doc.cybertrace = { address: '192.0.2.10', version: '5.x', tenants };
  return siteFromYaml(stringify(doc));
}

describe.each(
  IDS.flatMap(
    (id) =>
      [
        [id, 'General'],
        [id, 'Tenant1'],
      ] as const,
  ),
)('the %s bundle for the %s tenant of a 5.x CyberTrace', (siem, tenant) => {
  const s = site(siem, tenant);

  it('INSTALL.md shows the tenant and the CyberTrace Web steps for it', async () => {
    const install = fileText(await bundleFor(siem, s), 'INSTALL.md');
    expect(install).toContain(`served by the CyberTrace 5.x tenant **${tenant}**`);
    expect(install).toContain(`Domains > Domain name="${tenant}"`);
    expect(install).toMatch(
      /switch to Data management mode, select the tenant `[^`]+`,\s+and enter the values of `cybertrace\/SETTINGS\.md` on its Settings pages/,
    );
    expect(install).toContain(`\`Domains > Domain name="${tenant}" > OutputSettings > EventSettings > EventFormat\``);
    if (tenant === 'General') expect(install).toContain('cannot be renamed');
    else expect(install).toMatch(/Create the tenant first[^]*Settings > Tenants/);
    const alerts = s.cybertrace.service_alerts === siem;
    expect(install).toContain(alerts ? 'receives them, so the settings below set them too' : 'gets no service alerts');
  });

  it('the fragment is well-formed and holds the settings in the 5.x places of that tenant', async () => {
    const b = await bundleFor(siem, s);
    const xml = fileText(b, 'cybertrace/kl_feed_service.fragment.xml');
    expect(xmllint(xml)).toBe('');
    const d = at(readXml(xml), 'Domains/Domain');
    expect(d.attrs.name).toBe(tenant);
    expect(at(d, 'OutputSettings/EventSettings/EventFormat').text).toBe(b.settings.output.eventFormat);
    expect(at(d, 'InputSettings/ConnectionString').text).toBe(b.settings.input.connectionString);
    expect(fileText(b, 'cybertrace/SETTINGS.md')).toContain(`the settings of the tenant **${tenant}**`);
  });

  it("deploy's merge patches that tenant of the host's file, with the same code as cybertrace patch", async () => {
    const b = await bundleFor(siem, s);
    const f = b.files.find((x) => x.install?.merge?.kind === 'cybertrace-settings')!;
    const out = mergeBytes(f.install!.merge!, Buffer.from(FIXTURE), f.content).toString('utf8');
    expect(xmllint(out)).toBe('');
    const d = at(readXml(out), 'Domains/Domain', (x) => x.attrs.name === tenant);
    expect(at(d, 'OutputSettings/EventSettings/EventFormat').text).toBe(b.settings.output.eventFormat);
  });
});

describe('a bundle for a tenant of a 4.x CyberTrace with Domains', () => {
  function site4(tenant: string) {
    const doc = parse(readFileSync(exampleSitePath(), 'utf8')) as Record<string, unknown>;
    doc.siems = { splunk: (doc.siems as Record<string, unknown>).splunk, fortisiem: (doc.siems as Record<string, unknown>).fortisiem };
    const other = tenant === 'General' ? 'SOC' : 'General';
    doc.cybertrace = {
      address: '192.0.2.10',
      version: '4.x',
      tenants: [
        { name: tenant, serves: ['splunk'] },
        { name: other, serves: ['fortisiem'], input_port: 9997 },
      ],
    };
    return siteFromYaml(stringify(doc));
  }

  it('on General: INSTALL.md and the fragment use the top-level settings, with AlertFormat', async () => {
    const b = await bundleFor('splunk', site4('General'));
    expect(fileText(b, 'INSTALL.md')).toContain('served by the General tenant of this CyberTrace 4.x: the top-level');
    const xml = readXml(fileText(b, 'cybertrace/kl_feed_service.fragment.xml'));
    expect(at(xml, 'OutputSettings/AlertFormat').text).toBe(b.settings.output.alertFormat);
  });

  it('on another tenant: its Domain, the 4.x children, no AlertFormat, and INSTALL.md says so', async () => {
    const b = await bundleFor('splunk', site4('SOC-Splunk'));
    const install = fileText(b, 'INSTALL.md');
    expect(install).toContain('served by the CyberTrace 4.x tenant **SOC-Splunk**');
    expect(install).toContain("A 4.x tenant's `OutputSettings` cannot hold `AlertFormat`");
    const xml = fileText(b, 'cybertrace/kl_feed_service.fragment.xml');
    expect(xmllint(xml)).toBe('');
    const d = at(readXml(xml), 'Domains/Domain');
    expect(at(d, 'OutputSettings/EventFormat').text).toBe(b.settings.output.eventFormat);
    expect(d.children.find((c) => c.name === 'OutputSettings')!.children.map((c) => c.name)).not.toContain('AlertFormat');
  });
});
