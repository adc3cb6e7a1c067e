/** `siems.kuma` in the site file: clear errors with file:line:col, and nothing built from a bad file. */
import { describe, expect, it } from 'vitest';
import { siteFromYaml } from '../helpers/bundles.js';
import { UserError } from '../../src/kernel/errors.js';
import { normalizedFieldProblem } from '../../connectors/kuma/normalized-fields.js';

const header = 'cybertrace:\n  address: 192.0.2.10\nsiems:\n  kuma:\n';

/** The problem lines of loading a site whose siems.kuma section is `kumaYaml` (indented below `kuma:`). */
function problems(kumaYaml: string, top = header): string[] {
  try {
    siteFromYaml(top + kumaYaml.replace(/^/gm, '    ') + '\n');
  } catch (e) {
    if (e instanceof UserError) return e.details;
    throw e;
  }
  return [];
}

describe('siems.kuma validation', () => {
  it('accepts a minimal section and fills the defaults', () => {
    const site = siteFromYaml(header + '    rule: {}\n');
    expect(site.siems.kuma).toMatchObject({ version: '3.x', rule: {} });
  });

  it('refuses a name of 129 characters, with its position and length', () => {
    expect(problems(`rule:\n  name: ${'n'.repeat(129)}`)).toEqual([
      'test-site.yaml:6:13: siems.kuma.rule.name: Name must be 1 to 128 Unicode characters (got 129)',
    ]);
  });

  it('counts Unicode characters, not bytes or UTF-16 units', () => {
    expect(problems(`rule:\n  name: "${'й'.repeat(128)}"`)).toEqual([]);
    expect(problems(`rule:\n  name: "${'😀'.repeat(128)}"`)).toEqual([]);
    expect(problems(`rule:\n  name: "${'😀'.repeat(129)}"`)[0]).toMatch(/got 129/);
  });

  it('refuses an empty name', () => {
    expect(problems('rule:\n  name: ""')[0]).toMatch(/siems\.kuma\.rule\.name: Name must be 1 to 128 Unicode characters \(got 0\)/);
  });

  it('refuses a description over 4000 characters without repeating it', () => {
    const [line] = problems(`rule:\n  description: ${'d'.repeat(4001)}`);
    expect(line).toBe('test-site.yaml:6:20: siems.kuma.rule.description: Description must be at most 4000 Unicode characters (got 4001)');
  });

  it('refuses an empty mapping', () => {
    expect(problems('rule:\n  mapping: []')[0]).toMatch(/:6:\d+: siems\.kuma\.rule\.mapping: must NOT have fewer than 1 items/);
  });

  it('refuses an indicator other than ip, url, hash', () => {
    expect(problems('rule:\n  mapping:\n    - { field: FileHash, indicator: md5 }')[0]).toMatch(
      /:7:\d+: siems\.kuma\.rule\.mapping\[0\]\.indicator: must be one of: "ip", "url", "hash" \(got "md5"\)/,
    );
  });

  it('refuses an unknown KUMA field with the closest known name and its position', () => {
    const lines = problems('rule:\n  mapping:\n    - { field: SourceAddress, indicator: ip }\n    - { field: DestinationAdress, indicator: ip }');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^test-site\.yaml:8:20: siems\.kuma\.rule\.mapping\[1\]\.field: "DestinationAdress" is not a known KUMA normalized event field .*\(did you mean "DestinationAddress"\?\)/,
    );
  });

  it('names the closest field even for a far-off name', () => {
    expect(normalizedFieldProblem('Foo')).toMatch(/closest known field: "/);
    expect(normalizedFieldProblem('requesturl')).toMatch(/did you mean "RequestUrl"/);
    expect(normalizedFieldProblem('S.ProxyUrl')).toBeUndefined();
    expect(normalizedFieldProblem('DeviceCustomString6')).toBeUndefined();
  });

  it('refuses a field mapped twice', () => {
    expect(problems('rule:\n  mapping:\n    - { field: FileHash, indicator: hash }\n    - { field: FileHash, indicator: hash }')[0]).toMatch(
      /mapping\[1\]\.field: "FileHash" is already mapped in row 1/,
    );
  });

  it.each([
    ['rps', '0', /must be >= 1 \(got 0\)/],
    ['rps', '2.5', /must be integer \(got 2\.5\)/],
    ['timeout', '-3', /must be >= 1 \(got -3\)/],
    ['timeout', '"30"', /must be integer \(got "30"\)/],
    ['connections', '0', /must be >= 1 \(got 0\)/],
  ])('refuses %s: %s (positive integers only)', (key, value, message) => {
    const [line] = problems(`rule:\n  ${key}: ${value}`);
    expect(line).toContain(`siems.kuma.rule.${key}:`);
    expect(line).toMatch(message);
  });

  it('refuses KUMA 4.0 fields for version 3.x', () => {
    const lines = problems('version: "3.x"\nrule:\n  queue_limit: 1000\n  secret: CT');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /siems\.kuma\.rule\.queue_limit: "Maximum number of events in enrichment queue" exists from KUMA 4\.0; siems\.kuma\.version is "3\.x"/,
    );
    expect(lines[1]).toMatch(/siems\.kuma\.rule\.secret: "Secret" exists from KUMA 4\.0/);
  });

  it('accepts them for version 4.x', () => {
    expect(problems('version: "4.x"\nrule:\n  queue_limit: 1000\n  secret: CT\n  cybertrace_major: "<5"')).toEqual([]);
  });

  it('refuses a CyberTrace major version that contradicts cybertrace.version', () => {
    expect(problems('version: "4.x"\nrule:\n  cybertrace_major: ">=5"')[0]).toMatch(/cybertrace_major: ">=5" does not match cybertrace\.version "4\.x"/);
  });

  it('refuses a URL that is not host:port', () => {
    expect(problems('rule:\n  url: "http://ct.example.com:9999"')[0]).toMatch(/siems\.kuma\.rule\.url: must be host:port/);
    expect(problems('rule:\n  url: "ct.example.com:99999"')[0]).toMatch(/siems\.kuma\.rule\.url/);
  });

  it('refuses credentials in the console section', () => {
    const lines = problems('console:\n  secret: CT console\n  user: admin\n  password: hunter2');
    expect(lines.join('\n')).toMatch(/siems\.kuma\.console\.user: unknown key "user"/);
    expect(lines.join('\n')).toMatch(/siems\.kuma\.console\.password: unknown key "password"/);
  });

  it('needs the secret name for the console section', () => {
    expect(problems('console:\n  host: 192.0.2.10')[0]).toMatch(/siems\.kuma\.console: missing required key "secret"/);
  });

  it('reports every problem at once', () => {
    expect(problems(`rule:\n  name: ""\n  rps: 0\n  mapping:\n    - { field: SrcAddr, indicator: ip }`).length).toBe(1);
    // The schema problem (rps) hides the cross-field checks until it is fixed, as for every connector.
    expect(problems(`rule:\n  name: ""\n  mapping:\n    - { field: SrcAddr, indicator: ip }`).length).toBe(2);
  });
});
