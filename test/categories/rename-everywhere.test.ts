/**
 * Categories are a site concept: renaming a category's title with `ctconnect categories rename`
 * (the built CLI, on a copy of the example site) changes every bundle that showed the old title
 * so that it shows the new one and the old one nowhere — for every registered connector, so a
 * connector added later is covered by being registered. The site file keeps its comments and
 * layout.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { REPO, runCli } from '../helpers/cli.js';
import { bundleFor } from '../helpers/bundles.js';
import { loadSite } from '../../src/config/load.js';
import { siteCategoryTitle } from '../../src/categories/site-categories.js';
import type { Bundle } from '../../src/bundle/build.js';
import { registry } from '../../connectors/registry.js';

/** Every file of a bundle as text; gzip archives (.spl, .tar.gz) unpacked, so the files inside count too. */
function texts(b: Bundle): Array<{ path: string; text: string }> {
  return b.files.map((f) => {
    if (typeof f.content === 'string') return { path: f.path, text: f.content };
    const bytes = f.content[0] === 0x1f && f.content[1] === 0x8b ? gunzipSync(f.content) : f.content;
    return { path: f.path, text: bytes.toString('utf8') };
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function exampleCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctc-rename-'));
  dirs.push(dir);
  const file = join(dir, 'site.yaml');
  copyFileSync(join(REPO, 'examples', 'site.yaml'), file);
  return file;
}

// A custom category (title in categories.custom[].title) and a Kaspersky one (built-in title, overridden in categories.titles).
const RENAMES = [
  { category: 'Custom_Feed', title: 'Partner feed hit' },
  { category: 'KL_Malicious_URL', title: 'Bad link seen' },
];

describe.each(RENAMES)('categories rename $category', ({ category, title }) => {
  const file = exampleCopy();
  const before = loadSite(file, registry);
  const oldTitle = siteCategoryTitle(before, category);
  const textBefore = readFileSync(file, 'utf8');
  const showedOld: string[] = [];

  it('changes the site file through the CLI, keeping every other line (comments, aligned values) as it was', () => {
    expect(oldTitle).not.toBe(title);
    const r = runCli(['categories', 'rename', category, title, '--config', file, '--no-backup']);
    expect(r.code, r.stderr).toBe(0);
    const after = readFileSync(file, 'utf8');
    expect(siteCategoryTitle(loadSite(file, registry), category)).toBe(title);
    // Only lines were added or changed in place: every other original line is still there, in order.
    const afterLines = after.split('\n');
    const missing = textBefore.split('\n').filter((line) => !afterLines.includes(line));
    expect(missing.length, `lines that changed: ${missing.join(' | ')}`).toBeLessThanOrEqual(1);
    for (const m of missing) expect(m).toContain(oldTitle);
    const comments = (t: string) => t.split('\n').filter((l) => l.trim().startsWith('#'));
    expect(comments(after)).toEqual(comments(textBefore));
  });

  it.each(registry.ids())('%s: every file that showed the old title shows the new one, and the old one is gone', async (id) => {
    const b0 = await bundleFor(id, before);
    const b1 = await bundleFor(id, loadSite(file, registry));
    const old = texts(b0).filter((f) => f.text.includes(oldTitle));
    if (old.length > 0) showedOld.push(id);
    const now = texts(b1);
    for (const f of old) {
      const after = now.find((x) => x.path === f.path);
      expect(after, `${f.path} is gone`).toBeDefined();
      expect(after!.text, `${id}: ${f.path}`).toContain(title);
    }
    expect(now.filter((f) => f.text.includes(oldTitle)).map((f) => f.path)).toEqual([]);
  });

  it('at least one bundle showed the title (the check above is not empty)', () => {
    expect(showedOld.length, 'no connector shows category titles').toBeGreaterThan(0);
  });
});

describe('a site without the SIEMs that give categories a meaning', () => {
  it('edits its categories all the same', () => {
    const file = exampleCopy();
    // Only FortiSIEM: no connector hook follows the edit.
    const text = readFileSync(file, 'utf8');
    const start = text.indexOf('  # --- alienvault ---');
    const end = text.indexOf('\ntargets:');
    expect(start).toBeGreaterThan(0);
    writeFileSync(file, text.slice(0, start) + text.slice(end + 1));
    const site = loadSite(file, registry);
    expect(site.siems.alienvault).toBeUndefined();
    const r = runCli(['categories', 'add', 'Partner_Feed', '--title', 'Partner feed hit', '--config', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(siteCategoryTitle(loadSite(file, registry), 'Partner_Feed')).toBe('Partner feed hit');
    expect(runCli(['categories', 'list', '--config', file, '--json']).stdout).toContain('"siems": {}');
    // The next steps are this site's: regenerate, and nothing of a SIEM it does not have.
    const renamed = runCli(['categories', 'rename', 'Partner_Feed', 'Partner feed match', '--config', file, '--no-backup']);
    expect(renamed.code, renamed.stderr).toBe(0);
    const steps = renamed.stdout.slice(renamed.stdout.indexOf('next steps:'));
    expect(steps).toContain('ctconnect generate --all');
    expect(steps).not.toMatch(/ossim|alienvault/i);
  });
});
