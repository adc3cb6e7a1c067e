/**
 * `ctconnect deploy` as a user runs it, interrupted with SIGINT, and staged with --skip-steps or a
 * target's `steps: skip`: the Splunk bundle to a real sshd on 127.0.0.1, confined below a staging
 * root, its restart step a recorder (`splunk_home` points at a folder whose bin/splunk only logs).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLI, runCli } from '../helpers/cli.js';
import { startKeyedHost, type KeyedHost } from './fixtures.js';

let stage: string;
let site: string;
let splunkHome: string;
let host: KeyedHost;

beforeAll(async () => {
  host = await startKeyedHost('ctc-interrupt-');
});

afterAll(async () => {
  await host?.close();
});

/** A fresh staging root and Splunk home; the recorder sleeps `sleepSec` before it logs. */
function setUp(sleepSec: number, targetExtra: Record<string, unknown> = {}): void {
  stage = mkdtempSync(join(host.work, 'stage-'));
  splunkHome = mkdtempSync(join(host.work, 'splunk-'));
  mkdirSync(join(splunkHome, 'bin'));
  writeFileSync(join(splunkHome, 'bin/splunk'), `#!/bin/sh\nsleep ${sleepSec}\necho "$*" >> ${splunkHome}/restarts.log\n`, { mode: 0o755 });
  site = join(stage, '..', `${stage.split('/').pop()}.yaml`);
  writeFileSync(
    site,
    stringify({
      name: 'interrupt-test',
      cybertrace: { address: '192.0.2.10' },
      siems: { splunk: { address: '192.0.2.40', splunk_home: splunkHome, owner: 'root:root' } },
      targets: [
        {
          name: 'sp1',
          host: '127.0.0.1',
          port: host.server.port,
          user: 'root',
          roles: ['splunk'],
          identity_file: host.clientKey.privateKeyFile,
          known_hosts: host.knownHosts,
          root_prefix: stage,
          ...targetExtra,
        },
      ],
    }),
  );
}

beforeEach(() => setUp(0));

const restarts = () => (existsSync(join(splunkHome, 'restarts.log')) ? readFileSync(join(splunkHome, 'restarts.log'), 'utf8') : '');
const installed = () => {
  const apps = join(stage, splunkHome, 'etc/apps');
  return existsSync(apps) ? readdirSync(apps, { recursive: true }).length : 0;
};

/** Runs `ctconnect deploy splunk` and sends SIGINT each time stderr first shows one of `at` (in order). */
function deployInterrupted(at: string[], extra: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, 'deploy', 'splunk', '-c', site, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CTCONNECT_CONFIG: undefined },
    });
    let stdout = '';
    let stderr = '';
    const pending = [...at];
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => {
      stderr += d;
      while (pending.length > 0 && stderr.includes(pending[0])) {
        pending.shift();
        p.kill('SIGINT');
      }
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('Ctrl-C during deploy', () => {
  it('while the files go in: the file in flight finishes, this run is put back, the report is printed, exit 130', async () => {
    const r = await deployInterrupted([': uploading']);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: finishing the file operation in flight, then stopping/);
    expect(r.stdout).toMatch(/FAILED: interrupted before .*; this run's files are put back/);
    expect(r.stdout).toMatch(/rollback:\n {4}removed \(was new\): /);
    expect(r.stdout).toMatch(/sp1 .*failed/);
    expect(installed()).toBe(0);
    expect(restarts()).toBe('');
  });

  it('while the step runs: the step finishes, the report is printed (--json: interrupted), exit 130', async () => {
    setUp(2);
    const r = await deployInterrupted(['step splunk/restart'], ['--json']);
    expect(r.code).toBe(130);
    const out = JSON.parse(r.stdout) as { interrupted?: boolean; hosts: Array<{ steps: Array<{ id: string; status: string }> }> };
    expect(out.interrupted).toBe(true);
    expect(out.hosts[0].steps).toEqual([expect.objectContaining({ id: 'splunk/restart', status: 'ran' })]);
    expect(restarts()).toBe('restart\n');
  });

  it('twice: ctconnect quits at once; the step not completed is pending, --check shows it, the next deploy runs it and says why', async () => {
    setUp(3);
    const r = await deployInterrupted(['step splunk/restart', 'SIGINT: finishing']);
    expect(r.code).toBe(130);
    expect(installed()).toBeGreaterThan(0);

    const check = runCli(['deploy', 'splunk', '-c', site, '--check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/step splunk\/restart: would-run \(pending since an earlier deploy changed .*\)/);
    expect(check.stdout).not.toMatch(/would-change/);

    setUp0KeepingStage();
    const again = runCli(['deploy', 'splunk', '-c', site]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/step splunk\/restart: ran \(pending since an earlier deploy changed .*\)/);
    expect(again.stderr).toMatch(/pending: an earlier deploy changed .* and did not complete it/);
    expect(restarts()).toMatch(/restart\n$/);

    const third = runCli(['deploy', 'splunk', '-c', site]);
    expect(third.stdout).toMatch(/step splunk\/restart: not needed/);
  });
});

/** The recorder answers at once from now on (the staging root and site stay). */
function setUp0KeepingStage(): void {
  writeFileSync(join(splunkHome, 'bin/splunk'), `#!/bin/sh\necho "$*" >> ${splunkHome}/restarts.log\n`, { mode: 0o755 });
}

describe('staged deploys', () => {
  it('--skip-steps: files only; the report lists the step and its command; validate and --check tell a steps: skip target', async () => {
    const r = runCli(['deploy', 'splunk', '-c', site, '--skip-steps']);
    expect(r.code).toBe(0);
    expect(installed()).toBeGreaterThan(0);
    expect(r.stdout).toContain(`step splunk/restart: skipped`);
    expect(r.stdout).toContain(`not run, pending on the host until a deploy runs steps: $ ${splunkHome}/bin/splunk restart`);
    expect(restarts()).toBe('');

    setUp(0, { steps: 'skip' });
    const v = runCli(['validate', '-c', site]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/deploy splunk → sp1: \d+ files; steps: none run \(steps: skip; files only, pending on the host: splunk\/restart\)/);
    const check = runCli(['deploy', 'splunk', '-c', site, '--check']);
    expect(check.stdout).toMatch(/step splunk\/restart: skipped \(because of /);
    const d = runCli(['deploy', 'splunk', '-c', site]);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/step splunk\/restart: skipped/);
    expect(restarts()).toBe('');
  });
});
