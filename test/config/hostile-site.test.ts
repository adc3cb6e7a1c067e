/**
 * Hostile site files, through the CLI as a user runs it: paths that climb out with "..", bytes that
 * are not UTF-8, invisible characters in titles, a recursive alias, oversized and pathological
 * files. Each is a user error (exit 1) naming the field and file:line:col, and nothing is written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { runCli, REPO } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'ctc-hostile-site-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const EXAMPLE = readFileSync(join(REPO, 'examples', 'site.yaml'), 'utf8');

/** The example site with `value` at `path`; returns the file and the line the value is on. */
function siteWith(name: string, path: Array<string | number>, value: unknown): { file: string; line: number } {
  const doc = parseDocument(EXAMPLE);
  doc.setIn(path, value);
  const text = doc.toString({ lineWidth: 0 });
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, text);
  const node = parseDocument(text).getIn(path, true) as { range?: [number, number, number] };
  const line = text.slice(0, node.range![0]).split('\n').length;
  return { file, line };
}

describe('paths that climb out with ".."', () => {
  const cases: Array<[string, Array<string | number>, string]> = [
    ['splunk_home', ['siems', 'splunk', 'splunk_home'], '/opt/splunk/../../etc'],
    ['log_file', ['siems', 'alienvault', 'log_file'], '/var/log/../../etc/cron.d/x'],
    ['forward_copy_file', ['siems', 'alienvault', 'forward_copy_file'], '/var/log/..'],
    ['install_dir', ['cybertrace', 'install_dir'], '/opt/kaspersky/../../etc'],
    ['root_prefix', ['targets'], '/srv/../etc'],
  ];
  it.each(cases)('%s is refused with field and position, exit 1', (field, path, value) => {
    const target = { name: 't1', host: '192.0.2.10', user: 'deploy', roles: ['cybertrace'], root_prefix: value };
    const { file, line } = field === 'root_prefix' ? siteWith(field, path, [target]) : siteWith(field, path, value);
    const r = runCli(['validate', '-c', file]);
    expect(r.code, r.stderr).toBe(1);
    const where = field === 'root_prefix' ? 'targets[0].root_prefix' : path.join('.');
    expect(r.stderr).toMatch(
      new RegExp(`${field}\\.yaml:${field === 'root_prefix' ? '\\d+' : line}:\\d+: ${where.replace(/[.[\]]/g, '\\$&')}: must be .*without "\\.\\." segments`),
    );
  });

  it('a ".." inside a name is not a segment and stays allowed', () => {
    const { file } = siteWith('dots', ['siems', 'alienvault', 'log_file'], '/var/log/ct..log');
    expect(runCli(['validate', '-c', file]).code).toBe(0);
  });
});

describe('a site file that is not UTF-8', () => {
  it('is refused as a whole with the position of the first bad byte, and categories add leaves its bytes as they were', () => {
    const doc = parseDocument(EXAMPLE);
    doc.setIn(['categories', 'custom'], [{ name: 'Latin', title: 'Caf\u00e9 feed' }]);
    const utf8 = doc.toString({ lineWidth: 0 });
    const bytes = Buffer.from(utf8, 'latin1');
    const file = join(work, 'latin1.yaml');
    writeFileSync(file, bytes);
    const line = utf8.split('\n').findIndex((l) => l.includes('Caf')) + 1;
    const col = utf8.split('\n')[line - 1].indexOf('\u00e9') + 1;
    for (const args of [
      ['validate', '-c', file],
      ['categories', 'add', 'Another_Feed', '--title', 'Another', '--config', file],
      ['generate', 'splunk', '-c', file, '-o', join(work, 'out')],
    ]) {
      const r = runCli(args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`latin1.yaml:${line}:${col}: byte 0xE9`);
      expect(r.stderr).toContain('not UTF-8');
      expect(readFileSync(file).equals(bytes)).toBe(true);
    }
  });
});

describe('invisible characters in titles', () => {
  const chars = ['\u202e', '\u2066', '\u200b', '\u200d', '\ufeff', '\u061c'];
  it.each(chars.map((c) => [`U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`, c]))(
    '%s is refused in the site file and by categories add/rename',
    (code, ch) => {
      const { file, line } = siteWith('invisible', ['categories', 'custom'], [{ name: 'Feed_A', title: `Evil${ch}txt.exe` }]);
      const r = runCli(['validate', '-c', file]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`invisible\\.yaml:${line + 1}:\\d+: categories\\.custom\\[0\\]\\.title: must be .*without bidirectional-control or zero-width characters`),
      );

      const clean = siteWith('clean', ['categories', 'custom'], [{ name: 'Feed_A', title: 'Feed A' }]).file;
      const before = readFileSync(clean);
      for (const args of [
        ['categories', 'add', 'Feed_B', '--title', `B${ch}x`, '--config', clean],
        ['categories', 'rename', 'Feed_A', `A${ch}x`, '--config', clean],
      ]) {
        const e = runCli(args);
        expect(e.code, `${args[1]}: ${e.stderr}`).toBe(1);
        expect(e.stderr).toContain(`invisible character (${code}`);
        expect(readFileSync(clean).equals(before)).toBe(true);
      }
    },
  );
});

describe('unbounded input', () => {
  it('a recursive alias is a user error with its position', () => {
    for (const [text, pos] of [
      ['r: &r [*r]\n', '1:8'],
      ['cybertrace: &c\n  address: 192.0.2.10\n  x: {a: *c}\n', '3:10'],
    ] as const) {
      const file = join(work, 'alias.yaml');
      writeFileSync(file, text);
      const r = runCli(['validate', '-c', file]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`alias.yaml:${pos}: YAML: the alias`);
      expect(r.stderr).not.toMatch(/internal error/);
    }
  });

  it('40,000 unknown keys in a 0.4 MB file: every one found, the first 200 listed, in seconds', () => {
    const lines = ['cybertrace:', '  address: 192.0.2.10'];
    for (let i = 0; i < 40_000; i++) lines.push(`k${i}: 1`);
    const file = join(work, 'keys.yaml');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const started = Date.now();
    const r = runCli(['validate', '-c', file]);
    const seconds = (Date.now() - started) / 1000;
    expect(r.code, r.stderr.slice(0, 500)).toBe(1);
    expect(r.stderr).toContain('40000 problems in the site file');
    expect(r.stderr).toContain('keys.yaml:3:1: k0: unknown key "k0"');
    expect(r.stderr).toContain('… and 39800 more');
    expect(r.stderr.split('\n').length).toBeLessThan(210);
    // Quadratic work took minutes here; a generous bound for a loaded machine.
    expect(seconds).toBeLessThan(60);
  }, 120_000);

  it('a map with a duplicate key among 40,000 is found in one pass', () => {
    const lines = ['cybertrace:', '  address: 192.0.2.10', 'targets:', '  - name: t', '    host: 127.0.0.1', '    user: root', '    roles: [cybertrace]'];
    for (let i = 0; i < 40_000; i++) lines.push(`    k${i}: 1`);
    lines.push('    k7: 2');
    const file = join(work, 'dup.yaml');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const started = Date.now();
    const r = runCli(['validate', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`dup.yaml:${lines.length}:5: YAML: Map keys must be unique ("k7" is given twice)`);
    expect((Date.now() - started) / 1000).toBeLessThan(60);
  }, 120_000);

  it('a site file larger than the bound is refused before it is parsed', () => {
    const file = join(work, 'huge.yaml');
    writeFileSync(file, Buffer.alloc(33 * 1024 * 1024, '#'));
    const r = runCli(['validate', '-c', file]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/huge\.yaml: the site file is 33\.0 MiB; a site file may have at most 32 MiB/);
  });
});
