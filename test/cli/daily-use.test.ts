/** Daily use: which site file a command finds, and output into a pipe the reader closed. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, REPO, runCli } from '../helpers/cli.js';
import { connectorIds } from '../../connectors/registry.js';

const made: string[] = [];
const tmp = () => {
  made.push(mkdtempSync(join(tmpdir(), 'ctc-daily-')));
  return made.at(-1)!;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A site that differs from the example in its name, so the output tells which file was read. */
function siteNamed(dir: string, file: string, name: string): string {
  const path = join(dir, file);
  writeFileSync(path, readFileSync(join(REPO, 'examples', 'site.yaml'), 'utf8').replace('name: example-site', `name: ${name}`));
  return path;
}

const validated = (r: { stdout: string }) => (JSON.parse(r.stdout) as { source: string }).source;

describe('site discovery', () => {
  it('uses the built-in example only when there is no site file, and says so on stderr', () => {
    const dir = tmp();
    const r = runCli(['validate', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(validated(r)).toBe('built-in example site');
    expect(r.stderr).toContain(`using the built-in example site ${join(REPO, 'examples', 'site.yaml')}`);
    expect(runCli(['validate', '--json', '--quiet'], { cwd: dir }).stderr).not.toContain('built-in example');
  });

  it('finds ./site.yaml (what `init` writes with no argument), then $CTCONNECT_CONFIG, then --config', () => {
    const dir = tmp();
    expect(runCli(['init'], { cwd: dir }).code).toBe(0);
    const here = runCli(['validate', '--json'], { cwd: dir });
    expect(validated(here)).toBe('site.yaml');
    expect(here.stderr).not.toContain('built-in example');
    const fromEnv = siteNamed(dir, 'env.yaml', 'from-env');
    expect(validated(runCli(['validate', '--json'], { cwd: dir, env: { CTCONNECT_CONFIG: fromEnv } }))).toBe(fromEnv);
    const explicit = siteNamed(dir, 'explicit.yaml', 'explicit');
    expect(validated(runCli(['validate', '--json', '--config', explicit], { cwd: dir, env: { CTCONNECT_CONFIG: fromEnv } }))).toBe(explicit);
    expect(validated(runCli(['validate', '--json', explicit], { cwd: dir }))).toBe(explicit);
    const missing = runCli(['validate'], { cwd: dir, env: { CTCONNECT_CONFIG: join(dir, 'nope.yaml') } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${join(dir, 'nope.yaml')}: cannot read the site file (no such file)`);
  });

  it('categories edits the site file it finds, and --no-backup leaves no copy', () => {
    const dir = tmp();
    expect(runCli(['init'], { cwd: dir }).code).toBe(0);
    const r = runCli(['categories', 'add', 'My_Feed', '--name', 'My feed detection', '--no-backup'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('site file updated (no backup: --no-backup)');
    expect(readFileSync(join(dir, 'site.yaml'), 'utf8')).toContain('My_Feed');
    expect(readdirSync(dir)).toEqual(['site.yaml']);
    // Without any site file, the built-in example is read-only.
    const none = runCli(['categories', 'add', 'My_Feed'], { cwd: tmp() });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('categories add changes a site file: give --config FILE');
  });

  it('prints commands in INSTALL.md with the --config of the site file the bundle came from', () => {
    const dir = tmp();
    const site = siteNamed(dir, 'my site.yaml', 'mine');
    expect(runCli(['generate', '--all', '--out', join(dir, 'out'), '--config', site]).code).toBe(0);
    for (const id of connectorIds()) {
      const text = readFileSync(join(dir, 'out', id, 'INSTALL.md'), 'utf8');
      const commands = text.match(/ctconnect (?:cybertrace|verify|deploy|categories) [^`\n]*/g) ?? [];
      expect(commands.length).toBeGreaterThan(0);
      for (const c of commands.filter((x) => !x.includes('…'))) expect(c).toContain(` --config '${site}'`);
    }
  });
});

/** Runs the CLI with its stdout read end closed at once, as `| head -1` does after one line. */
function closedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.destroy();
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('output into a closed pipe', () => {
  for (const args of [['list'], ['categories', 'list'], ['simulate', 'fortisiem', '--print', '--count', '20000']]) {
    it(`ctconnect ${args.join(' ')} | head ends quietly with exit 0`, async () => {
      const r = await closedPipe(['--quiet', ...args]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }
});
