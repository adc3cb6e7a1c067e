/** The KUMA bundle for sites other than the example: KUMA 4.x, Windows CyberTrace, no console section. */
import { describe, expect, it } from 'vitest';
import { bundleFor, fileText, siteFromYaml } from '../helpers/bundles.js';

const site = siteFromYaml(`cybertrace:
  address: ct.example.com
  platform: windows
  install_dir: 'C:\\CyberTrace'
  input_port: 19999
  return_port: 19998
siems:
  kuma:
    version: "4.x"
    rule:
      secret: CyberTrace API
      connections: 4
`);
const b = await bundleFor('kuma', site);
const install = fileText(b, 'INSTALL.md');

describe('KUMA 4.x bundle for a Windows CyberTrace without console section', () => {
  it('lists the KUMA 4.0 fields with their values', () => {
    expect(install).toContain('| Secret | CyberTrace API | `secret` |');
    expect(install).toContain('| Maximum number of events in enrichment queue | 1000000 | `queueLimit` |');
    expect(install).toContain('| Major version of CyberTrace | <5 | `cybertraceMajorVersion` |');
    expect(install).toContain('| Source kind | cybertrace-http | `sourceKind` |');
    expect(install).toContain('| URL | ct.example.com:19999 | `url` |');
    expect(install).toContain('| Number of connections | 4 | `connections` |');
  });

  it('uses the site ports in the CyberTrace steps', () => {
    expect(install).toContain('**Port**: `19999`');
    expect(install).toContain('**Port** `19998`');
    expect(install).toContain('C:\\CyberTrace\\bin\\kl_feed_service.conf');
  });

  it('explains how to add the console integration without asking for credentials in the site file', () => {
    expect(install).toContain('Not configured for this site');
    expect(install).toMatch(/user and\s+password are entered only in KUMA/);
    expect(install).toContain('https://kuma.example.com:7222');
  });

  it('has no install target for the CyberTrace fragment (the deployer reaches Linux hosts only)', () => {
    expect(b.files.find((f) => f.path === 'cybertrace/kl_feed_service.fragment.xml')?.install).toBeUndefined();
  });
});
