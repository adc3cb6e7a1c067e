/** Bad site values for the AlienVault connector: each refused with the field and file position, nothing built. */
import { describe, expect, it } from 'vitest';
import { siteFromYaml } from '../helpers/bundles.js';
import { UserError } from '../../src/kernel/errors.js';

function site(alienvault: string, extra = ''): string {
  return `name: t
cybertrace:
  address: 192.0.2.10
${extra}siems:
  alienvault:
    address: 192.0.2.20
${alienvault}`;
}

const devices = '    devices:\n      - ip: 198.51.100.11\n';

function problems(text: string): string {
  try {
    siteFromYaml(text);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return [(e as UserError).message, ...(e as UserError).details].join('\n');
  }
  throw new Error('the site was accepted');
}

describe('category names that cannot be written safely', () => {
  const bad: Array<[string, string]> = [
    ['a double quote', '"KL_\\"quoted\\""'],
    ['a single quote', '"it\'s"'],
    ['interpolation', '"Feed%(x)s"'],
    ['an inline comment', '"Feed ;comment"'],
    ['a newline', '"Feed\\nsecond"'],
  ];
  for (const [what, yaml] of bad) {
    it(`refuses ${what} in siems.alienvault.translations[].category`, () => {
      const out = problems(site(`${devices}    translations:\n      - category: ${yaml}\n        sid: 1500\n`));
      expect(out).toMatch(/test-site\.yaml:\d+:\d+: siems\.alienvault\.translations\[0\]\.category: must be .*feed category/);
    });
    it(`refuses ${what} in categories.custom[].name`, () => {
      const out = problems(site(devices, `categories:\n  custom:\n    - name: ${yaml}\n`));
      expect(out).toMatch(/test-site\.yaml:\d+:\d+: categories\.custom\[0\]\.name: must be .*feed category/);
    });
  }
});

describe('translations', () => {
  it('refuses duplicate and reserved SIDs and a category listed twice', () => {
    const out = problems(
      site(`${devices}    translations:
      - { category: KL_Phishing_URL, sid: 1500 }
      - { category: KL_Malicious_URL, sid: 1500 }
      - { category: kl_phishing_url, sid: 1501 }
      - { category: Custom_X, sid: 2 }
`),
    );
    expect(out).toMatch(/siems\.alienvault\.translations\[1\]\.sid: SID 1500 is already used by translations\[0\]/);
    expect(out).toMatch(/siems\.alienvault\.translations\[2\]\.category: category "kl_phishing_url" is listed twice/);
    expect(out).toMatch(/siems\.alienvault\.translations\[3\]\.sid: SID 2 is reserved/);
  });

  it('refuses SIDs out of range and names the database cannot store', () => {
    expect(problems(site(`${devices}    translations:\n      - { category: KL_APT_IP, sid: 2147483648 }\n`))).toMatch(
      /translations\[0\]\.sid: must be <= 2147483647/,
    );
    expect(problems(site(`${devices}    translations:\n      - { category: KL_APT_IP, sid: 0 }\n`))).toMatch(/translations\[0\]\.sid: must be >= 1/);
    expect(problems(site(devices, 'categories:\n  titles:\n    KL_APT_IP: "APT \u{1F47E}"\n'))).toMatch(
      /siems\.alienvault: categories\.titles\.KL_APT_IP: as an AlienVault event name, "APT \u{1F47E}" contains "\u{1F47E}" \(U\+1F47E\), a character outside the Basic Multilingual Plane/u,
    );
    expect(problems(site(devices, 'categories:\n  titles:\n    KL_APT_IP: "two\\nlines"\n'))).toMatch(
      /test-site\.yaml:\d+:\d+: categories\.titles\.KL_APT_IP: must be one line of text/,
    );
  });

  it("refuses an event name pinned in translations (a site file from before titles were the site's), saying where it goes", () => {
    expect(problems(site(`${devices}    translations:\n      - { category: KL_APT_IP, sid: 20, name: "APT address" }\n`))).toMatch(
      /test-site\.yaml:\d+:\d+: siems\.alienvault\.translations\[0\]\.name: the event name is now the category's title, shown by every SIEM: move "APT address" to categories\.titles\.KL_APT_IP/,
    );
  });

  it('refuses a custom title with a line break when the site is loaded (the SQL name would hold it)', () => {
    expect(problems(site(devices, 'categories:\n  custom:\n    - name: Custom_Feed\n      title: "two\\nlines"\n'))).toMatch(
      /test-site\.yaml:\d+:\d+: categories\.custom\[0\]\.title: must be one line of text/,
    );
  });
});

describe('devices and addresses', () => {
  it.each([
    ['10.0.0.256', /devices\[0\]\.ip: must be .*IPv4 address/],
    ['"10.0.0.1; rm -rf /"', /devices\[0\]\.ip: must be .*IPv4 address/],
    ['"10.0.0.1\\"]) then stop #"', /devices\[0\]\.ip: must be .*IPv4 address/],
    ['fw.example.com', /devices\[0\]\.ip: must be .*IPv4 address/],
    ['127.0.0.1', /devices\[0\]\.ip: 127\.0\.0\.1 is not a remote device address/],
    ['192.0.2.10', /devices\[0\]\.ip: 192\.0\.2\.10 is CyberTrace itself/],
  ])('refuses device ip %s', (ip, message) => {
    expect(problems(site(`    devices:\n      - ip: ${ip}\n`))).toMatch(message);
  });

  it('refuses a device listed twice and an empty device list', () => {
    expect(problems(site('    devices:\n      - ip: 198.51.100.1\n      - ip: 198.51.100.1\n'))).toMatch(
      /devices\[1\]\.ip: 198\.51\.100\.1 is already listed at devices\[0\]/,
    );
    expect(problems(site('    devices: []\n'))).toMatch(/siems\.alienvault\.devices: must NOT have fewer than 1 items/);
  });

  it('needs the source address of CyberTrace when cybertrace.address is a host name', () => {
    const text = site(devices).replace('address: 192.0.2.10', 'address: ct.example.com');
    expect(problems(text)).toMatch(/siems\.alienvault\.cybertrace_source_ip: cybertrace\.address is a host name/);
    expect(() => siteFromYaml(text.replace('    address: 192.0.2.20\n', '    address: 192.0.2.20\n    cybertrace_source_ip: 192.0.2.10\n'))).not.toThrow();
  });

  it('refuses an interface name or paths that would need quoting', () => {
    expect(problems(site(`${devices}    interface: 'eth0" Target="evil'\n`))).toMatch(/siems\.alienvault\.interface: must be network interface name/);
    expect(problems(site(`${devices}    forward_copy_file: '/var/log/a b.log'\n`))).toMatch(/siems\.alienvault\.forward_copy_file: must be .*absolute path/);
    expect(problems(site(`${devices}    log_file: relative.log\n`))).toMatch(/siems\.alienvault\.log_file: must be .*absolute path/);
  });

  it('refuses priority and reliability outside the ossim ranges', () => {
    expect(problems(site(`${devices}    priority: 6\n`))).toMatch(/siems\.alienvault\.priority: must be <= 5/);
    expect(problems(site(`${devices}    reliability: 11\n`))).toMatch(/siems\.alienvault\.reliability: must be <= 10/);
  });

  it("refuses a product type that is not a row of OSSIM's product_type table, naming the choices", () => {
    for (const bad of [0, 31, 1000]) {
      const text = problems(site(`${devices}    product_type: ${bad}\n`));
      expect(text).toMatch(new RegExp(`:9:19: siems\\.alienvault\\.product_type: ${bad} is not a row of OSSIM's product_type table`));
      expect(text).toContain('21 (Other Devices)');
    }
    expect(() => siteFromYaml(site(`${devices}    product_type: 13\n`))).not.toThrow();
  });
});
