/**
 * A `categories` edit writes through a symlinked site file: the real file gets the change (with
 * its owner and mode), the link stays a link, and backups go beside the real file.
 */
import { describe, expect, it } from 'vitest';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { loadSite } from '../../src/config/load.js';
import { tempSite } from './fixture.js';
import { registry } from '../../connectors/registry.js';

describe('categories edits and the site file', () => {
  it('change the target of a symlinked site file, keeping the link, the owner and the mode', () => {
    const { dir, file } = tempSite();
    const realDir = join(dir, 'real');
    mkdirSync(realDir);
    const real = join(realDir, 'site.yaml');
    renameSync(file, real);
    symlinkSync('real/site.yaml', file);
    chmodSync(real, 0o640);
    // Tests run as root, so the file can belong to someone else, as a shared site file might.
    chownSync(real, 4242, 4343);
    const before = readFileSync(real, 'utf8');

    const r = runCli(['categories', 'add', 'Custom_Two', '--config', file]);
    expect(r.code, r.stderr).toBe(0);

    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    const st = statSync(real);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o640, 4242, 4343]);
    expect(readFileSync(real, 'utf8')).not.toBe(before);
    expect(loadSite(file, registry).categories.custom.map((c) => c.name)).toContain('Custom_Two');
    // The backup sits beside the real file and holds the old text; no temp file is left.
    const backups = readdirSync(realDir).filter((f) => f.startsWith('site.yaml.ctconnect-bak-'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(realDir, backups[0]), 'utf8')).toBe(before);
    const bst = statSync(join(realDir, backups[0]));
    expect([bst.mode & 0o7777, bst.uid, bst.gid]).toEqual([0o640, 4242, 4343]);
    expect(readdirSync(realDir).filter((f) => f.includes('ctconnect') && !backups.includes(f))).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['real', 'site.yaml']);
    rmSync(dir, { recursive: true, force: true });
  });
});
