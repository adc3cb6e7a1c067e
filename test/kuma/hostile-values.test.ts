/** Site values with characters that mean something in JSON or Markdown land in the bundle intact and harmless. */
import { describe, expect, it } from 'vitest';
import { bundleFor, fileText, siteFromYaml } from '../helpers/bundles.js';
import { UserError } from '../../src/kernel/errors.js';

const NAME = 'CT | `lookup` <script>alert(1)</script> "q" \\ *x* ёж 😀';
const SECRET = 'ct|console `s`';
const DESCRIPTION = 'first line | with "quotes"\nsecond line\twith a tab\n}]';

function hostileSite() {
  return siteFromYaml(`cybertrace:
  address: 192.0.2.10
siems:
  kuma:
    version: "4.x"
    rule:
      name: ${JSON.stringify(NAME)}
      tenant: "Main | SOC"
      filter: "a|b"
      secret: ${JSON.stringify(SECRET)}
      description: ${JSON.stringify(DESCRIPTION)}
      mapping:
        - { field: S.Proxy_Url, indicator: url }
    console:
      secret: ${JSON.stringify(SECRET)}
      allowed_hosts: [kuma.example.com]
`);
}

/** `|` that end Markdown table cells (not escaped as `\|`). */
const cellBars = (line: string): number => (line.match(/(?<!\\)\|/g) ?? []).length;

const b = await bundleFor('kuma', hostileSite());

describe('hostile values', () => {
  const install = fileText(b, 'INSTALL.md');

  it('keep their exact value in enrichment-rule.json', () => {
    const rule = JSON.parse(fileText(b, 'kuma/enrichment-rule.json')).rule;
    expect(rule.name).toBe(NAME);
    expect(rule.tenant).toBe('Main | SOC');
    expect(rule.filter).toBe('a|b');
    expect(rule.secret).toBe(SECRET);
    expect(rule.description).toBe(DESCRIPTION);
    expect(rule.mapping).toEqual([{ kumaField: 'S.Proxy_Url', indicator: 'url' }]);
  });

  it('do not break the Markdown tables of INSTALL.md', () => {
    const tableLines = install.split('\n').filter((l) => l.startsWith('|'));
    expect(tableLines.length).toBeGreaterThan(10);
    // The tables of INSTALL.md have two, three or (the rule's endpoints) five columns: 3, 4 or 6 cell bars per line.
    for (const l of tableLines) expect([3, 4, 6], l).toContain(cellBars(l));
    expect(install).toContain('| Name | CT \\| \\`lookup\\` <script>alert(1)</script> "q" \\\\ *x* ёж 😀 | `name` |');
    expect(install).toContain('| Tenant | Main \\| SOC | `tenant` |');
  });

  it('show a multi-line description by reference instead of inline', () => {
    expect(install).toContain('| Description | the `description` value of `kuma/enrichment-rule.json` (several lines) | `description` |');
  });

  it('escape the console secret name', () => {
    expect(install).toContain('**Secret**: ct\\|console \\`s\\`');
  });

  it("escape the rule's secret and tenant in the secret step", () => {
    expect(install).toContain('The **Secret** "ct\\|console \\`s\\`" must exist');
    expect(install).toContain('**Name** ct\\|console \\`s\\`, **Tenant** Main \\| SOC,');
  });
});

describe('values no format can carry are refused by the site file', () => {
  const attempt = (rule: string): string[] => {
    try {
      siteFromYaml(`cybertrace:\n  address: 192.0.2.10\nsiems:\n  kuma:\n    rule:\n${rule}\n`);
    } catch (e) {
      if (e instanceof UserError) return e.details;
      throw e;
    }
    return [];
  };

  it.each([
    ['a line break in the name', '      name: "a\\nb"', /siems\.kuma\.rule\.name: must be text on one line, without control characters/],
    ['a NUL in the tenant', '      tenant: "a\\0b"', /siems\.kuma\.rule\.tenant: must be text on one line/],
    ['an escape character in the description', '      description: "a\\eb"', /siems\.kuma\.rule\.description: must be text without control characters/],
    [
      'a line break in a mapping field',
      '      mapping: [{ field: "Source\\nAddress", indicator: ip }]',
      /mapping\[0\]\.field: must be a KUMA event field name/,
    ],
  ])('%s', (_what, yaml, message) => {
    expect(attempt(yaml).join('\n')).toMatch(message);
  });
});
