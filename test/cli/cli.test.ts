/** The CLI as a user meets it: help, exit codes (0 ok, 1 user error, 2 internal error) and messages. */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO, runCli } from '../helpers/cli.js';
import { registry } from '../../connectors/registry.js';

describe('ctconnect CLI', () => {
  it('shows help and version with exit 0', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['generate', 'validate', 'list', 'init', 'cybertrace']) expect(r.stdout).toContain(cmd);
    expect(runCli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 1 on usage errors and unknown SIEMs, saying it is a user error', () => {
    const unknown = runCli(['frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(unknown.stderr).toContain('exit 1: user error');
    expect(runCli(['generate', '--bogus']).stderr).toContain("unknown option '--bogus'");
    // A name no connector can take (ids are the site file's keys, which have no spaces).
    const r = runCli(['generate', 'not a siem', '--out', mkdtempSync(join(tmpdir(), 'ctc-'))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`unknown SIEM "not a siem"; known: ${registry.ids().join(', ')}`);
    expect(r.stderr).toContain('exit 1: user error');
    expect(runCli(['generate']).stderr).toContain('name at least one SIEM');
    expect(runCli(['generate', 'fortisiem', '--archive', 'rar']).stderr).toContain('--archive: must be tar.gz, zip or none');
  });

  it('exits 2 on an internal error and says so', () => {
    // A broken installation (a template missing) is not the user's fault.
    const copy = mkdtempSync(join(tmpdir(), 'ctc-broken-'));
    for (const d of ['bin', 'dist', 'templates', 'examples', 'package.json']) cpSync(join(REPO, d), join(copy, d), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'));
    rmSync(join(copy, 'templates', 'fortisiem', 'INSTALL.md.hbs'));
    const r = runCli(['generate', 'fortisiem', '--out', join(copy, 'out')], { cli: join(copy, 'bin', 'ctconnect.js'), cwd: copy });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('internal error');
    expect(r.stderr).toContain('exit 2: internal error');
    expect(existsSync(join(copy, 'out'))).toBe(false);
  });

  it('validates the built-in example and reports as JSON', () => {
    const r = runCli(['validate', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, source: 'built-in example site' });
    const dir = mkdtempSync(join(tmpdir(), 'ctc-v-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'cybertrace:\n  address: 10.0.0.5\n  input_prot: 1\n');
    const j = runCli(['validate', '--json', '--config', bad]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({
      valid: false,
      problems: [expect.stringContaining('bad.yaml:3:3: cybertrace.input_prot: unknown key "input_prot" (did you mean "input_port"?)')],
    });
  });

  it('lists connectors and bundle contents, also as JSON', () => {
    const r = runCli(['list', '--json']);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as { connectors: Array<{ id: string; files: Array<{ path: string }> }> }).connectors;
    const fsm = rows.find((x) => x.id === 'fortisiem')!;
    expect(fsm.files.map((f) => f.path)).toContain('fortisiem/forwarding-rule.md');
    expect(runCli(['list']).stdout).toContain('fortisiem — FortiSIEM');
  });

  it('init writes the commented example site, which validates, and never overwrites', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctc-init-'));
    const file = join(dir, 'site.yaml');
    expect(runCli(['init', file]).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# ctconnect site file');
    expect(parse(text).cybertrace.address).toBeDefined();
    expect(runCli(['validate', '--config', file]).code).toBe(0);
    const again = runCli(['init', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; not overwritten');
  });
});
