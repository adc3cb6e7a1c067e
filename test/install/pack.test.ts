/**
 * Installing as the README says, on a machine without registry access: `npm pack` makes a tarball
 * holding ctconnect and its dependencies, `npm install -g --offline` of it puts `ctconnect` on the
 * PATH, and the commands a generated INSTALL.md prints then run as written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ctc-install-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm pack, then npm install -g of the tarball', () => {
  it('puts ctconnect on the PATH; generate --all works in an empty folder and INSTALL.md commands run', { timeout: 600_000 }, async () => {
    // dist/ is built before the tests run; the pack takes it as it is. Not synchronous: npm takes
    // minutes on a busy machine, and the test runner must hear from this worker meanwhile.
    const npm = (args: string[], cwd: string) =>
      promisify(execFile)('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, npm_config_cache: join(dir, 'npm-cache') },
      });
    await npm(['pack', '--ignore-scripts', '--pack-destination', dir], REPO);
    const tarball = readdirSync(dir).find((f) => /^ctconnect-.*\.tgz$/.test(f));
    expect(tarball).toBeDefined();
    const prefix = join(dir, 'prefix');
    await npm(['install', '--global', '--offline', '--prefix', prefix, join(dir, tarball!)], dir);
    const bin = join(prefix, 'bin');
    expect(existsSync(join(bin, 'ctconnect'))).toBe(true);

    const work = join(dir, 'empty');
    mkdirSync(work);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, CTCONNECT_CONFIG: undefined };
    const sh = (command: string) => spawnSync('sh', ['-c', command], { cwd: work, env, encoding: 'utf8' });
    expect(sh('command -v ctconnect').stdout.trim()).toBe(join(bin, 'ctconnect'));
    const gen = sh('ctconnect generate --all');
    expect(gen.status, gen.stderr).toBe(0);
    expect(readdirSync(join(work, 'out')).sort()).toContain('alienvault.tar.gz');
    // A command as the AlienVault INSTALL.md prints it, run by the shell as written.
    const install = readFileSync(join(work, 'out', 'alienvault', 'INSTALL.md'), 'utf8');
    const printed = install.split('\n').find((l) => l.startsWith('ctconnect categories list'));
    expect(printed).toBeDefined();
    const r = sh(printed!);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('KL_Malicious_URL');
  });
});
