/**
 * The real FortiSIEM bundle (its only installable part: the CyberTrace settings patch plus the
 * service restart) deployed through the CLI command to several sshd instances, one target broken.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { register } from '../../src/cli/deploy.js';
import { fortisiem } from '../../connectors/fortisiem/index.js';
import { patchFeedServiceConfig } from '../../src/cybertrace/patch.js';
import { deployBundle, type DeployOptions } from '../../src/deploy/deploy.js';
import { buildBundle } from '../../src/bundle/build.js';
import { createRenderer } from '../../src/render/engine.js';
import { registry } from '../../connectors/registry.js';
import type { Site } from '../../src/model/site.js';
import { makeKeyPair, startSshd, type KeyPair, type SshServer } from '../helpers/sshd.js';
import { freePort } from '../helpers/net.js';
import { siteWith } from './fixtures.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../cybertrace/fixtures/kl_feed_service.conf');

let work: string;
let installDir: string;
let clientKey: KeyPair;
let servers: SshServer[] = [];
let knownHosts: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ctc-fleet-'));
  installDir = join(work, 'ktfs');
  // The service's control script, as the bundle's restart step calls it: records who restarted.
  mkdirSync(join(installDir, 'etc/init.d'), { recursive: true });
  writeFileSync(join(installDir, 'etc/init.d/kl_feed_service'), `#!/bin/sh\necho "$1 \${CTCONNECT_ROOT:-/}" >> ${installDir}/restarts.log\n`);
  chmodSync(join(installDir, 'etc/init.d/kl_feed_service'), 0o755);
  clientKey = makeKeyPair(work, 'client');
  servers = await Promise.all([0, 1, 2].map(() => startSshd({ authorizedKeys: [clientKey.publicKeyLine] })));
  knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, servers.map((s) => s.knownHostsLine).join('\n') + '\n');
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(work, { recursive: true, force: true });
});

const restarts = (): string[] => {
  const log = join(installDir, 'restarts.log');
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
};

function seedConfig(root: string): string {
  const path = join(root, installDir.slice(1), 'etc/kl_feed_service.conf');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, readFileSync(FIXTURE));
  return path;
}

async function deploy(site: Site, siem: string, opts: DeployOptions) {
  return deployBundle(await buildBundle(registry.get(siem), site, createRenderer()), site, opts);
}

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  register(program, registry);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const before = process.exitCode;
  try {
    await program.parseAsync(['deploy', ...args], { from: 'user' });
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = before;
  }
}

describe('fortisiem bundle to a fleet', () => {
  it('three hosts deployed in parallel, one unreachable: others changed, table, exit 1; second run no change', async () => {
    const stages = servers.map(() => mkdtempSync(join(work, 'stage-')));
    const configs = stages.map(seedConfig);
    const deadPort = await freePort();
    const site = {
      name: 'fleet-test',
      cybertrace: { address: '192.0.2.10', install_dir: installDir },
      siems: { fortisiem: { address: '192.0.2.30' } },
      targets: [
        ...servers.map((s, i) => ({
          name: `ct${i + 1}`,
          host: '127.0.0.1',
          port: s.port,
          user: 'root',
          roles: ['cybertrace'],
          identity_file: clientKey.privateKeyFile,
          known_hosts: knownHosts,
          root_prefix: stages[i],
        })),
        {
          name: 'dead',
          host: '127.0.0.1',
          port: deadPort,
          user: 'root',
          roles: ['cybertrace'],
          identity_file: clientKey.privateKeyFile,
          known_hosts: knownHosts,
        },
      ],
    };
    const siteFile = join(work, 'site.yaml');
    writeFileSync(siteFile, stringify(site));

    const first = await runCli(['fortisiem', '--config', siteFile, '--concurrency', '2']);
    expect(first.code).toBe(1);
    // Deploy records in the file which SIEM and site it now serves.
    const settings = { ...fortisiem.cybertrace(siteWith([], { install_dir: installDir })), serves: { siem: 'fortisiem', site: 'fleet-test' } };
    const expected = patchFeedServiceConfig(readFileSync(FIXTURE, 'utf8'), settings).text;
    expect(expected).not.toBe(readFileSync(FIXTURE, 'utf8'));
    for (const c of configs) expect(readFileSync(c, 'utf8')).toBe(expected);
    expect(restarts().sort()).toEqual(stages.map((s) => `restart ${s}`).sort());
    // Summary table: one row per target.
    expect(first.stdout).toMatch(/│ ct1\s+│ root@127\.0\.0\.1:\d+\s+│ changed\s+│ 1\/1\s+│ cybertrace\/restart\s+│/);
    expect(first.stdout).toMatch(
      new RegExp(`│ dead\\s+│ root@127\\.0\\.0\\.1:${deadPort}\\s+│ failed\\s+│ 0/1\\s+│ -\\s+│ root@127\\.0\\.0\\.1:${deadPort}: connection`),
    );
    expect(first.stdout).toContain('0 ok, 3 changed, 1 failed');
    // Live progress, one line per event, prefixed with the target.
    expect(first.stderr).toMatch(/^\[ct2\] connecting$/m);
    expect(first.stderr).toMatch(/^\[dead\] failed: root@127\.0\.0\.1:\d+: connection refused/m);

    const second = await runCli(['fortisiem', '--config', siteFile, '--target', 'ct1,ct2', '--target', 'ct3', '--json']);
    expect(second.code).toBe(0);
    const json = JSON.parse(second.stdout) as {
      summary: Record<string, number>;
      hosts: Array<{ status: string; files: Array<{ status: string }>; steps: Array<{ status: string }> }>;
    };
    expect(json.summary).toEqual({ ok: 3, changed: 0, failed: 0, notRestored: 0 });
    expect(json.hosts.flatMap((h) => h.files.map((f) => f.status))).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(json.hosts.flatMap((h) => h.steps.map((s) => s.status))).toEqual(['not-needed', 'not-needed', 'not-needed']);
    expect(restarts()).toHaveLength(3);
  });

  it('without root_prefix, on the real path; --check --diff shows the settings change; a missing config is a clear error', async () => {
    const s = servers[0];
    const config = join(installDir, 'etc/kl_feed_service.conf');
    writeFileSync(config, readFileSync(FIXTURE));
    const site = siteWith([{ name: 'ct', port: s.port, identity_file: clientKey.privateKeyFile, known_hosts: knownHosts }], { install_dir: installDir });
    const check = await deploy(site, 'fortisiem', { secrets: { env: {} }, check: true, diff: true });
    const f = check.hosts[0].files[0];
    expect(f.status).toBe('would-change');
    expect(f.diff).toContain('-        <ConnectionString>0.0.0.0:9999</ConnectionString>');
    expect(f.diff).toContain('+        <ConnectionString>192.0.2.10:9999</ConnectionString>');
    expect(readFileSync(config)).toEqual(readFileSync(FIXTURE));

    const before = restarts().length;
    const r = await deploy(site, 'fortisiem', { secrets: { env: {} } });
    expect(r.exitCode).toBe(0);
    expect(restarts().slice(before)).toEqual(['restart /']);
    rmSync(config);
    const missing = await deploy(site, 'fortisiem', { secrets: { env: {} } });
    expect(missing.hosts[0].error!.message).toBe(
      `${config}: the file does not exist on the target: install CyberTrace first, or check cybertrace.install_dir in the site file`,
    );
  });
});
