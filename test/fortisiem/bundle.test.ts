import { describe, expect, it } from 'vitest';
import { bundleFor, fileText, siteFromYaml } from '../helpers/bundles.js';

describe('FortiSIEM bundle', () => {
  it('fills the forwarding rule and addresses from the site', async () => {
    const site = siteFromYaml(`name: lab
cybertrace:
  address: 10.9.8.7
  input_port: 10999
siems:
  fortisiem:
    address: fsm.lab.example
    syslog_port: 1514
    reporting_devices: [FW-1, 'Proxy DMZ']
    event_types: [All]
    organization: Tenant A
    actionable_fields: []
`);
    const b = await bundleFor('fortisiem', site);
    const rule = fileText(b, 'fortisiem/forwarding-rule.md');
    expect(rule).toContain('| Forwarding to IP | 10.9.8.7 |');
    expect(rule).toContain('| Forwarding to Port | 10999 |');
    expect(rule).toContain('| Organization | Tenant A |');
    expect(rule).toContain('| Reporting Device | FW-1, Proxy DMZ |');
    expect(rule).toContain('| Format | CEF |');
    expect(rule).toContain('| Forwarding Protocol | TCP |');
    expect(b.settings.output.connectionString).toBe('fsm.lab.example:1514');
    expect(b.settings.input.connectionString).toBe('10.9.8.7:10999');
    expect(fileText(b, 'fortisiem/actionable-fields.md')).toContain('(none configured)');
    expect(fileText(b, 'INSTALL.md')).toContain('No actionable fields are configured');
  });

  it('refuses names that would break the guide', () => {
    expect(() => siteFromYaml(`cybertrace:\n  address: 10.0.0.5\nsiems:\n  fortisiem:\n    address: 10.0.0.6\n    reporting_devices: ['a | b']\n`)).toThrow(
      /site file/,
    );
  });

  it('lists every file with its sha256 in the MANIFEST', async () => {
    const b = await bundleFor('fortisiem');
    const manifest = fileText(b, 'MANIFEST');
    for (const f of b.files.filter((x) => x.path !== 'MANIFEST'))
      expect(manifest).toMatch(new RegExp(`^[0-9a-f]{64}  0644  \\d+  ${f.path.replace(/\./g, '\\.')}  `, 'm'));
    expect(manifest).toContain('cybertrace:/opt/kaspersky/ktfs/etc/kl_feed_service.conf (settings patch)');
  });

  it('has no deploy target on a Windows CyberTrace, and Windows paths in the guide', async () => {
    const site = siteFromYaml(
      `cybertrace:\n  address: 10.0.0.5\n  platform: windows\n  install_dir: 'C:\\CyberTrace'\nsiems:\n  fortisiem:\n    address: 10.0.0.6\n`,
    );
    const b = await bundleFor('fortisiem', site);
    expect(b.files.every((f) => !f.install)).toBe(true);
    expect(b.steps).toEqual([]);
    expect(fileText(b, 'INSTALL.md')).toContain('C:\\CyberTrace\\bin\\kl_control.bat restart');
  });
});
