/** Host-key checks: against a real sshd (unknown, accept-new, changed, hashed, pinned) and the known_hosts matching rules. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BundleFile, InstallStep } from '../../src/model/bundle.js';
import { deployBundle } from '../../src/deploy/deploy.js';
import { fingerprintOf, hostKeyAlgorithmOrder, parseKnownHosts, patternsMatch, verifyAgainstKnownHosts } from '../../src/deploy/host-keys.js';
import { makeKeyPair, startSshd, type KeyPair, type SshServer } from '../helpers/sshd.js';
import { bundleOf, siteWith, snapshot, type TargetInput } from './fixtures.js';

let work: string;
let clientKey: KeyPair;
let server: SshServer;
let stage: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ctc-hostkeys-'));
  stage = mkdtempSync(join(work, 'stage-'));
  clientKey = makeKeyPair(work, 'client');
  server = await startSshd({ authorizedKeys: [clientKey.publicKeyLine] });
});

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

const file: BundleFile = { path: 'x/app.conf', content: 'a=1\n', mode: 0o644, install: { role: 'cybertrace', path: '/etc/app.conf', mode: 0o644 } };
const steps: InstallStep[] = [];

function deployWith(extra: Partial<TargetInput>, check = false) {
  const t: TargetInput = { name: 'ct1', port: server.port, identity_file: clientKey.privateKeyFile, root_prefix: stage, ...extra };
  return deployBundle(bundleOf([file], steps), siteWith([t]), { secrets: { env: {} }, check });
}

function knownHostsFile(name: string, text: string): string {
  const p = join(work, name);
  writeFileSync(p, text);
  return p;
}

describe('host keys against a real sshd', () => {
  it('refuses an unknown host key and writes nothing', async () => {
    const kh = knownHostsFile('kh-empty', '# nothing known yet\n');
    const before = snapshot(stage);
    const r = await deployWith({ known_hosts: kh });
    const h = r.hosts[0];
    expect(r.exitCode).toBe(1);
    expect(h.error!.message).toBe(`host key of [127.0.0.1]:${server.port} is unknown: refusing to connect`);
    expect(h.error!.details[0]).toBe(`the host offered: ssh-ed25519 ${fingerprintOf(server.hostKey.blob)}`);
    expect(readFileSync(kh, 'utf8')).toBe('# nothing known yet\n');
    expect(snapshot(stage)).toEqual(before);
  });

  it('accept-new: --check uses the key without recording it; a real run records it and later runs match it', async () => {
    const kh = join(work, 'sub', 'known_hosts_new');
    const checked = await deployWith({ known_hosts: kh, accept_new_host_key: true }, true);
    expect(checked.hosts[0].error).toBeUndefined();
    expect(checked.hosts[0].hostKey).toContain('new key accepted for this check only');
    expect(existsSync(kh)).toBe(false);

    const r = await deployWith({ known_hosts: kh, accept_new_host_key: true });
    expect(r.hosts[0].status).toBe('changed');
    expect(readFileSync(kh, 'utf8')).toBe(`${server.knownHostsLine}\n`);
    const again = await deployWith({ known_hosts: kh });
    expect(again.hosts[0].error).toBeUndefined();
    expect(again.hosts[0].hostKey).toBe(`ssh-ed25519 ${fingerprintOf(server.hostKey.blob)} (${kh}:1)`);
  });

  it('refuses a changed host key, even with accept-new, and shows both fingerprints', async () => {
    const impostor = makeKeyPair(work, 'old-host-key');
    const kh = knownHostsFile('kh-changed', `[127.0.0.1]:${server.port} ${impostor.publicKeyLine.split(' ').slice(0, 2).join(' ')}\n`);
    const r = await deployWith({ known_hosts: kh, accept_new_host_key: true });
    const h = r.hosts[0];
    expect(h.status).toBe('failed');
    expect(h.error!.message).toBe(
      `host key of [127.0.0.1]:${server.port} has CHANGED: refusing to connect (this may be an attack, or the host was reinstalled)`,
    );
    expect(h.error!.details.slice(0, 2)).toEqual([
      `the host offered:  ssh-ed25519 ${fingerprintOf(server.hostKey.blob)}`,
      `expected (${kh}:1): ssh-ed25519 ${fingerprintOf(impostor.blob)}`,
    ]);
    expect(readFileSync(kh, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('matches hashed known_hosts entries written by ssh-keygen -H', async () => {
    const kh = knownHostsFile('kh-hashed', `${server.knownHostsLine}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'pipe' });
    expect(readFileSync(kh, 'utf8')).toMatch(/^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
    const r = await deployWith({ known_hosts: kh });
    expect(r.hosts[0].error).toBeUndefined();
  });

  it('checks a pinned SHA256 fingerprint', async () => {
    const kh = knownHostsFile('kh-unused', '');
    const ok = await deployWith({ known_hosts: kh, host_key_sha256: fingerprintOf(server.hostKey.blob) });
    expect(ok.hosts[0].error).toBeUndefined();
    const wrong = fingerprintOf(makeKeyPair(work, 'pin-other').blob);
    const bad = await deployWith({ known_hosts: kh, host_key_sha256: wrong });
    expect(bad.hosts[0].error!.message).toContain('has CHANGED');
    expect(bad.hosts[0].error!.details.slice(0, 2)).toEqual([
      `the host offered:  ssh-ed25519 ${fingerprintOf(server.hostKey.blob)}`,
      `expected (targets.ct1.host_key_sha256): ${wrong}`,
    ]);
  });
});

describe('known_hosts matching', () => {
  const key = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5LXRlc3RrZXktdGVzdGtleS10ZXN0aw==', 'base64');
  const other = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIG90aGVya2V5LW90aGVya2V5LW90aGVya2V5LW90aA==', 'base64');

  it('uses [host]:port except on port 22, with wildcards and negation', () => {
    expect(patternsMatch('10.0.0.5', '10.0.0.5', 22)).toBe(true);
    expect(patternsMatch('10.0.0.5', '10.0.0.5', 2222)).toBe(false);
    expect(patternsMatch('[10.0.0.5]:2222', '10.0.0.5', 2222)).toBe(true);
    expect(patternsMatch('siem,10.0.*', '10.0.0.9', 22)).toBe(true);
    expect(patternsMatch('10.0.*,!10.0.0.9', '10.0.0.9', 22)).toBe(false);
    expect(patternsMatch('ct?.example.com', 'ct1.example.com', 22)).toBe(true);
  });

  it('a key of another type on record counts as changed; @revoked refuses', () => {
    const entries = parseKnownHosts(`ct1 ssh-rsa ${other.toString('base64')}\n@revoked * ssh-ed25519 ${key.toString('base64')}\n`);
    expect(verifyAgainstKnownHosts(entries, 'ct1', 22, other, 'kh')).toEqual({ status: 'match', how: 'kh:1' });
    expect(verifyAgainstKnownHosts(entries, 'ct1', 22, key, 'kh')).toEqual({ status: 'revoked', where: 'kh:2' });
    const third = Buffer.from(key);
    third[third.length - 1] ^= 1;
    expect(verifyAgainstKnownHosts(entries, 'ct1', 22, third, 'kh').status).toBe('changed');
    expect(verifyAgainstKnownHosts(entries, 'ct2', 22, third, 'kh').status).toBe('unknown');
  });

  it('offers the host-key types on record first', () => {
    expect(hostKeyAlgorithmOrder(['ssh-rsa']).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithmOrder([])[0]).toBe('ssh-ed25519');
  });
});
