/**
 * The Ansible export honours a target's `steps: skip`: real ansible-playbook against a real sshd on
 * 127.0.0.1, two targets confined below their own staging roots, one of them staged. Both get the
 * files; only the other one runs the handler (a recorder below its root).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BundleFile, InstallStep } from '../../src/model/bundle.js';
import { ansibleExport } from '../../src/deploy/ansible.js';
import { bundleOf, siteWith, startKeyedHost, type KeyedHost } from './fixtures.js';

let host: KeyedHost;

beforeAll(async () => {
  host = await startKeyedHost('ctc-ansible-steps-');
});

afterAll(async () => {
  await host?.close();
});

describe('export ansible', () => {
  it('a target with steps: skip gets the files, and its handlers do not run', () => {
    const file: BundleFile = {
      path: 'testsiem/a.conf',
      content: 'a\n',
      mode: 0o644,
      install: { role: 'cybertrace', path: '/etc/ctc-test/a.conf', mode: 0o640, notify: ['restart'] },
    };
    const restart: InstallStep = {
      id: 'restart',
      role: 'cybertrace',
      description: 'restart',
      command: 'echo restarted >> "$CTCONNECT_ROOT/restarts.log"',
      timeoutSec: 30,
      when: 'changed',
    };
    const roots = { run: mkdtempSync(join(host.work, 'run-')), staged: mkdtempSync(join(host.work, 'staged-')) };
    const common = { port: host.server.port, identity_file: host.clientKey.privateKeyFile, known_hosts: host.knownHosts };
    const site = siteWith([
      { name: 'run1', root_prefix: roots.run, ...common },
      { name: 'staged1', root_prefix: roots.staged, steps: 'skip', ...common },
    ]);
    const dir = join(host.work, 'export');
    for (const f of ansibleExport([bundleOf([file], [restart])], site, { sitePath: join(host.work, 'site.yaml'), ctconnectCommand: ['ctconnect'] })) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
    }
    const tmp = join(host.work, 'ansible-tmp');
    const r = spawnSync('ansible-playbook', ['site.yml'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 300_000,
      env: {
        ...process.env,
        ANSIBLE_LOCAL_TEMP: join(tmp, 'local'),
        ANSIBLE_REMOTE_TEMP: join(tmp, 'remote'),
        ANSIBLE_SSH_CONTROL_PATH_DIR: join(tmp, 'cp'),
        ANSIBLE_NOCOLOR: '1',
      },
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    for (const root of Object.values(roots)) expect(readFileSync(join(root, 'etc/ctc-test/a.conf'), 'utf8')).toBe('a\n');
    expect(readFileSync(join(roots.run, 'restarts.log'), 'utf8')).toBe('restarted\n');
    expect(existsSync(join(roots.staged, 'restarts.log'))).toBe(false);
  });

  it("gives up a host that does not answer after the target's connect_timeout_sec, not Ansible's 10 s", async () => {
    // Accepts the connection and never sends SSH's banner: what a host behind a dead link looks like after the TCP handshake.
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const site = siteWith([{ name: 'silent1', port, connect_timeout_sec: 2, identity_file: host.clientKey.privateKeyFile, known_hosts: host.knownHosts }]);
      const dir = join(host.work, 'export-silent');
      for (const f of ansibleExport(
        [bundleOf([{ path: 'testsiem/b.conf', content: 'b\n', mode: 0o644, install: { role: 'cybertrace', path: '/etc/ctc-test/b.conf', mode: 0o640 } }], [])],
        site,
        {
          sitePath: join(host.work, 'site.yaml'),
          ctconnectCommand: ['ctconnect'],
        },
      )) {
        mkdirSync(dirname(join(dir, f.path)), { recursive: true });
        writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
      }
      expect(readFileSync(join(dir, 'inventory.yml'), 'utf8')).toContain('ansible_ssh_timeout: 2');
      const tmp = join(host.work, 'ansible-tmp-silent');
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('ansible-playbook', ['-vvv', 'site.yml'], {
          cwd: dir,
          env: { ...process.env, ANSIBLE_LOCAL_TEMP: join(tmp, 'local'), ANSIBLE_SSH_CONTROL_PATH_DIR: join(tmp, 'cp'), ANSIBLE_NOCOLOR: '1' },
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => resolve({ code, out }));
      });
      expect(r.code, r.out).not.toBe(0);
      expect(r.out).toMatch(/UNREACHABLE/);
      // The ssh Ansible ran was told the site's timeout, and gave up on it (during the banner exchange, which ConnectTimeout covers).
      expect(r.out).toContain('-o ConnectTimeout=2');
      expect(r.out).toMatch(/timed out during banner exchange|Connection timed out/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
