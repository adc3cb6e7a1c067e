/** A well-behaved CLI: colour rules, completion scripts from the command definitions, --quiet/--verbose, tables that fit. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';
import { colorEnabled, fitColumns } from '../../src/cli/output.js';
import { connectorIds } from '../../connectors/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'ctc-behave-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const conf = join(dir, 'kl_feed_service.conf');
writeFileSync(conf, readFileSync(join(REPO, 'test', 'cybertrace', 'fixtures', 'kl_feed_service.conf')));
const ESC = '\u001b[';

describe('colour', () => {
  it('follows NO_COLOR, then FORCE_COLOR, then whether the stream is a terminal', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });

  it('colours unified diffs only when asked', () => {
    const args = ['cybertrace', 'patch', '--siem', 'fortisiem', '--in', conf, '--check', '--diff'];
    const plain = runCli(args, { env: { FORCE_COLOR: undefined, NO_COLOR: undefined } });
    expect(plain.stdout).toContain('\n+        <ConnectionString>192.0.2.10:9999</ConnectionString>');
    expect(plain.stdout).not.toContain(ESC);
    const forced = runCli(args, { env: { FORCE_COLOR: '1', NO_COLOR: undefined } });
    expect(forced.stdout).toContain(`${ESC}32m+        <ConnectionString>192.0.2.10:9999</ConnectionString>`);
    expect(forced.stdout).toContain(`${ESC}31m-        <ConnectionString>0.0.0.0:9999</ConnectionString>`);
    expect(runCli(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toContain(ESC);
  });
});

describe('shell completion', () => {
  it('prints bash, zsh and fish scripts and completes from the command definitions', () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = runCli(['completion', shell]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`# ${shell} completion for ctconnect`);
    }
    const commands = runCli(['complete', '--', '']).stdout;
    for (const c of ['generate', 'validate', 'deploy', 'verify', 'categories', 'cybertrace']) expect(commands).toMatch(new RegExp(`^${c}\\t`, 'm'));
    const options = runCli(['complete', '--', 'generate', '--']).stdout;
    for (const o of ['--config', '--force', '--archive', '--out']) expect(options).toMatch(new RegExp(`^${o}\\t`, 'm'));
    expect(runCli(['complete', '--', 'cybertrace', 'patch', '--']).stdout).toMatch(/^--switch-siem\t/m);
    // SIEM names, from the connector registry.
    expect(runCli(['complete', '--', 'verify', '']).stdout).toMatch(/^fortisiem\tFortiSIEM\nalienvault\t/m);
    expect(runCli(['complete', '--', 'cybertrace', 'patch', '--siem', 'sp']).stdout).toMatch(/^splunk\tSplunk$/m);
  });
});

describe('--quiet and --verbose', () => {
  it('--verbose says which site file was used; --quiet drops notices but keeps results', () => {
    const site = join(dir, 'site.yaml');
    expect(runCli(['init', site]).code).toBe(0);
    const verbose = runCli(['validate', '--verbose', '--config', site]);
    expect(verbose.stderr).toContain(`site file: ${site} (from --config)`);
    // The example site shows every registered SIEM on its one CyberTrace.
    const serves = verbose.stderr.split('\n').find((l) => l.includes('CyberTrace: cybertrace (192.0.2.10) serves '));
    for (const id of connectorIds()) expect(serves).toContain(id);
    const quiet = runCli(['validate', '-q'], { cwd: dir });
    expect(quiet.stdout).toContain('site.yaml: valid');
    // The warning about several SIEMs on one CyberTrace is something to act on: --quiet keeps it.
    const warning = quiet.stderr.split('\n').find((l) => l.startsWith('ctconnect: warning: site.yaml:11:3: cybertrace: '));
    expect(warning).toMatch(/ would all write the one OutputSettings/);
    for (const id of connectorIds()) expect(warning).toContain(id);
    expect(quiet.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('tables', () => {
  it('fit the terminal width, never below a readable minimum', () => {
    const widths = [34, 18, 10, 24, 40];
    expect(fitColumns(widths, 8, undefined)).toEqual(widths);
    expect(fitColumns(widths, 8, 200)).toEqual(widths);
    const narrow = fitColumns(widths, 8, 80);
    expect(narrow.reduce((a, b) => a + b, 0) + widths.length + 1).toBeLessThanOrEqual(80);
    expect(Math.min(...fitColumns(widths, 8, 30))).toBe(8);
  });
});
