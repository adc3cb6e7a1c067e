import { describe, expect, it } from 'vitest';
import { bundleFor, fileText, siteFromYaml, siteProblems } from '../helpers/bundles.js';
import { parseCef } from '../../src/formats/cef.js';
import { arcsight } from '../../connectors/arcsight/index.js';

const LAB = `name: lab
cybertrace:
  address: 10.9.8.7
  input_port: 10999
siems:
  arcsight:
    address: smartconn.lab.example
    syslog_port: 1514
    manager_address: esm.lab.example
    forwarding_user: FwdLab
    forwarding_filter: Lab events
`;

describe('ArcSight bundle', () => {
  it('fills the Forwarding Connector, SmartConnector and CyberTrace addresses from the site', async () => {
    const b = await bundleFor('arcsight', siteFromYaml(LAB));
    const install = fileText(b, 'INSTALL.md');
    expect(install).toContain('| Source ArcSight Manager host | esm.lab.example |');
    expect(install).toContain('| Source ArcSight Manager port | 8443 |');
    expect(install).toContain('| ArcSight user (type Forwarding Connector) | FwdLab |');
    expect(install).toContain('| Filter of forwarded events | Lab events |');
    expect(install).toContain('| IP/Host | 10.9.8.7 |');
    expect(install).toContain('| Port | 10999 |');
    expect(install).toContain('| Network port | 1514 |');
    expect(install).toContain('| Destination | your ArcSight Manager (esm.lab.example:8443) |');
    expect(install).toContain('add a replacement rule: replace `\\=` with `=`');
    expect(install).toContain('ctconnect cybertrace patch --siem arcsight');
    expect(b.settings.input.connectionString).toBe('10.9.8.7:10999');
    expect(b.settings.output.connectionString).toBe('smartconn.lab.example:1514');
    expect(b.steps.map((s) => s.role)).toEqual(['cybertrace']);
  });

  it('ships sample events that the SmartConnector side reads, one detection per sample', async () => {
    const site = siteFromYaml(LAB);
    const b = await bundleFor('arcsight', site);
    const lines = fileText(b, 'arcsight/sample-events.cef')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    const parsed = lines.map((l) => arcsight.wire.parseEvent(l, site));
    expect(parsed.map((p) => p.kind)).toEqual(['detection', 'detection', 'detection', 'alert', 'alert']);
    expect(parsed[0].fields).toMatchObject({ category: 'KL_Malicious_URL', indicator: 'fakess123.nu', url: 'fakess123.nu', device_ip: '10.20.30.1' });
    expect(parseCef(lines[0]).extension).toMatchObject({ cs5Label: 'MatchedIndicator', cn3Label: 'Confidence', cs6Label: 'Context' });
  });

  it('the field reference names every CEF key of the detection event', async () => {
    const b = await bundleFor('arcsight', siteFromYaml(LAB));
    const ref = fileText(b, 'arcsight/cef-fields.md');
    const sample = fileText(b, 'arcsight/sample-events.cef')
      .split('\n')
      .find((l) => l.startsWith('CEF:'))!;
    for (const key of parseCef(sample).extensionOrder) expect(ref).toContain(`| \`${key}\` |`);
    expect(ref).toContain('| `cs5` | Device Custom String5 | %MatchedIndicator% | indicator |');
  });

  it('has no deploy target on a Windows CyberTrace, and Windows paths in the guide', async () => {
    const b = await bundleFor(
      'arcsight',
      siteFromYaml(`cybertrace:\n  address: 10.0.0.5\n  platform: windows\n  install_dir: 'C:\\CyberTrace'\nsiems:\n  arcsight:\n    address: 10.0.0.6\n`),
    );
    expect(b.files.every((f) => !f.install)).toBe(true);
    expect(b.steps).toEqual([]);
    expect(fileText(b, 'INSTALL.md')).toContain('C:\\CyberTrace\\bin\\kl_control.bat restart');
  });

  it('refuses values that would break the guide or the settings, naming the field and its position', () => {
    const problems = siteProblems;
    const head = 'cybertrace:\n  address: 10.0.0.5\nsiems:\n  arcsight:\n';
    expect(problems(`${head}    address: 10.0.0.6\n    forwarding_filter: 'a | b'\n`)).toMatch(/^test-site\.yaml:6:\d+: siems\.arcsight\.forwarding_filter: /m);
    expect(problems(`${head}    address: 'smart conn'\n`)).toMatch(/^test-site\.yaml:5:\d+: siems\.arcsight\.address: /m);
    expect(problems(`${head}    address: 10.0.0.6\n    syslog_port: 70000\n`)).toMatch(/^test-site\.yaml:6:\d+: siems\.arcsight\.syslog_port: /m);
  });
});
