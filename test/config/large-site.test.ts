import { describe, expect, it } from 'vitest';
import { parseSite } from '../../src/config/load.js';
import { UserError } from '../../src/core/errors.js';

/** A site with `n` forwarded AlienVault devices: large enough for the loader's fast parse. */
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

function problemsOf(text: string): string[] {
  try {
    parseSite(text, 'big.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as UserError).details;
  }
  throw new Error('expected the site to be rejected');
}

describe('large site files', () => {
  it('read fast give the same site as the full parse', () => {
    const text = bigSite(5000);
    expect(text.length).toBeGreaterThan(64 * 1024);
    const fast = parseSite(text, 'big.yaml');
    // An anchor sign, even in a comment, sends the file to the full parse.
    const full = parseSite(`${text}# & *\n`, 'big.yaml');
    expect(fast).toEqual(full);
    expect(fast.cybertrace?.input_port).toBe(9999);
    expect(fast.name).toBe('big site');
  });

  it('report a bad value at its line and column, as small files do', () => {
    const bad = 4321;
    const line = 11 + bad; // devices start on line 11
    expect(problemsOf(bigSite(5000, bad))).toEqual([`big.yaml:${line}:13: siems.alienvault.devices[${bad}].ip: must be an IPv4 address (got "10.0.0.300")`]);
  });

  it('report YAML errors of the full parse', () => {
    const text = `${bigSite(5000)}siems: {}\n`;
    try {
      parseSite(text, 'big.yaml');
      throw new Error('expected the site to be rejected');
    } catch (e) {
      expect((e as UserError).message).toBe('big.yaml: the site file is not valid YAML');
      expect((e as UserError).details[0]).toMatch(/^big\.yaml:5011:1: YAML: Map keys must be unique/);
    }
  });
});
