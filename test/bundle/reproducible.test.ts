/** The same site file gives byte-identical bundle folders and archives; invalid input writes nothing. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runCli } from '../helpers/cli.js';
import { snapshot } from '../helpers/tree.js';

describe('reproducible bundles', () => {
  it('gives byte-identical folders and archives from the same site, run after run', () => {
    const a = mkdtempSync(join(tmpdir(), 'ctc-a-'));
    const b = mkdtempSync(join(tmpdir(), 'ctc-b-'));
    expect(runCli(['generate', '--all', '--out', a]).code).toBe(0);
    // Different working directory, a second later: nothing may depend on either.
    expect(runCli(['generate', '--all', '--out', b], { cwd: tmpdir() }).code).toBe(0);
    const sa = snapshot(a);
    expect(Object.keys(sa)).toContain('fortisiem.tar.gz');
    expect(Object.keys(sa)).toContain(join('fortisiem', 'MANIFEST'));
    expect(snapshot(b)).toEqual(sa);
  });

  it('writes sorted tar entries with a fixed date and mode under one top folder', () => {
    const out = mkdtempSync(join(tmpdir(), 'ctc-tar-'));
    expect(runCli(['generate', 'fortisiem', '--out', out]).code).toBe(0);
    const listing = execFileSync('tar', ['-tvzf', join(out, 'fortisiem.tar.gz'), '--utc', '--numeric-owner'], { encoding: 'utf8' })
      .trim()
      .split('\n');
    const names = listing.map((l) => l.split(/\s+/).pop()!);
    expect(names).toEqual([...names].sort());
    expect(names.every((n) => n.startsWith('fortisiem/'))).toBe(true);
    for (const l of listing) expect(l).toMatch(/^(-rw-r--r--|drwxr-xr-x) 0\/0\s+\d+ 2000-01-01 00:00 fortisiem\//);
    // The archive holds exactly the folder's files, plus an entry for each folder.
    const folderFiles = Object.keys(snapshot(join(out, 'fortisiem')))
      .map((p) => `fortisiem/${p}`)
      .sort();
    expect(names.filter((n) => !n.endsWith('/'))).toEqual(folderFiles);
    expect(names.filter((n) => n.endsWith('/'))).toEqual(['fortisiem/', 'fortisiem/cybertrace/', 'fortisiem/fortisiem/']);
  });

  it('makes reproducible zip archives too', () => {
    const a = mkdtempSync(join(tmpdir(), 'ctc-za-'));
    const b = mkdtempSync(join(tmpdir(), 'ctc-zb-'));
    expect(runCli(['generate', 'fortisiem', '--archive', 'zip', '--out', a]).code).toBe(0);
    expect(runCli(['generate', 'fortisiem', '--archive', 'zip', '--out', b]).code).toBe(0);
    expect(readFileSync(join(a, 'fortisiem.zip')).equals(readFileSync(join(b, 'fortisiem.zip')))).toBe(true);
    expect(existsSync(join(a, 'fortisiem.tar.gz'))).toBe(false);
  });

  it('writes nothing at all when the site file is invalid', () => {
    const out = mkdtempSync(join(tmpdir(), 'ctc-bad-'));
    const site = join(out, 'site.yaml');
    writeFileSync(site, 'cybertrace:\n  address: 10.0.0.5\nsiems:\n  fortisiem:\n    address: 10.0.0.300\n');
    const r = runCli(['generate', '--all', '--config', site, '--out', join(out, 'bundles')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${site}:5:14: siems.fortisiem.address: must be an IPv4 address or a host name`);
    expect(readdirSync(out)).toEqual(['site.yaml']);
  });
});
