/**
 * Commands as people mistype them: no site file, output paths that cannot be written, options
 * before the command, a SIEM id in capitals, a category one letter off. Each gets a user error
 * (exit 1) that names the path or the value and says what to do, and nothing is written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/net.js';
import { summariseBody } from '../../src/verify/http-lookup.js';
import { pathProblem } from '../../src/kernel/files.js';

const dir = mkdtempSync(join(tmpdir(), 'ctc-mistakes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIXTURE = join(REPO, 'test', 'cybertrace', 'fixtures', 'kl_feed_service.conf');
let n = 0;
const fresh = (): string => {
  const d = join(dir, `case-${++n}`);
  mkdirSync(d);
  return d;
};
const userError = (r: { code: number; stderr: string }) => {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).not.toMatch(/\b(EISDIR|ENOENT|ENOTDIR|EEXIST):/);
};

describe('no site file', () => {
  it('cybertrace patch refuses to write the built-in example addresses into a real kl_feed_service.conf', () => {
    const cwd = fresh();
    const conf = join(cwd, 'kl_feed_service.conf');
    writeFileSync(conf, readFileSync(FIXTURE));
    for (const extra of [[], ['--out', join(cwd, 'new.conf')], ['--out', '-']]) {
      const r = runCli(['cybertrace', 'patch', '--siem', 'splunk', '--in', conf, ...extra], { cwd });
      userError(r);
      expect(r.stderr).toContain('give --config FILE');
      expect(r.stderr).toContain('no --config, no $CTCONNECT_CONFIG and no ./site.yaml');
      expect(r.stdout).toBe('');
    }
    expect(readFileSync(conf)).toEqual(readFileSync(FIXTURE));
    expect(readdirSync(cwd)).toEqual(['kl_feed_service.conf']);
    // A check writes nothing, so it may show the example.
    expect(runCli(['cybertrace', 'patch', '--siem', 'splunk', '--in', conf, '--check'], { cwd }).code).toBe(0);
    // With a site file found in the working folder, it patches.
    expect(runCli(['init'], { cwd }).code).toBe(0);
    expect(runCli(['cybertrace', 'patch', '--siem', 'splunk', '--in', conf, '--no-backup'], { cwd }).code).toBe(0);
    expect(readFileSync(conf)).not.toEqual(readFileSync(FIXTURE));
  });

  it('generate from the built-in example refuses a folder holding files it did not write, and fills an empty or its own one', () => {
    const cwd = fresh();
    mkdirSync(join(cwd, 'work'));
    writeFileSync(join(cwd, 'work', 'notes.txt'), 'mine');
    const r = runCli(['generate', 'splunk', '-o', 'work'], { cwd });
    userError(r);
    expect(r.stderr).toContain('--out work: holds files ctconnect did not write (notes.txt), and this run would fill it from the built-in example site');
    expect(readdirSync(join(cwd, 'work'))).toEqual(['notes.txt']);
    expect(runCli(['generate', 'splunk', '-o', 'out'], { cwd }).code).toBe(0);
    // Its own earlier output is no obstacle.
    expect(runCli(['generate', 'splunk', 'kuma', '-o', 'out'], { cwd }).code).toBe(0);
    // With a site file, the folder is the user's choice.
    expect(runCli(['generate', 'splunk', '-o', 'work', '-c', join(REPO, 'examples', 'site.yaml')], { cwd }).code).toBe(0);
  });
});

describe('output paths that cannot be written', () => {
  it('generate, export, init and patch name the path and what to do, exit 1, and write nothing', () => {
    const cwd = fresh();
    writeFileSync(join(cwd, 'afile'), 'x');
    writeFileSync(join(cwd, 'k.conf'), readFileSync(FIXTURE));
    mkdirSync(join(cwd, 'adir'));
    const site = join(REPO, 'examples', 'site.yaml');
    const cases: Array<[string[], string]> = [
      [['generate', 'splunk', '-o', 'afile/x'], '--out afile/x: cannot write: '],
      [['generate', 'splunk', '-o', 'afile'], '--out afile: cannot write: afile is a file, not a folder'],
      [['generate', 'splunk', '-o', '/dev/null/x'], '--out /dev/null/x: cannot write: /dev/null is a file, not a folder'],
      [['export', 'ansible', 'splunk', '-o', 'afile/x'], 'is a file, not a folder: choose a path under a folder'],
      [['init', 'afile/site.yaml'], 'init afile/site.yaml: cannot write: afile is a file, not a folder'],
      [['cybertrace', 'patch', '-c', site, '--siem', 'splunk', '--in', 'k.conf', '--out', 'adir'], '--out adir: cannot write: adir is a folder: name a file'],
      [
        ['cybertrace', 'patch', '-c', site, '--siem', 'splunk', '--in', 'k.conf', '--out', 'nodir/x.conf'],
        '--out nodir/x.conf: cannot write: the folder nodir does not exist',
      ],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args, { cwd });
      userError(r);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
    expect(readdirSync(cwd).sort()).toEqual(['adir', 'afile', 'k.conf']);
    expect(readdirSync(join(cwd, 'adir'))).toEqual([]);
  });

  it('refuses /proc and /sys before creating anything (a recursive mkdir there never ends)', () => {
    for (const out of ['/proc/ctconnect-test/out', '/sys/ctconnect-test', '/proc']) {
      const r = runCli(['generate', 'splunk', '-o', out]);
      userError(r);
      expect(r.stderr).toMatch(/cannot write: \/(proc|sys) is a kernel file system/);
    }
    expect(existsSync('/proc/ctconnect-test')).toBe(false);
  });

  it('says what no permission, a read-only file system or a full disk mean', () => {
    const e = (code: string) => Object.assign(new Error(code), { code });
    expect(pathProblem('--out o', 'o/x', e('EACCES'))?.message).toBe(
      '--out o: cannot write: no permission to write o/x: choose a folder you may write, or run as a user who may',
    );
    expect(pathProblem('--out o', 'o', e('EROFS'))?.message).toContain('o is on a read-only file system');
    expect(pathProblem('--out o', 'o', e('ENOSPC'))?.message).toContain('no space left on the device of o');
    expect(pathProblem('--out o', 'o', e('EIO'))).toBeUndefined();
  });
});

describe('options and names as people write them', () => {
  it('global options before the command work as after it', () => {
    const cwd = fresh();
    expect(runCli(['init', 'mine.yaml'], { cwd }).code).toBe(0);
    const before = runCli(['-c', 'mine.yaml', 'validate'], { cwd });
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toBe(runCli(['validate', '-c', 'mine.yaml'], { cwd }).stdout);
    const gen = runCli(['--config', 'mine.yaml', '-q', 'generate', 'kuma', '-o', 'o'], { cwd });
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stdout).toContain('site: mine.yaml');
    expect(runCli(['-c', 'mine.yaml', 'list'], { cwd }).code).toBe(0);
  });

  it('SIEM ids are case-insensitive; an unknown one gets "did you mean"', () => {
    const ok = runCli(['simulate', 'Splunk', '--print', '--count', '1']);
    expect(ok.code, ok.stderr).toBe(0);
    const typo = runCli(['generate', 'splnuk']);
    userError(typo);
    expect(typo.stderr).toContain('unknown SIEM "splnuk"; did you mean "splunk"? known:');
    const far = runCli(['generate', 'qwertyuiop']);
    expect(far.stderr).not.toContain('did you mean');
  });

  it('categories add: a near-miss of a Kaspersky category asks for --custom or names the Kaspersky one', () => {
    const cwd = fresh();
    expect(runCli(['init'], { cwd }).code).toBe(0);
    const site = readFileSync(join(cwd, 'site.yaml'), 'utf8');
    const typo = runCli(['categories', 'add', 'KL_Ransomware_URLL'], { cwd });
    userError(typo);
    expect(typo.stderr).toContain('category "KL_Ransomware_URLL" is not a Kaspersky category; did you mean "KL_Ransomware_URL"?');
    expect(typo.stderr).toContain('or add --custom');
    const prefix = runCli(['categories', 'add', 'KL_My_Own_Feed'], { cwd });
    userError(prefix);
    expect(prefix.stderr).toContain('add --custom');
    expect(readFileSync(join(cwd, 'site.yaml'), 'utf8')).toBe(site);
    expect(runCli(['categories', 'add', 'KL_Ransomware_URLL', '--custom', '--no-backup'], { cwd }).code).toBe(0);
    expect(readFileSync(join(cwd, 'site.yaml'), 'utf8')).toContain('KL_Ransomware_URLL');
    expect(runCli(['categories', 'add', 'Partner_Feed', '--no-backup'], { cwd }).code).toBe(0);
  });

  it('deploy --target NAME SIEM, --target a,b and repeated --target select those targets', async () => {
    const cwd = fresh();
    const port = await freePort();
    const target = (name: string) =>
      `  - { name: ${name}, host: 127.0.0.1, port: ${port}, user: root, roles: [cybertrace], identity_file: ./none, connect_timeout_sec: 5 }`;
    writeFileSync(
      join(cwd, 'site.yaml'),
      `name: t\ncybertrace: { address: 192.0.2.10 }\nsiems: { fortisiem: { address: 192.0.2.30 } }\ntargets:\n${['a', 'b', 'c'].map(target).join('\n')}\n`,
    );
    const hosts = (args: string[]) => {
      const r = runCli(['deploy', ...args, '--check', '--json'], { cwd });
      expect(r.stderr).not.toContain('missing required argument');
      return (JSON.parse(r.stdout) as { hosts: Array<{ target: string }> }).hosts.map((h) => h.target).sort();
    };
    expect(hosts(['--target', 'a', 'fortisiem'])).toEqual(['a']);
    expect(hosts(['-t', 'a,c', 'fortisiem'])).toEqual(['a', 'c']);
    expect(hosts(['fortisiem', '--target', 'b', '--target', 'c'])).toEqual(['b', 'c']);
  });
});

describe('generate and simulate do what the words say', () => {
  it('generate removes the archive it wrote earlier for a bundle when the archive format or the scheme changes', () => {
    const cwd = fresh();
    expect(runCli(['init'], { cwd }).code).toBe(0);
    expect(runCli(['generate', 'splunk', 'kuma', '-o', 'out'], { cwd }).code).toBe(0);
    expect(readdirSync(join(cwd, 'out')).sort()).toEqual(['kuma', 'kuma.tar.gz', 'splunk', 'splunk.tar.gz']);
    const zip = runCli(['generate', 'splunk', '-o', 'out', '--archive', 'zip'], { cwd });
    expect(zip.stdout).toContain(`removed the earlier run's ${join('out', 'splunk.tar.gz')}`);
    expect(readdirSync(join(cwd, 'out')).sort()).toEqual(['kuma', 'kuma.tar.gz', 'splunk', 'splunk.zip']);
    // The distributed Splunk app, then the single-instance one without an archive: no stale archive beside it.
    const text = readFileSync(join(cwd, 'site.yaml'), 'utf8');
    writeFileSync(join(cwd, 'site.yaml'), text.replace(/^(\s+)scheme: \w+/m, '$1scheme: distributed'));
    expect(runCli(['generate', 'splunk', '-o', 'out'], { cwd }).code).toBe(0);
    expect(readdirSync(join(cwd, 'out')).sort()).toEqual(['kuma', 'kuma.tar.gz', 'splunk', 'splunk.tar.gz']);
    writeFileSync(join(cwd, 'site.yaml'), text.replace(/^(\s+)scheme: \w+/m, '$1scheme: single'));
    expect(runCli(['generate', 'splunk', '-o', 'out', '--archive', 'none'], { cwd }).code).toBe(0);
    expect(readdirSync(join(cwd, 'out')).sort()).toEqual(['kuma', 'kuma.tar.gz', 'splunk']);
    // An archive without its bundle folder may be someone else's: left alone.
    writeFileSync(join(cwd, 'out', 'arcsight.zip'), 'not ours');
    expect(runCli(['generate', 'arcsight', '-o', 'out'], { cwd }).code).toBe(0);
    expect(readFileSync(join(cwd, 'out', 'arcsight.zip'), 'utf8')).toBe('not ours');
  });

  it('simulate --file sends each line once unless --count asks for more, and the help says so', () => {
    const cwd = fresh();
    writeFileSync(join(cwd, 'events.txt'), 'first event\nsecond event\n');
    expect(runCli(['simulate', 'fortisiem', '--file', 'events.txt', '--print'], { cwd }).stdout).toBe('first event\nsecond event\n');
    expect(runCli(['simulate', 'fortisiem', '--file', 'events.txt', '--print', '--count', '3'], { cwd }).stdout).toBe(
      'first event\nsecond event\nfirst event\n',
    );
    expect(runCli(['simulate', 'fortisiem', '--print']).stdout.trim().split('\n')).toHaveLength(10);
    expect(runCli(['simulate', '--help']).stdout.replace(/\s+/g, ' ')).toContain('with --file each line once');
  });
});

describe('credentials and connections', () => {
  it('verify --http refuses to send Basic credentials over plain HTTP unless --allow-plain-http', async () => {
    const cwd = fresh();
    const port = await freePort();
    writeFileSync(
      join(cwd, 'site.yaml'),
      'name: t\ncybertrace:\n  address: 127.0.0.1\n  http_api:\n    user_env: CT_API_USER\n    password_env: CT_API_PASSWORD\nsiems: { fortisiem: { address: 127.0.0.1 } }\n',
    );
    const env = { CT_API_USER: 'kuma', CT_API_PASSWORD: 'secret-pw' };
    const r = runCli(['verify', 'fortisiem', '--http', '--to', `http://127.0.0.1:${port}`], { cwd, env });
    userError(r);
    expect(r.stderr).toContain(`--to http://127.0.0.1:${port}: plain HTTP would show the CyberTrace API user and password`);
    expect(r.stderr).toContain('--allow-plain-http');
    // Allowed: it goes on to connect (and names where nothing listens).
    const allowed = runCli(['verify', 'fortisiem', '--http', '--to', `http://127.0.0.1:${port}`, '--allow-plain-http'], { cwd, env });
    expect(allowed.code).toBe(1);
    expect(allowed.stderr).toContain(`CyberTrace HTTP API at 127.0.0.1:${port}: connection refused`);
  });

  it('every "connection refused" names the host and the port, also when the URL leaves the port to its scheme', async () => {
    const port = await freePort();
    const tcp = runCli(['verify', 'fortisiem', '--to', `127.0.0.1:${port}`, '--timeout', '2']);
    expect(tcp.stderr).toContain(`127.0.0.1:${port}: connection refused`);
    const sim = runCli(['simulate', 'fortisiem', '--to', `127.0.0.1:${port}`, '--count', '1']);
    expect(sim.stderr).toContain(`127.0.0.1:${port}: connection refused`);
    const https = runCli(['verify', 'fortisiem', '--http', '--to', 'https://127.0.0.1', '--timeout', '2']);
    expect(https.code).toBe(1);
    expect(https.stderr).toContain('CyberTrace HTTP API at 127.0.0.1:443: ');
  });
});

describe('answers of a server', () => {
  it('an HTML error page is summarised by its status and title, not dumped', () => {
    const page =
      '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title><style>body{}</style></head><body><h1>Bad Gateway</h1>' + 'x'.repeat(5000) + '</body></html>';
    const s = summariseBody(page, 'Bad Gateway');
    expect(s).toContain('an HTML page titled "502 Bad Gateway" (Bad Gateway)');
    expect(s).not.toContain('<');
    expect(summariseBody('{"error":"Unauthorized user"}')).toBe(' CyberTrace said: {"error":"Unauthorized user"}');
  });
});
