/**
 * generate never deletes what it did not write, refuses to replace another site's bundles without
 * --force, and is all-or-nothing across every bundle of the run (a failed move puts everything back).
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, runCli } from '../helpers/cli.js';
import { snapshot } from '../helpers/tree.js';
import { bundleFor, exampleSite } from '../helpers/bundles.js';
import { builtJob, writeBundles } from '../../src/bundle/write.js';
import { parseManifest } from '../../src/bundle/manifest.js';
import { UserError } from '../../src/kernel/errors.js';

const made: string[] = [];
const tmp = (prefix: string) => {
  made.push(mkdtempSync(join(tmpdir(), prefix)));
  return made.at(-1)!;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('generate writes bundles safely', () => {
  it('records the site file in the MANIFEST and replaces its own earlier bundle whole', () => {
    const out = tmp('ctc-w-');
    expect(runCli(['generate', 'fortisiem', '--out', out]).code).toBe(0);
    const manifest = readFileSync(join(out, 'fortisiem', 'MANIFEST'), 'utf8');
    expect(parseManifest(manifest)?.origin).toEqual({ name: 'example-site', file: 'built-in example site' });
    // A file an earlier version of the bundle had (listed in its MANIFEST) goes away with it.
    writeFileSync(join(out, 'fortisiem', 'old.txt'), 'old');
    appendFileSync(join(out, 'fortisiem', 'MANIFEST'), `${'0'.repeat(64)}  0644  3  old.txt  -\n`);
    expect(runCli(['generate', 'fortisiem', '--out', out]).code).toBe(0);
    expect(existsSync(join(out, 'fortisiem', 'old.txt'))).toBe(false);
    expect(readdirSync(out).sort()).toEqual(['fortisiem', 'fortisiem.tar.gz']);
  });

  it('never deletes files it did not write, --force or not', () => {
    const out = tmp('ctc-w-');
    expect(runCli(['generate', 'fortisiem', '--out', out]).code).toBe(0);
    writeFileSync(join(out, 'fortisiem', 'my-notes.txt'), 'mine');
    const before = snapshot(out);
    for (const extra of [[], ['--force']]) {
      const r = runCli(['generate', 'fortisiem', '--out', out, ...extra]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${join(out, 'fortisiem')} holds files its MANIFEST does not list (${join(out, 'fortisiem', 'my-notes.txt')})`);
      expect(snapshot(out)).toEqual(before);
    }
    // `generate -o .` in a folder that has a folder of the user's own with a bundle's name.
    const work = tmp('ctc-w-dot-');
    mkdirSync(join(work, 'kuma'));
    writeFileSync(join(work, 'kuma', 'notes.md'), 'mine');
    const r = runCli(['generate', '--all', '--out', '.'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kuma is not a ctconnect bundle folder');
    expect(readdirSync(work)).toEqual(['kuma']);
    expect(readFileSync(join(work, 'kuma', 'notes.md'), 'utf8')).toBe('mine');
  });

  it('refuses to replace bundles generated from another site file unless --force', () => {
    const work = tmp('ctc-w-site-');
    expect(runCli(['generate', '--all', '--out', 'out'], { cwd: work }).code).toBe(0);
    expect(runCli(['init'], { cwd: work }).code).toBe(0);
    const before = snapshot(join(work, 'out'));
    // ./site.yaml is found without --config; the bundles in out/ came from the built-in example.
    const r = runCli(['generate', '--all', '--out', 'out'], { cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `out/fortisiem was generated from another site: example-site (built-in example site); this run uses example-site (${join(work, 'site.yaml')})`,
    );
    expect(snapshot(join(work, 'out'))).toEqual(before);
    expect(runCli(['generate', '--all', '--out', 'out', '--force'], { cwd: work }).code).toBe(0);
    expect(parseManifest(readFileSync(join(work, 'out', 'kuma', 'MANIFEST'), 'utf8'))?.origin?.file).toBe(join(work, 'site.yaml'));
  });

  it('changes nothing when one archive is in the way (a folder named like it)', () => {
    const out = tmp('ctc-w-arch-');
    expect(runCli(['generate', '--all', '--out', out]).code).toBe(0);
    renameSync(join(out, 'kuma.tar.gz'), `${out}-kuma-old.tar.gz`);
    mkdirSync(join(out, 'kuma.tar.gz'));
    const before = snapshot(out);
    const r = runCli(['generate', '--all', '--out', out, '--force']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(out, 'kuma.tar.gz')} exists and is not a file`);
    expect(snapshot(out)).toEqual(before);
  });

  it('puts every earlier bundle back when a move fails half-way', async () => {
    const out = tmp('ctc-w-fault-');
    const site = exampleSite();
    const bundles = [await bundleFor('fortisiem', site), await bundleFor('kuma', site), await bundleFor('splunk', site)];
    await writeBundles(bundles.map(builtJob), out, 'tar.gz');
    writeFileSync(join(out, 'unrelated.txt'), 'mine');
    const before = snapshot(out);
    // Changed content in every bundle (an unchanged one stays where it is, moved by nobody), so a bundle that stayed replaced would show in the snapshot.
    for (const b of bundles) b.files = b.files.map((f) => (f.path === 'INSTALL.md' ? { ...f, content: `${String(f.content)}\nchanged\n` } : f));
    for (const failAt of [2, 5, 9]) {
      let calls = 0;
      const rename = (from: string, to: string) => {
        if (++calls === failAt) throw Object.assign(new Error('injected'), { code: 'EIO' });
        renameSync(from, to);
      };
      await expect(writeBundles(bundles.map(builtJob), out, 'tar.gz', { rename })).rejects.toThrow(
        /could not put the bundles in place \(EIO\); every bundle folder and archive is as it was/,
      );
      expect(snapshot(out)).toEqual(before);
      expect(readdirSync(out).some((n) => n.startsWith('.ctconnect-staging-'))).toBe(false);
    }
  });

  it('writes each bundle while the next is built, and leaves nothing when one cannot be built', async () => {
    const site = exampleSite();
    const [fortisiem, kuma] = [await bundleFor('fortisiem', site), await bundleFor('kuma', site)];
    const failing = (after: typeof fortisiem) => [
      builtJob(after),
      {
        id: 'kuma',
        origin: builtJob(kuma).origin,
        // The first bundle's files are being written (its folder is in the staging folder) when this one fails.
        build: () => Promise.reject(new UserError('siems.kuma: the bundle cannot be built')),
      },
    ];
    // Into folders that do not exist yet: the run removes every folder it made on the way.
    const base = tmp('ctc-w-build-');
    const out = join(base, 'a', 'b', 'out');
    await expect(writeBundles(failing(fortisiem), out, 'tar.gz')).rejects.toThrow('siems.kuma: the bundle cannot be built');
    expect(readdirSync(base)).toEqual([]);
    // Over an earlier run: that run's bundles stay as they were, and no staging folder is left.
    await writeBundles([builtJob(fortisiem), builtJob(kuma)], out, 'tar.gz');
    const before = snapshot(out);
    const changed = { ...fortisiem, files: fortisiem.files.map((f) => (f.path === 'INSTALL.md' ? { ...f, content: `${String(f.content)}\nchanged\n` } : f)) };
    await expect(writeBundles(failing(changed), out, 'tar.gz')).rejects.toThrow('siems.kuma: the bundle cannot be built');
    expect(snapshot(out)).toEqual(before);
  });

  it('refuses a bundle built only to be checked (validate makes no MANIFEST)', async () => {
    const { buildBundle } = await import('../../src/bundle/build.js');
    const { createRenderer } = await import('../../src/render/engine.js');
    const { registry } = await import('../../connectors/registry.js');
    const checked = await buildBundle(registry.get('splunk'), exampleSite(), createRenderer(), { checkOnly: true });
    expect(checked.files.some((f) => f.path === 'MANIFEST' || f.path.endsWith('.spl'))).toBe(false);
    const out = tmp('ctc-w-checked-');
    await expect(writeBundles([{ id: 'splunk', origin: { name: 'x', file: 'y' }, build: () => Promise.resolve(checked) }], out, 'tar.gz')).rejects.toThrow(
      /built to be checked only/,
    );
    expect(readdirSync(out)).toEqual([]);
    expect(() => builtJob(checked)).toThrow(/built to be checked only/);
  });

  it('Ctrl-C while it builds and writes: exit 130, nothing written, no folder left', async () => {
    // A site large enough that the run is still building or writing when the signal comes.
    const base = tmp('ctc-w-int-');
    const devices = Array.from({ length: 100_000 }, (_, i) => `      - ip: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\n        name: d${i}\n`).join('');
    const site = `name: big\ncybertrace:\n  address: 192.0.2.10\nsiems:\n  fortisiem:\n    address: 192.0.2.30\n  alienvault:\n    address: 192.0.2.20\n    devices:\n${devices}`;
    writeFileSync(join(base, 'site.yaml'), site);
    const out = join(base, 'new', 'out');
    const child = spawn(process.execPath, [CLI, 'generate', '--all', '-c', join(base, 'site.yaml'), '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // The staging folder appears once the signal handlers are in place and the run has started writing.
    const deadline = Date.now() + 60_000;
    while (!(existsSync(out) && readdirSync(out).some((n) => n.startsWith('.ctconnect-staging-')))) {
      if (Date.now() > deadline) throw new Error(`no staging folder within 60 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain(`interrupted: nothing was written to ${out}`);
    expect(readdirSync(base)).toEqual(['site.yaml']);
  });

  it('a re-run links the files that did not change and writes the others anew', () => {
    const out = tmp('ctc-w-link-');
    expect(runCli(['generate', 'fortisiem', '--out', out]).code).toBe(0);
    const at = (f: string) => join(out, 'fortisiem', f);
    const inode = (f: string) => statSync(f).ino;
    const before = { manifest: inode(at('MANIFEST')), install: inode(at('INSTALL.md')), archive: inode(join(out, 'fortisiem.tar.gz')) };
    const generated = readFileSync(at('INSTALL.md'), 'utf8');
    // Edited by hand, given another mode, given a second name: each of these is written anew, with the bundle's bytes and mode.
    const [edited, chmodded, twice] = readdirSync(join(out, 'fortisiem', 'fortisiem')).map((f) => join('fortisiem', f));
    writeFileSync(at(edited), 'edited by hand\n');
    const mode = statSync(at(chmodded)).mode & 0o7777;
    chmodSync(at(chmodded), 0o600);
    const otherName = join(tmp('ctc-w-link-other-'), 'other-name');
    linkSync(at(twice), otherName);
    const twiceBefore = readFileSync(at(twice), 'utf8');
    expect(runCli(['generate', 'fortisiem', '--out', out]).code).toBe(0);
    expect(inode(at('MANIFEST'))).toBe(before.manifest);
    expect(inode(at('INSTALL.md'))).toBe(before.install);
    expect(inode(join(out, 'fortisiem.tar.gz'))).toBe(before.archive);
    expect(readFileSync(at('INSTALL.md'), 'utf8')).toBe(generated);
    expect(readFileSync(at(edited), 'utf8')).not.toBe('edited by hand\n');
    expect(statSync(at(chmodded)).mode & 0o7777).toBe(mode);
    expect(inode(at(twice))).not.toBe(inode(otherName));
    expect(readFileSync(otherName, 'utf8')).toBe(twiceBefore);
    for (const f of [edited, chmodded, twice, 'MANIFEST']) expect(statSync(at(f)).nlink, f).toBe(1);
  });

  it('a re-run that changes nothing leaves every folder and archive where it is; one that changes a bundle replaces that one', () => {
    const out = tmp('ctc-w-same-');
    expect(runCli(['generate', 'fortisiem', 'kuma', '--out', out]).code).toBe(0);
    const ids = () => Object.fromEntries(['fortisiem', 'kuma', 'fortisiem.tar.gz', 'kuma.tar.gz'].map((n) => [n, statSync(join(out, n)).ino]));
    const first = ids();
    expect(runCli(['generate', 'fortisiem', 'kuma', '--out', out]).code).toBe(0);
    expect(ids()).toEqual(first);
    // A file of one bundle edited by hand: that bundle is written again (a new folder), the other stays.
    writeFileSync(join(out, 'kuma', 'INSTALL.md'), 'edited\n');
    expect(runCli(['generate', 'fortisiem', 'kuma', '--out', out]).code).toBe(0);
    const third = ids();
    expect(third.fortisiem).toBe(first.fortisiem);
    expect(third['fortisiem.tar.gz']).toBe(first['fortisiem.tar.gz']);
    expect(third.kuma).not.toBe(first.kuma);
    expect(readFileSync(join(out, 'kuma', 'INSTALL.md'), 'utf8')).not.toBe('edited\n');
    // Its archive had not changed, so the archive stays too.
    expect(third['kuma.tar.gz']).toBe(first['kuma.tar.gz']);
    expect(readdirSync(out).sort()).toEqual(['fortisiem', 'fortisiem.tar.gz', 'kuma', 'kuma.tar.gz']);
  });
});
