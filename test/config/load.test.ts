import { describe, expect, it } from 'vitest';
import { parseSite, loadSite } from '../../src/config/load.js';
import { UserError } from '../../src/kernel/errors.js';
import { registry } from '../../connectors/registry.js';

function problemsOf(yaml: string, source = 'site.yaml'): string[] {
  try {
    parseSite(yaml, source, registry);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as UserError).details;
  }
  throw new Error('expected the site to be rejected');
}

const minimal = `cybertrace:\n  address: 10.0.0.5\n`;

describe('site file loading', () => {
  it('fills in documented defaults', () => {
    const site = parseSite(minimal, 'site.yaml', registry);
    expect(site.cybertrace).toMatchObject({
      input_port: 9999,
      return_port: 9998,
      platform: 'linux',
      install_dir: '/opt/kaspersky/ktfs',
      version: '4.x',
      listen_address: '10.0.0.5',
    });
    expect(site.categories.kaspersky).toContain('KL_Malicious_URL');
    expect(site.categories.custom).toEqual([]);
    expect(site.targets).toEqual([]);
  });

  it('does not share default arrays between loads', () => {
    const a = parseSite(minimal, 'a.yaml', registry);
    a.categories.kaspersky.push('Mutated');
    const b = parseSite(minimal, 'b.yaml', registry);
    expect(b.categories.kaspersky).not.toContain('Mutated');
  });

  it('listens on 0.0.0.0 when the address is a host name', () => {
    expect(parseSite(`cybertrace:\n  address: ct.example.com\n`, 's', registry).cybertrace.listen_address).toBe('0.0.0.0');
  });

  it('rejects a misspelt key with its position and a suggestion', () => {
    const p = problemsOf(`cybertrace:\n  address: 10.0.0.5\n  imput_port: 9999\n`);
    expect(p).toEqual([expect.stringMatching(/^site\.yaml:3:3: cybertrace\.imput_port: unknown key "imput_port" \(did you mean "input_port"\?\)/)]);
  });

  it('rejects bad IPs, ports and host names with file:line:col', () => {
    const p = problemsOf(`cybertrace:\n  address: 10.0.0.256\n  input_port: 0\nsiems:\n  fortisiem:\n    address: "bad host!"\n`);
    expect(p).toContain('site.yaml:2:12: cybertrace.address: must be an IPv4 address or a host name (got "10.0.0.256")');
    expect(p).toContain('site.yaml:3:15: cybertrace.input_port: must be >= 1 (got 0)');
    expect(p).toContain('site.yaml:6:14: siems.fortisiem.address: must be an IPv4 address or a host name (got "bad host!")');
  });

  it('rejects an unknown SIEM and an unknown top-level key', () => {
    const p = problemsOf(`${minimal}siems:\n  fortisiem2:\n    address: 10.0.0.1\nextra: 1\n`);
    expect(p.some((l) => l.startsWith('site.yaml:4:3: siems.fortisiem2: unknown key "fortisiem2" (did you mean "fortisiem"?)'))).toBe(true);
    expect(p.some((l) => l.startsWith('site.yaml:6:1: extra: unknown key "extra"'))).toBe(true);
  });

  it('reports YAML syntax errors and duplicate keys with positions', () => {
    expect(problemsOf(`cybertrace:\n  address: [10.0.0.5\n`)[0]).toMatch(/^site\.yaml:\d+:\d+: YAML: /);
    expect(problemsOf(`cybertrace:\n  address: 10.0.0.5\n  address: 10.0.0.6\n`)[0]).toMatch(/^site\.yaml:3:3: YAML: .*[Mm]ap keys must be unique/);
  });

  it('refuses category names that would break the SIEM configs', () => {
    for (const bad of ['Bad"Quote', "it's", 'a;b', 'x%(y)s', 'new\\nline', 'with space', '']) {
      const p = problemsOf(`${minimal}categories:\n  custom:\n    - name: ${JSON.stringify(bad)}\n`);
      expect(p.join('\n')).toMatch(/categories\.custom\[0\]\.name: must be a feed category name/);
    }
  });

  it('checks fields across the file', () => {
    const p = problemsOf(
      `cybertrace:\n  address: 10.0.0.5\n  input_port: 9000\n  return_port: 9000\ncategories:\n  kaspersky: [KL_Malicious_URL]\n  custom:\n    - name: KL_Malicious_URL\n`,
    );
    expect(p).toContain('site.yaml:4:16: cybertrace.return_port: must differ from cybertrace.input_port (9000)');
    expect(p).toContain('site.yaml:8:13: categories.custom[0].name: "KL_Malicious_URL" is already listed under categories.kaspersky');
  });

  it('needs an install_dir for Windows and keeps it', () => {
    expect(problemsOf(`cybertrace:\n  address: 10.0.0.5\n  platform: windows\n`)[0]).toMatch(
      /cybertrace\.platform: platform "windows" needs cybertrace\.install_dir/,
    );
    const site = parseSite(`cybertrace:\n  address: 10.0.0.5\n  platform: windows\n  install_dir: 'C:\\CyberTrace'\n`, 's', registry);
    expect(site.cybertrace.install_dir).toBe('C:\\CyberTrace');
  });

  it('validates deploy targets', () => {
    const p = problemsOf(`${minimal}targets:\n  - name: a\n    host: 10.0.0.9\n    user: root\n    roles: [cybertrace, splunkk]\n    sudo: password\n`);
    expect(p.some((l) => /targets\[0\]\.roles\[1\]: unknown role "splunkk"/.test(l))).toBe(true);
    expect(p.some((l) => /targets\[0\]\.sudo: sudo "password" needs sudo_password_env/.test(l))).toBe(true);
  });

  it('loads the built-in example when no path is given, and names a missing file', () => {
    expect(loadSite(undefined, registry).source).toBe('built-in example site');
    expect(() => loadSite('does-not-exist.yaml', registry)).toThrow(/does-not-exist\.yaml: cannot read the site file \(no such file\)/);
  });
});

/** A site with `n` forwarded AlienVault devices. */
function bigSite(n: number, badAt?: number): string {
  const devices: string[] = [];
  for (let i = 0; i < n; i++) devices.push(`      - ip: ${i === badAt ? '10.0.0.300' : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`}`);
  return [
    '# a large site',
    'name: "big site"',
    'cybertrace:',
    "  address: '192.0.2.10'",
    '  input_port: 0o23417 # 9999, octal as YAML 1.2 writes it',
    '  return_port: 9998',
    'siems:',
    '  alienvault:',
    '    address: 192.0.2.20',
    '    devices:',
    ...devices,
    '',
  ].join('\n');
}

describe('large site files', () => {
  it('read fast give the same site as the full parse', () => {
    const text = bigSite(5000);
    const fast = parseSite(text, 'big.yaml', registry);
    // An anchor sign, even in a comment, sends the file to the full parse.
    const full = parseSite(`${text}# & *\n`, 'big.yaml', registry);
    expect(fast).toEqual(full);
    expect(fast.cybertrace?.input_port).toBe(9999);
    expect(fast.name).toBe('big site');
  });

  it('report a bad value at its line and column, as small files do', () => {
    const bad = 4321;
    const line = 11 + bad; // devices start on line 11
    expect(problemsOf(bigSite(5000, bad), 'big.yaml')).toEqual([
      `big.yaml:${line}:13: siems.alienvault.devices[${bad}].ip: must be an IPv4 address (got "10.0.0.300")`,
    ]);
  });

  it('report YAML errors of the full parse', () => {
    const text = `${bigSite(5000)}siems: {}\n`;
    expect(problemsOf(text, 'big.yaml')[0]).toMatch(/^big\.yaml:5011:1: YAML: Map keys must be unique/);
  });
});
