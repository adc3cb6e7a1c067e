/**
 * `ctconnect categories` without a database: the table, site-file edits that keep the user's
 * layout, SID allocation, bad input, and import of an installation's .cfg/.sql (read as the
 * agent's ConfigParser reads it — checked against Python's configparser).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { bundleFor, fileText } from '../helpers/bundles.js';
import { loadSite, parseSite } from '../../src/config/load.js';
import { editYaml } from '../../src/kernel/yaml-edit.js';
import { parsePluginSidRows, parseTranslationSection, readInstallation } from '../../connectors/alienvault/import.js';
import { sidTable } from '../../connectors/alienvault/translations.js';
import { followAdd, followRemove, siteWith, sidStateOf, tableOf } from '../../connectors/alienvault/translation-edits.js';
import { addCategory, categoriesOf, removeCategory } from '../../src/categories/site-categories.js';
import { snapshot, tempSite } from './fixture.js';
import { registry } from '../../connectors/registry.js';

interface ListJson {
  categories: Array<{ category: string; kind: string; title: string; titleSource: string }>;
  siems: { alienvault: { rows: Array<{ sid: number; category: string; name: string; source: string }>; retiredSids: number[] } };
}
const listAll = (file: string): ListJson => {
  const r = runCli(['categories', 'list', '--config', file, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ListJson;
};
/** The AlienVault view of the list: the SID table. */
const listJson = (file: string) => listAll(file).siems.alienvault;

async function bundleFile(site: ReturnType<typeof loadSite>, name: string): Promise<string> {
  const b = await bundleFor('alienvault', site);
  const f = b.files.find((x) => x.path.endsWith(`/${name}`) || x.path === name);
  if (!f) throw new Error(`no ${name} in the bundle`);
  return fileText(b, f.path);
}

describe('categories list', () => {
  it('shows every row with where it comes from', () => {
    const { file } = tempSite();
    const { rows } = listJson(file);
    expect(rows.slice(0, 2).map((r) => [r.sid, r.category, r.source])).toEqual([
      [1, '(service event)', 'built-in'],
      [2, '_DEFAULT_', 'built-in'],
    ]);
    expect(rows.find((r) => r.category === 'KL_Phishing_URL')).toMatchObject({
      sid: 11,
      source: 'default',
      name: 'Kaspersky CyberTrace - Phishing URL detected',
    });
    expect(rows.find((r) => r.category === 'Custom_Feed')).toMatchObject({ sid: 1000, source: 'pinned' });
    const text = runCli(['categories', 'list', '--config', file]).stdout;
    expect(text).toMatch(/^\s*11 {2}KL_Phishing_URL +default +Kaspersky CyberTrace - Phishing URL detected$/m);
    // The site's own table: every category with its title and where the title comes from.
    expect(text).toMatch(/^KL_Phishing_URL +kaspersky +built-in +Phishing URL detected$/m);
    expect(text).toMatch(/^Custom_Feed +custom +site +Custom feed detection$/m);
  });
});

describe('categories add / rename / remove on the site file', () => {
  it('adds a custom category, keeps every other line of the file as it was, and makes a backup', async () => {
    const { dir, file } = tempSite();
    const before = readFileSync(file, 'utf8');
    const r = runCli(['categories', 'add', 'Custom_Two', '--name', 'Zwei "quoted" — Ünï', '--config', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('SID 1001');
    expect(r.stdout).toContain('restart ossim-agent');
    const after = readFileSync(file, 'utf8');
    // Only lines were added: the original lines (comments, column-aligned values) are all still there, in order.
    const afterLines = after.split('\n');
    let i = 0;
    for (const line of before.split('\n')) {
      while (i < afterLines.length && afterLines[i] !== line) i++;
      expect(i, `line kept: ${line}`).toBeLessThan(afterLines.length);
      i++;
    }
    expect(afterLines.length - before.split('\n').length).toBe(4);
    const backups = Object.keys(snapshot(dir)).filter((f) => /^site\.yaml\.ctconnect-bak-\d{8}T\d{6}Z$/.test(f));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(dir, backups[0]), 'utf8')).toBe(before);
    const site = loadSite(file, registry);
    expect(site.categories.custom.map((c) => c.name)).toEqual(['Custom_Feed', 'Custom_Two']);
    expect(listJson(file).rows.find((x) => x.category === 'Custom_Two')).toMatchObject({ sid: 1001, name: 'Kaspersky CyberTrace - Zwei "quoted" — Ünï' });
    // The regenerated bundle agrees: translation line and plugin_sid row from the same table.
    const cfg = parseTranslationSection(await bundleFile(site, 'kaspersky_cyberTrace.cfg'));
    expect(cfg.entries.find((e) => e.key === 'Custom_Two')?.value).toBe('1001');
    const sqlRows = parsePluginSidRows(await bundleFile(site, 'kaspersky_cyberTrace.sql')).rows;
    expect(sqlRows.find((x) => x.sid === 1001)?.name).toBe('Kaspersky CyberTrace - Zwei "quoted" — Ünï');
  });

  it('adds a Kaspersky category to categories.kaspersky with its default SID', () => {
    const { file } = tempSite();
    expect(runCli(['categories', 'add', 'KL_IoT_URL', '--config', file]).code).toBe(0);
    const site = loadSite(file, registry);
    expect(site.categories.kaspersky).toContain('KL_IoT_URL');
    expect(site.categories.custom.map((c) => c.name)).not.toContain('KL_IoT_URL');
    expect(listJson(file).rows.find((x) => x.category === 'KL_IoT_URL')?.sid).toBe(27);
  });

  it('renames, removes, retires the SID and never hands it out again', () => {
    const { file } = tempSite();
    expect(runCli(['categories', 'rename', 'KL_Phishing_URL', "Phishing (l'URL) — фишинг", '--config', file]).code).toBe(0);
    // The title is the site's (categories.titles); the SID stays its Kaspersky default.
    expect(listJson(file).rows.find((x) => x.category === 'KL_Phishing_URL')).toMatchObject({
      sid: 11,
      name: "Kaspersky CyberTrace - Phishing (l'URL) — фишинг",
      source: 'default',
    });
    expect(listAll(file).categories.find((x) => x.category === 'KL_Phishing_URL')).toEqual({
      category: 'KL_Phishing_URL',
      kind: 'kaspersky',
      title: "Phishing (l'URL) — фишинг",
      titleSource: 'site',
    });
    expect(loadSite(file, registry).categories.titles).toEqual({ KL_Phishing_URL: "Phishing (l'URL) — фишинг" });
    expect(runCli(['categories', 'add', 'Feed_A', '--config', file]).stdout).toContain('SID 1001');
    const rm = runCli(['categories', 'remove', 'Feed_A', '--config', file]);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain('SID 1001 is retired');
    expect(listJson(file).retiredSids).toEqual([1001]);
    expect(runCli(['categories', 'add', 'Feed_B', '--config', file]).stdout).toContain('SID 1002');
    // A Kaspersky category in use leaves categories.kaspersky.
    expect(runCli(['categories', 'remove', 'KL_Phishing_URL', '--config', file]).code).toBe(0);
    const site = loadSite(file, registry);
    expect(site.categories.kaspersky).not.toContain('KL_Phishing_URL');
    expect(listJson(file).retiredSids).toEqual([1001, 11]);
    const sid = runCli(['categories', 'add', 'Feed_C', '--sid', '11', '--config', file]);
    expect(sid.code).toBe(1);
    expect(sid.stderr).toContain('--sid 11: already used by a removed category');
  });

  it('removing an unpinned custom category does not renumber the ones after it', () => {
    const site = parseSite(
      readFileSync(tempSite().file, 'utf8')
        .replace(/    translations:.*\n(      .*\n)*/, '')
        .replace('    - name: Custom_Feed\n', '    - name: Feed_X\n    - name: Custom_Feed\n'),
      'site.yaml',
      registry,
    );
    expect(
      sidTable(site)
        .categories.filter((r) => r.sid >= 1000)
        .map((r) => [r.category, r.sid]),
    ).toEqual([
      ['Feed_X', 1000],
      ['Custom_Feed', 1001],
    ]);
    const removed = removeCategory(categoriesOf(site), site.source, 'Feed_X').categories;
    const out = followRemove(site, 'Feed_X');
    expect(tableOf(site, out.state, removed).categories.find((r) => r.category === 'Custom_Feed')?.sid).toBe(1001);
    const next = siteWith(site, removed, out.state);
    const added = addCategory(removed, site.source, 'Feed_Y').categories;
    const add = followAdd(next, added, 'Feed_Y', undefined);
    expect(tableOf(next, add.state, added).categories.find((r) => r.category === 'Feed_Y')?.sid).toBe(1002);
    expect(sidStateOf(siteWith(next, added, add.state)).retired).toEqual([1000]);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['duplicate SID', ['add', 'Feed_D', '--sid', '10'], /--sid 10: already used by category "KL_Malicious_URL"/],
    ['SID of the generic event', ['add', 'Feed_D', '--sid', '2'], /--sid: must be between 3 and 2147483647/],
    ['SID too large', ['add', 'Feed_D', '--sid', '2147483648'], /--sid: must be between 3 and 2147483647/],
    ['SID not a number', ['add', 'Feed_D', '--sid', '12a'], /--sid: must be a whole number/],
    [
      'category already there (other case)',
      ['add', 'kl_phishing_url'],
      /category "kl_phishing_url" is already one of the site's categories as "KL_Phishing_URL" \(title "Phishing URL detected"\)/,
    ],
    ['category that cannot be written in the .cfg', ['add', 'Bad Feed;x'], /must be the feed's category attribute/],
    [
      'unknown category on rename',
      ['rename', 'KL_Phising_URL', 'x'],
      /category "KL_Phising_URL" is not one of the site's categories \(did you mean "KL_Phishing_URL"\?\)/,
    ],
    ['unknown category on remove', ['remove', 'Nope_Feed'], /category "Nope_Feed" is not one of the site's categories/],
    [
      'removing _DEFAULT_',
      ['remove', '_DEFAULT_'],
      /_DEFAULT_ is the generic detection event, SID 2, not a category: it cannot be renamed or removed, because without _DEFAULT_ .*parser loop dies/,
    ],
    [
      'renaming _DEFAULT_',
      ['rename', '_default_', 'Other name'],
      /cannot be renamed or removed, because without _DEFAULT_ .*reads nothing more until ossim-agent restarts/,
    ],
    [
      'adding _DEFAULT_',
      ['add', '_DEFAULT_'],
      /_DEFAULT_ is the fallback of the \[translation\] section .*always there, because without _DEFAULT_ .*parser loop dies/,
    ],
    ['name with a line break', ['rename', 'Custom_Feed', 'two\nlines'], /contains a control character \(U\+000A\)/],
    ['name the utf8 columns cannot store', ['rename', 'Custom_Feed', 'Threat 🔥'], /outside|cannot store/],
    ['name too long', ['rename', 'Custom_Feed', 'x'.repeat(600)], /characters long/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what} and changes nothing`, () => {
      const { dir, file } = tempSite();
      const before = snapshot(dir);
      const r = runCli(['categories', ...args, '--config', file]);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('exit 1: user error');
      expect(snapshot(dir)).toEqual(before);
    });
  }

  it('refuses to edit the built-in example site', () => {
    const r = runCli(['categories', 'add', 'Feed_E']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('categories add changes a site file: give --config FILE');
    expect(r.stderr).toContain('ctconnect init');
  });

  it('--dry-run shows the diff and writes nothing', () => {
    const { dir, file } = tempSite();
    const before = snapshot(dir);
    const r = runCli(['categories', 'add', 'Feed_F', '--dry-run', '--config', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\+ {4}- name: Feed_F$/m);
    expect(r.stdout).toContain('dry run: nothing was changed');
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('site-file splicing', () => {
  it('keeps comments and column-aligned values, and falls back only when the result would differ', () => {
    const text = 'a:\n  list:        # the list\n    - x     # first\n    # between\n    - y\n  other: 1     # kept\nb: [1, 2]\n';
    const r = editYaml(text, [
      { path: ['a', 'list'], value: ['x', 'z'] },
      { path: ['a', 'new'], value: [{ k: 'v "q"' }] },
      { path: ['b'], value: [1, 2, 3] },
    ]);
    expect(r.layoutKept).toBe(true);
    expect(r.text).toBe(
      'a:\n  list:        # the list\n    - x     # first\n    # between\n    - z\n  other: 1     # kept\n  new:\n    - { k: v "q" }\nb: [ 1, 2, 3 ]\n',
    );
  });
});

describe('reading an installation (import)', () => {
  const cfg = [
    '[DEFAULT]',
    'plugin_id=23021992',
    '',
    '[translation]',
    '# comment line',
    '; another comment',
    '_DEFAULT_=2',
    'KL_Malicious_URL = 10',
    'kl_phishing_url: 50        ; inline comment',
    'Old_Feed="77"',
    '',
    '[0001 - rule]',
    'regexp=x',
  ].join('\n');
  const sql = [
    "-- names; the quote below is escaped as in mysqldump: ''",
    'DELETE FROM plugin_sid WHERE plugin_id = 23021992;',
    'INSERT IGNORE INTO plugin_sid (plugin_id, sid, category_id, subcategory_id, class_id, name, priority, reliability) VALUES',
    "(23021992, 1, 15, 71, NULL, 'Kaspersky CyberTrace - Service event', 5, 8),",
    "(23021992, 50, 15, 71, NULL, 'Kaspersky CyberTrace - Phishing (l''URL) \\\\ ok', 5, 8), /* c */",
    "(23021992, 77, 15, 71, NULL, 'Kaspersky CyberTrace - Old feed — alt', 5, 8);",
  ].join('\n');

  it('reads [translation] as Python configparser does', () => {
    const py = spawnSync(
      'python3',
      [
        '-c',
        [
          'import configparser, json, sys',
          'c = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None)',
          'c.read_string(sys.stdin.read())',
          'print(json.dumps({k: v.strip("\\"\'") for k, v in c.items("translation") if k not in c.defaults()}))',
        ].join('\n'),
      ],
      { input: cfg, encoding: 'utf8' },
    );
    expect(py.status, py.stderr).toBe(0);
    const mine = Object.fromEntries(parseTranslationSection(cfg).entries.map((e) => [e.key.toLowerCase(), e.value]));
    expect(mine).toEqual(JSON.parse(py.stdout));
  });

  it('maps keys back to category spellings and names from the SQL', () => {
    const inst = readInstallation(cfg, 'k.cfg', sql, 'k.sql', []);
    expect(inst.conflicts).toEqual([]);
    expect(inst.categories).toEqual([
      { category: 'KL_Malicious_URL', sid: 10, name: undefined, kaspersky: true },
      { category: 'KL_Phishing_URL', sid: 50, name: "Phishing (l'URL) \\ ok", kaspersky: true },
      { category: 'Old_Feed', sid: 77, name: 'Old feed — alt', kaspersky: false },
    ]);
    expect(inst.notes.join('\n')).toContain('no plugin_sid row for SID 10');
  });

  it('pins the installation SIDs into the site through the CLI', () => {
    const { dir, file } = tempSite();
    writeFileSync(join(dir, 'k.cfg'), cfg);
    writeFileSync(join(dir, 'k.sql'), sql);
    const r = runCli(['categories', 'import', '--cfg', join(dir, 'k.cfg'), '--sql', join(dir, 'k.sql'), '--config', file]);
    expect(r.code, r.stderr).toBe(0);
    const rows = listJson(file).rows;
    expect(rows.find((x) => x.category === 'KL_Phishing_URL')).toMatchObject({
      sid: 50,
      name: "Kaspersky CyberTrace - Phishing (l'URL) \\ ok",
      source: 'pinned',
    });
    // The installation's event names become the site's titles, which every SIEM shows.
    expect(loadSite(file, registry).categories.titles).toEqual({ KL_Phishing_URL: "Phishing (l'URL) \\ ok" });
    expect(loadSite(file, registry).categories.custom.find((c) => c.name === 'Old_Feed')?.title).toBe('Old feed — alt');
    expect(rows.find((x) => x.category === 'Old_Feed')).toMatchObject({ sid: 77, name: 'Kaspersky CyberTrace - Old feed — alt' });
    expect(rows.find((x) => x.category === 'KL_Malicious_URL')?.sid).toBe(10);
    expect(loadSite(file, registry).categories.custom.map((c) => c.name)).toContain('Old_Feed');
    // Importing again changes nothing.
    const before = snapshot(dir);
    const again = runCli(['categories', 'import', '--cfg', join(dir, 'k.cfg'), '--sql', join(dir, 'k.sql'), '--config', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to change');
    expect(snapshot(dir)).toEqual(before);
  });

  it("a generated bundle's .cfg/.sql import into a bare site gives back the same table", async () => {
    const { file } = tempSite();
    expect(runCli(['categories', 'add', 'Feed_G', '--name', 'Gee "G" ü', '--config', file]).code).toBe(0);
    expect(runCli(['categories', 'rename', 'KL_APT_IP', 'APT address', '--config', file]).code).toBe(0);
    const source = loadSite(file, registry);
    const bare = tempSite();
    const text = readFileSync(bare.file, 'utf8').replace(/    translations:.*\n(      .*\n)*/, '');
    writeFileSync(bare.file, text);
    writeFileSync(join(bare.dir, 'k.cfg'), await bundleFile(source, 'kaspersky_cyberTrace.cfg'));
    writeFileSync(join(bare.dir, 'k.sql'), await bundleFile(source, 'kaspersky_cyberTrace.sql'));
    const r = runCli(['categories', 'import', '--cfg', join(bare.dir, 'k.cfg'), '--sql', join(bare.dir, 'k.sql'), '--config', bare.file]);
    expect(r.code, r.stderr).toBe(0);
    const strip = (rows: Array<{ sid: number; category: string; name: string }>) => rows.map(({ sid, category, name }) => ({ sid, category, name }));
    expect(strip(listJson(bare.file).rows)).toEqual(strip(listJson(file).rows));
  });

  const conflicts: Array<[string, string, RegExp]> = [
    ['a different _DEFAULT_', '[translation]\n_DEFAULT_=9\nX_Feed=40\n', /_DEFAULT_ is 9; ctconnect keeps the generic detection event at SID 2/],
    [
      'no _DEFAULT_',
      '[translation]\nX_Feed=40\n',
      /k\.cfg: \[translation\] has no _DEFAULT_ line; without _DEFAULT_ the ossim-agent .*parser loop dies .*Add the line _DEFAULT_=2/,
    ],
    ['two categories on one SID', '[translation]\nA_Feed=40\nB_Feed=40\n', /"B_Feed" and "A_Feed" share SID 40/],
    ['a SID that is not a number', '[translation]\nA_Feed=forty\n', /k\.cfg:2: "A_Feed" maps to "forty", not a numeric SID/],
    ['a duplicate key', '[translation]\nA_Feed=40\na_feed=41\n', /k\.cfg:3: "a_feed" is already set on line 2/],
    ['a reserved SID', '[translation]\nA_Feed=1\n', /uses SID 1, which ctconnect reserves for the service event/],
    [
      'a clash with a pin of the site',
      '[translation]\nOther_Feed=1000\n',
      /SID 1000: the installation gives it to "Other_Feed" but the site pins it to "Custom_Feed"/,
    ],
    ['no [translation] section', '[config]\ntype=detector\n', /has no \[translation\] section/],
  ];
  for (const [what, text, message] of conflicts) {
    it(`reports ${what} and changes nothing`, () => {
      const { dir, file } = tempSite();
      writeFileSync(join(dir, 'k.cfg'), text);
      const before = snapshot(dir);
      const r = runCli(['categories', 'import', '--cfg', join(dir, 'k.cfg'), '--config', file]);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr).toMatch(/conflicts?; nothing was changed/);
      expect(r.stderr).toMatch(message);
      expect(snapshot(dir)).toEqual(before);
    });
  }
});
