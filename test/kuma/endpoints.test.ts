/**
 * Where the KUMA rule points for each source kind and CyberTrace major version, and the two
 * places where INSTALL.md and the rest of the bundle must agree: the rule's Secret, and the
 * FinishedEventFormat setting that `cybertrace patch` changes.
 */
import { describe, expect, it } from 'vitest';
import { bundleFor, fileText, siteFromYaml } from '../helpers/bundles.js';
import { RULE_ENDPOINTS, ruleEndpoint } from '../../connectors/kuma/endpoints.js';
import { getConnector } from '../../connectors/registry.js';
import { readFileSync } from 'node:fs';
import { patchFeedServiceConfig } from '../../src/cybertrace/patch.js';

function site(kuma: string, httpApi = '') {
  return siteFromYaml(`cybertrace:\n  address: ct.example.com\n  input_port: 19999\n${httpApi}siems:\n  kuma:\n${kuma.replace(/^/gm, '    ')}\n`);
}

const variants = {
  '3.x cybertrace': site('version: "3.x"'),
  '3.x cybertrace-http': site('version: "3.x"\nrule:\n  source_kind: cybertrace-http'),
  '4.x cybertrace-http': site('version: "4.x"', '  http_api:\n    url: https://ct-web.example.com:8443\n'),
  '4.x cybertrace': site('version: "4.x"\nrule:\n  source_kind: cybertrace'),
  '4.x named secret': site('version: "4.x"\nrule:\n  secret: CT lookups'),
};

describe("the address KUMA's rule points at", () => {
  it('has one row per source kind and major version, the open ones saying what the KUMA help leaves open', () => {
    expect(RULE_ENDPOINTS.map((e) => `${e.sourceKind} ${e.major}`)).toEqual(['cybertrace <5', 'cybertrace >=5', 'cybertrace-http <5', 'cybertrace-http >=5']);
    expect(ruleEndpoint('cybertrace', '<5').open).toBeUndefined();
    for (const e of RULE_ENDPOINTS.filter((x) => x.sourceKind === 'cybertrace-http')) expect(e.open).toMatch(/KUMA help/);
  });

  it('is the input port, except cybertrace-http with CyberTrace ≥ 5: the HTTP server of cybertrace.http_api.url', () => {
    const s = variants['4.x cybertrace-http'];
    expect(ruleEndpoint('cybertrace', '<5').hostPort(s)).toBe('ct.example.com:19999');
    expect(ruleEndpoint('cybertrace-http', '<5').hostPort(s)).toBe('ct.example.com:19999');
    expect(ruleEndpoint('cybertrace-http', '>=5').hostPort(s)).toBe('ct-web.example.com:8443');
    // Without http_api the API is where CyberTrace Web listens by default: port 443 of the CyberTrace address.
    expect(ruleEndpoint('cybertrace-http', '>=5').hostPort(variants['3.x cybertrace'])).toBe('ct.example.com:443');
  });

  it("INSTALL.md shows the table with this site's values, marks the rule's row and says plainly when it is not settled", async () => {
    const install = fileText(await bundleFor('kuma', variants['4.x cybertrace-http']), 'INSTALL.md');
    expect(install).toContain(
      '| `cybertrace-http` | <5 | InputSettings > ConnectionString (the input port; the service listens on it) | `ct.example.com:19999` ← **this rule** |',
    );
    expect(install).toContain('| `cybertrace-http` | ≥ 5 | ServiceSettings > HTTPServer > ConnectionString');
    expect(install).toContain('`ct-web.example.com:8443` |');
    expect(install).toMatch(/so its URL is\s+`ct\.example\.com:19999` — \*\*not settled by the KUMA help\*\*/);
    expect(install).toContain('ctconnect verify kuma --to https://ct-web.example.com:8443');
    const documented = fileText(await bundleFor('kuma', variants['3.x cybertrace']), 'INSTALL.md');
    expect(documented).toContain('`ct.example.com:19999` ← **this rule** | documented');
    expect(documented).not.toContain('not settled by the KUMA help');
  });
});

describe('INSTALL.md agrees with the rest of the bundle', () => {
  it.each(Object.keys(variants))('%s: the Secret step matches "secret" of the rule JSON', async (name) => {
    const b = await bundleFor('kuma', variants[name as keyof typeof variants]);
    const rule = JSON.parse(fileText(b, 'kuma/enrichment-rule.json')).rule;
    const install = fileText(b, 'INSTALL.md');
    if (!('secret' in rule)) {
      // KUMA 1.5–3.x has no Secret field in the rule.
      expect(install).not.toContain('| Secret |');
      expect(install).not.toMatch(/The \*\*Secret\*\* .* must exist/);
    } else if (rule.secret === null) {
      expect(install).toContain('| Secret | leave empty (the cybertrace source kind sends no credentials) | `secret` |');
      expect(install).not.toMatch(/The \*\*Secret\*\* .* must exist/);
      expect(install).not.toMatch(/select or create the secret/);
    } else {
      expect(install).toContain(`| Secret | ${rule.secret} | \`secret\` |`);
      expect(install).toContain(`The **Secret** "${rule.secret}" must exist before you can select it`);
      expect(install).toContain(`**Name** ${rule.secret}, **Tenant** Main,`);
    }
  });

  it('the CyberTrace Web steps name every output setting that cybertrace patch changes, FinishedEventFormat included', async () => {
    const s = variants['4.x cybertrace-http'];
    const settings = getConnector('kuma').cybertrace(s);
    const install = fileText(await bundleFor('kuma', s), 'INSTALL.md');
    const web = install.slice(install.indexOf('as the KUMA procedure describes it, in Kaspersky CyberTrace Web'), install.indexOf('### Where KUMA'));
    expect(web).toContain(`\`OutputSettings > FinishedEventFormat\`: attribute \`enabled="${settings.output.finishedEventEnabled}"\``);
    for (const v of [
      settings.output.alertFormat!,
      settings.output.eventFormat,
      settings.output.recordFieldContextFormat,
      settings.output.actionableFieldContextFormat,
    ])
      expect(web).toContain(v);
    // What the steps say is what `cybertrace patch` writes into a real kl_feed_service.conf.
    const conf = readFileSync(new URL('../cybertrace/fixtures/kl_feed_service.conf', import.meta.url), 'utf8');
    expect(conf).toContain('<FinishedEventFormat enabled="true">');
    const patched = patchFeedServiceConfig(conf, settings).text;
    expect(patched).toContain(`<FinishedEventFormat enabled="${settings.output.finishedEventEnabled}">LookupFinished</FinishedEventFormat>`);
    expect(settings.output.finishedEventEnabled).toBe(false);
  });
});
