/**
 * No command loads a module it does not use. The built CLI runs with a preload that records
 * every module file the process loads (test/helpers/record-loads.mjs); the libraries below stay
 * in node_modules when the CLI is bundled (scripts/bundle.mjs), so their files show by path.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO, runCli } from '../helpers/cli.js';

/** Large or used by a few commands only; `handlebars` here is its compiler (the runtime is bundled). */
const HEAVY = ['ssh2', 'mysql2', 'archiver', 'listr2', 'ajv', 'ajv-formats', 'diff', 'handlebars'];

const dir = mkdtempSync(join(tmpdir(), 'ctc-loading-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const preload = pathToFileURL(join(REPO, 'test', 'helpers', 'record-loads.mjs')).href;

let runs = 0;
/** Runs the CLI; returns its result and the files it loaded. */
function loadsOf(args: string[]): { code: number; stderr: string; files: string[] } {
  const log = join(dir, `loads-${++runs}.txt`);
  const r = runCli(args, { env: { NODE_OPTIONS: `--import ${preload}`, CTCONNECT_LOAD_LOG: log } });
  return { code: r.code, stderr: r.stderr, files: existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [] };
}

/** Which of HEAVY the files belong to, sorted. */
function heavyIn(files: string[]): string[] {
  return HEAVY.filter((name) => files.some((f) => f.includes(`${sep}node_modules${sep}${name}${sep}`))).sort();
}

describe('module loading', () => {
  it('--help loads none of the heavy libraries, and runs the bundle', () => {
    const r = loadsOf(['--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.files).toContain(join(REPO, 'dist', 'cli', 'main.cjs'));
    expect(heavyIn(r.files)).toEqual([]);
  });

  it('generate --all (tar.gz) and validate load none of them', () => {
    const generate = loadsOf(['-q', 'generate', '--all', '--out', join(dir, 'out')]);
    expect(generate.code, generate.stderr).toBe(0);
    expect(existsSync(join(dir, 'out', 'splunk.tar.gz'))).toBe(true);
    expect(heavyIn(generate.files)).toEqual([]);
    const validate = loadsOf(['-q', 'validate']);
    expect(validate.code, validate.stderr).toBe(0);
    expect(heavyIn(validate.files)).toEqual([]);
  });

  it("verify loads no SSH or database library (its password prompt is not deploy's)", () => {
    const verify = loadsOf(['verify', '--help']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(heavyIn(verify.files).filter((n) => n === 'ssh2' || n === 'mysql2')).toEqual([]);
  });

  // The same check seeing each kind of load: an import, a require, a library loaded on demand.
  it('sees a library where a command does use it', () => {
    const zip = loadsOf(['-q', 'generate', 'kuma', '--archive', 'zip', '--out', join(dir, 'zip')]);
    expect(zip.code, zip.stderr).toBe(0);
    expect(heavyIn(zip.files)).toEqual(['archiver']);

    // A user error is reported through the redaction, which uses diff.
    const missing = loadsOf(['validate', join(dir, 'no-such-site.yaml')]);
    expect(missing.code).toBe(1);
    expect(heavyIn(missing.files)).toEqual(['diff']);

    const deploy = loadsOf(['deploy', '--help']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(heavyIn(deploy.files)).toContain('ssh2');
  });
});
