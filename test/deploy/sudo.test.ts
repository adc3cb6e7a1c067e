/**
 * sudo on a real sshd with real local users: NOPASSWD, a password on stdin (never on the command
 * line, never reaching the command), and the clear errors when sudo wants what it was not given.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BundleFile, InstallStep } from '../../src/model/bundle.js';
import { deployBundle } from '../../src/deploy/deploy.js';
import { makeKeyPair, startSshd, type KeyPair, type SshServer } from '../helpers/sshd.js';
import { createSudoUser, leftoverTestUsers, removeLeftoverTestUsers, type TestUser } from '../helpers/test-users.js';
import { bundleOf, siteWith, type TargetInput } from './fixtures.js';

let work: string;
let clientKey: KeyPair;
let server: SshServer;
let knownHosts: string;
let np: TestUser;
let pw: TestUser;
let PASSWORD: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ctc-sudo-'));
  // The staging roots below are root's; the login users can reach them only through sudo.
  chmodSync(work, 0o755);
  clientKey = makeKeyPair(work, 'client');
  chmodSync(clientKey.privateKeyFile, 0o600);
  server = await startSshd({ authorizedKeys: [clientKey.publicKeyLine] });
  knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
  removeLeftoverTestUsers();
  np = createSudoUser('nopasswd');
  // Characters a shell or sudo would mangle if the password ever went through a command line.
  pw = createSudoUser('password', 'S3cret pass \'"$x');
  PASSWORD = pw.password;
});

afterAll(async () => {
  await server?.stop();
  np?.remove();
  pw?.remove();
  rmSync(work, { recursive: true, force: true });
});

const file: BundleFile = {
  path: 'x/app.conf',
  content: 'a=1\n',
  mode: 0o644,
  install: { role: 'cybertrace', path: '/etc/ctc/app.conf', mode: 0o600, owner: 'root:root', validate: 'test -s {file}', notify: ['import'] },
};
const input: BundleFile = { path: 'x/input.sql', content: 'SELECT 1;\n', mode: 0o644 };
const importStep: InstallStep = {
  id: 'import',
  role: 'cybertrace',
  description: 'read stdin as root',
  command: 'cat > "$CTCONNECT_ROOT/stdin-seen" && id -u > "$CTCONNECT_ROOT/uid"',
  timeoutSec: 30,
  when: 'changed',
  stdinFromFile: 'x/input.sql',
};

function deployAs(extra: Partial<TargetInput>, env: NodeJS.ProcessEnv = {}) {
  const stage = mkdtempSync(join(work, 'stage-'));
  const t: TargetInput = { name: 'ct1', port: server.port, identity_file: clientKey.privateKeyFile, known_hosts: knownHosts, root_prefix: stage, ...extra };
  return { stage, result: deployBundle(bundleOf([file, input], [importStep]), siteWith([t]), { secrets: { env } }) };
}

describe('sudo', () => {
  it('sudo -n: files land as root in a folder the login user cannot write', async () => {
    const { stage, result } = deployAs({ user: np.name, sudo: 'nopasswd' });
    const r = await result;
    expect(r.hosts[0].error).toBeUndefined();
    expect(r.hosts[0].status).toBe('changed');
    const p = join(stage, 'etc/ctc/app.conf');
    expect(readFileSync(p, 'utf8')).toBe('a=1\n');
    const st = statSync(p);
    expect([st.uid, st.mode & 0o7777]).toEqual([0, 0o600]);
    expect(readFileSync(join(stage, 'stdin-seen'), 'utf8')).toBe('SELECT 1;\n');
    expect(readFileSync(join(stage, 'uid'), 'utf8').trim()).toBe('0');
    expect(readdirSync(join(stage, 'etc/ctc'))).toEqual(['app.conf']);
  });

  it('without sudo the same user cannot write there (so the test above really went through sudo)', async () => {
    const { stage, result } = deployAs({ user: np.name, sudo: 'none' });
    const r = await result;
    expect(r.hosts[0].status).toBe('failed');
    expect(r.hosts[0].error!.details.join('\n')).toMatch(/Permission denied/);
    expect(readdirSync(stage)).toEqual([]);
  });

  it('sudo -S: the password goes on stdin and never reaches the command', async () => {
    const { stage, result } = deployAs({ user: pw.name, sudo: 'password', sudo_password_env: 'CTC_TEST_SUDO_PW' }, { CTC_TEST_SUDO_PW: PASSWORD });
    const r = await result;
    expect(r.hosts[0].error).toBeUndefined();
    expect(readFileSync(join(stage, 'etc/ctc/app.conf'), 'utf8')).toBe('a=1\n');
    // Exactly the bundle file: no password line in front of it.
    expect(readFileSync(join(stage, 'stdin-seen'), 'utf8')).toBe('SELECT 1;\n');
    expect(readFileSync(join(stage, 'uid'), 'utf8').trim()).toBe('0');
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
  });

  it('a target that needs a sudo password but is set to nopasswd gets a clear error, not a hang', async () => {
    const { stage, result } = deployAs({ user: pw.name, sudo: 'nopasswd' });
    const r = await result;
    expect(r.exitCode).toBe(1);
    expect(r.hosts[0].error!.message).toBe('sudo on ct1 needs a password, but the target says sudo: nopasswd');
    expect(r.hosts[0].error!.details[0]).toBe(`set sudo: password and sudo_password_env: <VARIABLE> for target ct1, or allow ${pw.name} NOPASSWD in sudoers`);
    expect(readdirSync(stage)).toEqual([]);
  });

  it('a wrong sudo password is refused', async () => {
    const { result } = deployAs({ user: pw.name, sudo: 'password', sudo_password_env: 'CTC_TEST_SUDO_PW' }, { CTC_TEST_SUDO_PW: 'wrong' });
    const r = await result;
    expect(r.hosts[0].error!.message).toBe(`sudo on ct1 refused the password from environment variable CTC_TEST_SUDO_PW, or ${pw.name} may not use sudo`);
  });

  it('a sudo password that is not in the environment, with no terminal to ask, fails before connecting', async () => {
    const { result } = deployAs({ user: pw.name, sudo: 'password', sudo_password_env: 'CTC_TEST_UNSET' });
    const r = await result;
    expect(r.hosts[0].error!.message).toBe(
      'sudo password needed for ct1 but none given: environment variable CTC_TEST_UNSET (named by targets.ct1.sudo_password_env) is not set, and stdin is not a terminal to ask',
    );
    expect(r.hosts[0].hostKey).toBeUndefined();
  });
});

describe('test users', () => {
  it('a killed run leaves users that the next run removes; users of live runs are kept', () => {
    // A process that has ended stands for a test run killed before its cleanup.
    const dead = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' }).pid;
    const name = `ctct${dead.toString(36)}x${'0a0b0c'}`;
    execFileSync('useradd', ['-M', '-s', '/bin/sh', name], { stdio: 'pipe' });
    writeFileSync(`/etc/sudoers.d/ctconnect-test-${name}`, `${name} ALL=(ALL:ALL) ALL\n`, { mode: 0o440 });
    try {
      expect(leftoverTestUsers()).toContain(name);
      expect(leftoverTestUsers()).not.toContain(np.name);
      expect(removeLeftoverTestUsers()).toContain(name);
      expect(spawnSync('id', [name]).status).not.toBe(0);
      expect(existsSync(`/etc/sudoers.d/ctconnect-test-${name}`)).toBe(false);
      expect(spawnSync('id', [np.name]).status).toBe(0);
    } finally {
      rmSync(`/etc/sudoers.d/ctconnect-test-${name}`, { force: true });
      spawnSync('userdel', [name]);
    }
  });
});
