/**
 * Splunk packaging rules (the AppInspect checks that matter for installing) run on the
 * generated .spl archives after extracting them with tar(1), for both schemes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseConf } from '../../connectors/splunk/conf.js';
import { createArchive } from '../../src/formats/archive.js';
import type { Bundle } from '../../src/bundle/build.js';
import { distributedBundle, splunkBundle } from './helpers/app.js';

const single = await splunkBundle();
const distributed = await distributedBundle();

function spl(b: Bundle, id: string): Buffer {
  const f = b.files.find((x) => x.path === `${id}.spl`);
  if (!f || typeof f.content === 'string') throw new Error(`no binary ${id}.spl in the bundle`);
  return f.content;
}

/** Temporary folders of this file, removed at the end. */
const temps: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function extract(archive: Buffer): string {
  const dir = tempDir('ctc-spl-');
  const file = join(dir, 'app.spl');
  writeFileSync(file, archive);
  execFileSync('tar', ['-xzf', file, '-C', dir, '--no-same-owner']);
  return dir;
}

function walk(root: string): Array<{ path: string; dir: boolean; mode: number }> {
  const out: Array<{ path: string; dir: boolean; mode: number }> = [];
  const go = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      out.push({ path: relative(root, p), dir: st.isDirectory(), mode: st.mode & 0o7777 });
      if (st.isDirectory()) go(p);
    }
  };
  go(root);
  return out;
}

/** Problems with an extracted app per Splunk AppInspect; empty = installable. */
function packagingProblems(root: string, expectedId: string): string[] {
  const problems: string[] = [];
  const top = readdirSync(root).filter((n) => n !== 'app.spl');
  if (top.length !== 1) return [`expected one top-level folder, found: ${top.join(', ')}`];
  const id = top[0];
  if (id !== expectedId) problems.push(`top-level folder "${id}" is not the app id "${expectedId}"`);
  const app = join(root, id);
  const entries = walk(app);
  for (const e of entries) {
    const base = e.path.split('/').pop()!;
    if (e.path === 'local' || e.path.startsWith('local/')) problems.push(`${e.path}: no local/ folder allowed`);
    if (e.path === 'metadata/local.meta') problems.push('metadata/local.meta must not be shipped');
    if (base.startsWith('.')) problems.push(`${e.path}: dot-file`);
    if (base === '__MACOSX') problems.push(`${e.path}: __MACOSX`);
    if (/\s/.test(e.path) && /\.(conf|xml|meta)$/.test(e.path)) problems.push(`${e.path}: space in a conf or dashboard file name`);
    if (!(e.mode & 0o400)) problems.push(`${e.path}: not owner-readable`);
    if (e.dir && (e.mode & 0o700) !== 0o700) problems.push(`${e.path}: folder not rwx for its owner`);
    if (e.mode & 0o002) problems.push(`${e.path}: world-writable`);
    if (!e.dir && /^bin\/.*\.py$/.test(e.path) && !(e.mode & 0o100)) problems.push(`${e.path}: script not executable`);
    if (!e.dir && !e.path.startsWith('bin/') && e.mode & 0o111) problems.push(`${e.path}: executable outside bin/`);
  }
  const files = entries.filter((e) => !e.dir).map((e) => e.path);
  for (const f of files.filter((p) => /\.(conf|meta)$/.test(p))) {
    for (const p of parseConf(readFileSync(join(app, f), 'utf8')).problems) problems.push(`${f}: ${p}`);
  }
  if (!files.includes('default/app.conf')) return [...problems, 'default/app.conf is missing'];
  if (!files.includes('metadata/default.meta')) problems.push('metadata/default.meta is missing');
  const conf = parseConf(readFileSync(join(app, 'default/app.conf'), 'utf8')).stanzas;
  const get = (s: string, k: string) => conf.get(s)?.get(k);
  if (get('package', 'id') !== id) problems.push(`[package] id = ${get('package', 'id')} differs from the folder ${id}`);
  if (get('id', 'name') !== id) problems.push(`[id] name = ${get('id', 'name')} differs from the folder ${id}`);
  if (!/^[A-Za-z_.-][A-Za-z0-9_.-]*$/.test(id) || /^\d/.test(id)) problems.push(`app id ${id}: letters, digits, ".", "_", "-", not starting with a digit`);
  for (const [s, k] of [
    ['id', 'version'],
    ['launcher', 'version'],
  ]) {
    if (!/^\d+\.\d+\.\d+$/.test(get(s, k) ?? '')) problems.push(`[${s}] ${k} = ${get(s, k)} is not Major.Minor.Revision`);
  }
  if (get('launcher', 'version') !== get('id', 'version')) problems.push('[launcher] version and [id] version differ');
  for (const [s, k] of [
    ['launcher', 'description'],
    ['launcher', 'author'],
    ['ui', 'is_visible'],
    ['ui', 'label'],
  ])
    if (!get(s, k)) problems.push(`[${s}] ${k} is missing`);
  if (get('install', 'is_configured') !== 'false') problems.push('[install] is_configured must be false');
  for (const x of files.filter((p) => p.endsWith('.xml'))) {
    const r = spawnSync('xmllint', ['--noout', join(app, x)], { encoding: 'utf8' });
    if (r.error) throw new Error(`xmllint could not run: ${r.error.message} (install Debian's libxml2-utils)`);
    if (r.status !== 0) problems.push(`${x}: not well-formed XML: ${r.stderr.trim()}`);
  }
  return problems;
}

describe('Splunk app packages (.spl)', () => {
  it('single instance: one installable app', () => {
    const root = extract(spl(single, 'Kaspersky_CyberTrace_App_for_Splunk'));
    expect(packagingProblems(root, 'Kaspersky_CyberTrace_App_for_Splunk')).toEqual([]);
  });

  it.each(['Kaspersky_CyberTrace_App_for_Splunk', 'Kaspersky_CyberTrace_Forwarder_for_Splunk'])('distributed: %s passes the same checks', (id) => {
    expect(packagingProblems(extract(spl(distributed, id)), id)).toEqual([]);
  });

  it.each([
    ['single', single],
    ['distributed search head', distributed],
  ] as const)('%s: the checks cover the KV-store collection and the settings and status dashboards', (_what, b) => {
    const id = 'Kaspersky_CyberTrace_App_for_Splunk';
    const root = extract(spl(b, id));
    const paths = walk(join(root, id)).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'default/collections.conf',
        'default/data/ui/views/kl_cybertrace_settings.xml',
        'default/data/ui/views/kl_cybertrace_status.xml',
      ]),
    );
    execFileSync(
      'sh',
      [
        '-c',
        'printf "[kl_cybertrace_settings]\\nfield.KTCHost = string\\nfield.KTCHost = number\\n" > default/collections.conf && printf "<form>" > default/data/ui/views/kl_cybertrace_settings.xml',
      ],
      { cwd: join(root, id) },
    );
    expect(packagingProblems(root, id)).toEqual([
      'default/collections.conf: line 3: key "field.KTCHost" appears twice in [kl_cybertrace_settings]',
      expect.stringMatching(/^default\/data\/ui\/views\/kl_cybertrace_settings\.xml: not well-formed XML/),
    ]);
  });

  it('the checks catch what they look for', () => {
    const root = extract(spl(single, 'Kaspersky_CyberTrace_App_for_Splunk'));
    const app = join(root, 'Kaspersky_CyberTrace_App_for_Splunk');
    execFileSync(
      'sh',
      [
        '-c',
        'mkdir local && touch .DS_Store && chmod 0200 README.md && chmod 0644 bin/kl_search.py && printf "[a]\\nx = 1\\nx = 2\\n" > default/dup.conf && printf "<a>" > default/data/ui/views/bad.xml',
      ],
      { cwd: app },
    );
    const p = packagingProblems(root, 'Other_Id');
    expect(p).toEqual(
      expect.arrayContaining([
        'top-level folder "Kaspersky_CyberTrace_App_for_Splunk" is not the app id "Other_Id"',
        '.DS_Store: dot-file',
        'local: no local/ folder allowed',
        'README.md: not owner-readable',
        'bin/kl_search.py: script not executable',
        'default/dup.conf: line 3: key "x" appears twice in [a]',
        expect.stringMatching(/^default\/data\/ui\/views\/bad\.xml: not well-formed XML/),
      ]),
    );
  });

  it('holds exactly the app files of the bundle folder, with their modes and bytes', () => {
    const root = extract(spl(single, 'Kaspersky_CyberTrace_App_for_Splunk'));
    const inBundle = single.files.filter((f) => f.path.startsWith('Kaspersky_CyberTrace_App_for_Splunk/'));
    const extracted = walk(root).filter((e) => !e.dir && e.path !== 'app.spl');
    expect(extracted.map((e) => e.path)).toEqual(inBundle.map((f) => f.path).sort());
    for (const f of inBundle) {
      expect(readFileSync(join(root, f.path))).toEqual(Buffer.from(f.content));
      expect(extracted.find((e) => e.path === f.path)!.mode).toBe(f.mode);
    }
  });

  it('lists like the shared createArchive output: same files, modes, fixed date, numeric owner 0', async () => {
    const id = 'Kaspersky_CyberTrace_App_for_Splunk';
    const appFiles = single.files.filter((f) => f.path.startsWith(`${id}/`)).map((f) => ({ ...f, path: f.path.slice(id.length + 1) }));
    const listing = (buf: Buffer) => {
      const dir = tempDir('ctc-list-');
      writeFileSync(join(dir, 'a.tgz'), buf);
      return execFileSync('tar', ['-tvzf', join(dir, 'a.tgz'), '--utc', '--numeric-owner'], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('d'));
    };
    expect(listing(spl(single, id))).toEqual(listing(await createArchive(appFiles, id, 'tar.gz')));
  });

  it('is byte-identical from build to build', async () => {
    expect(spl(await splunkBundle(), 'Kaspersky_CyberTrace_App_for_Splunk').equals(spl(single, 'Kaspersky_CyberTrace_App_for_Splunk'))).toBe(true);
  });
});
