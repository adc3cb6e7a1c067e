/**
 * `ctconnect categories` on a QRadar site (the built CLI on a copy of a site file): the QID table
 * in `list`, category_severity kept valid when a category goes, QRadar's next steps after an
 * edit, and the QID script following a rename once regenerated.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const SITE = `name: lab
cybertrace:
  address: 10.0.0.5
categories:
  kaspersky: [KL_Malicious_URL, KL_APT_URL]
  custom:
    - name: Custom_Feed
      title: Custom feed detection
siems:
  qradar:
    address: 10.0.0.6
    category_severity: { KL_APT_URL: 10 }   # APT first
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function siteFile(text = SITE): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctc-qradar-cat-'));
  dirs.push(dir);
  const file = join(dir, 'site.yaml');
  writeFileSync(file, text);
  return file;
}

describe('categories on a QRadar site', () => {
  it('list shows each category with its QID severity and low-level category', () => {
    const r = runCli(['categories', 'list', '--config', siteFile()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('QRadar: QID map entries (LEEF EventID Detection, cat = category)');
    expect(r.stdout).toMatch(/KL_APT_URL\s+10\s+7062\s+APT URL detected/);
    expect(r.stdout).toMatch(/Custom_Feed\s+8\s+7023\s+Custom feed detection/);
  });

  it('remove drops the category_severity of the removed category, so the site stays valid', () => {
    const file = siteFile();
    const r = runCli(['categories', 'remove', 'KL_APT_URL', '--config', file, '--no-backup']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('qradar: drop category_severity of "KL_APT_URL"');
    expect(readFileSync(file, 'utf8')).not.toContain('category_severity');
    expect(runCli(['validate', '--config', file]).code).toBe(0);
  });

  it('rename tells what to do in QRadar, and the regenerated QID script carries the new title', () => {
    const file = siteFile();
    const r = runCli(['categories', 'rename', 'Custom_Feed', 'Partner feed hit', '--config', file, '--no-backup']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`QRadar: ctconnect generate qradar --config ${file}, then in QRadar:`);
    expect(r.stdout).toContain('rename the QID of EventID Detection / category Custom_Feed to "Partner feed hit"');
    expect(readFileSync(file, 'utf8')).toContain('category_severity: { KL_APT_URL: 10 }   # APT first');
    const out = join(file, '..', 'out');
    expect(runCli(['generate', 'qradar', '--out', out, '--config', file]).code).toBe(0);
    const script = readFileSync(join(out, 'qradar', 'qradar', 'qidmap.sh'), 'utf8');
    expect(script).toContain("create Detection Custom_Feed 'Partner feed hit' ");
    expect(script).not.toContain('Custom feed detection');
  });

  it('a site without QRadar gets no QRadar lines', () => {
    const file = siteFile(`cybertrace:\n  address: 10.0.0.5\ncategories:\n  custom:\n    - name: Custom_Feed\nsiems:\n  arcsight:\n    address: 10.0.0.6\n`);
    const r = runCli(['categories', 'rename', 'Custom_Feed', 'Partner feed hit', '--config', file, '--no-backup']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('QRadar');
    expect(runCli(['categories', 'list', '--config', file]).stdout).not.toContain('QRadar');
    expect(readFileSync(file, 'utf8')).not.toContain('qradar');
  });
});
