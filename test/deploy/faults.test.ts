/**
 * Deploys that meet faults, against a real sshd behind a proxy on 127.0.0.1 that cuts the
 * connection at chosen moments: during an upload, during a remote command, with the host gone
 * for good. The target tree is compared byte for byte, with mode and owner, against the state
 * before. Also: the per-host lock, and folders that are symbolic links.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleFile, InstallStep } from '../../src/model/bundle.js';
import { deployBundle, type DeployOptions } from '../../src/deploy/deploy.js';
import type { CutProxy } from '../helpers/cut-proxy.js';
import { createSudoUser, removeLeftoverTestUsers, type TestUser } from '../helpers/test-users.js';
import { bundleOf, siteWith, startProxiedHost, type ProxiedHost, type TargetInput } from './fixtures.js';

let proxy: CutProxy;
let stage: string;
let lab: ProxiedHost;
let sudoer: TestUser;
let pwSudoer: TestUser;

beforeAll(async () => {
  removeLeftoverTestUsers();
  sudoer = createSudoUser('nopasswd');
  pwSudoer = createSudoUser('password');
  lab = await startProxiedHost('ctc-faults-');
  ({ proxy } = lab);
});

afterAll(async () => {
  sudoer?.remove();
  pwSudoer?.remove();
  await lab?.close();
});

beforeEach(() => {
  stage = lab.newStage();
});

const target = (extra: Partial<TargetInput> = {}): TargetInput => lab.target(stage, extra);

const file = (name: string, content: string | Buffer, extra: Partial<NonNullable<BundleFile['install']>> = {}): BundleFile => ({
  path: `testsiem/${name}`,
  content,
  mode: 0o644,
  install: { role: 'cybertrace', path: `/etc/ctc-test/${name}`, mode: 0o640, notify: ['restart'], ...extra },
});
const restart: InstallStep = {
  id: 'restart',
  role: 'cybertrace',
  description: 'restart',
  command: 'echo restarted >> "$CTCONNECT_ROOT/restarts.log"',
  timeoutSec: 30,
  when: 'changed',
};
const BIG = Buffer.alloc(3 * 1024 * 1024, 'new bytes of a large file\n');

async function run(files: BundleFile[], steps: InstallStep[], opts: Partial<DeployOptions> = {}, t = target()) {
  return deployBundle(bundleOf(files, steps), siteWith([t]), { secrets: { env: {} }, ...opts });
}

/** Every path below the stage with type, mode, owner and bytes; this run's backups left out. */
function tree(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      const st = lstatSync(p);
      if (n.includes('.ctconnect-bak-')) continue;
      const head = `${st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file'} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      out[p.slice(stage.length)] = st.isFile() ? `${head} ${readFileSync(p).toString('base64').slice(0, 64)}…${st.size}` : head;
      if (st.isDirectory()) walk(p);
    }
  };
  walk(stage);
  return out;
}

/** A host with two existing files: a small one (mode 0640, owner daemon:root) and a large one. */
function seed(): void {
  mkdirSync(join(stage, 'etc/ctc-test'), { recursive: true });
  writeFileSync(join(stage, 'etc/ctc-test/a.conf'), 'old a\n', { mode: 0o640 });
  chownSync(join(stage, 'etc/ctc-test/a.conf'), 1, 0);
  writeFileSync(join(stage, 'etc/ctc-test/big.bin'), 'old big\n', { mode: 0o600 });
}

const temps = () => Object.keys(tree()).filter((p) => p.includes('.ctconnect-tmp-'));

describe('connection lost', () => {
  it('during an upload: the files of this run are put back over a new connection, temp files removed, exit 1', async () => {
    seed();
    const before = tree();
    const accepted = proxy.accepted;
    const r = await run([file('a.conf', 'new a\n'), file('big.bin', BIG)], [restart], {
      progress: (_t, m) => {
        if (m.includes('big.bin: backed up')) proxy.cutAfter(512 * 1024);
      },
    });
    const h = r.hosts[0];
    expect(r.exitCode).toBe(1);
    expect(h.status).toBe('failed');
    expect(h.error!.message).toMatch(/connection lost/);
    expect(h.rollback!.restored).toEqual([join(stage, 'etc/ctc-test/a.conf')]);
    expect(h.rollback!.notRestored).toEqual([]);
    expect(h.rollback!.tempRemoved).toHaveLength(1);
    expect(h.files.map((f) => f.status)).toEqual(['rolled-back', 'failed']);
    expect(h.steps.map((s) => s.status)).toEqual(['not-reached']);
    expect(proxy.accepted - accepted).toBe(2);
    expect(tree()).toEqual(before);
  });

  it.each([
    ["sudo -n: the bytes go on the command's stdin, nothing is staged", 'nopasswd' as const],
    ['sudo -S: the bytes are staged first, and the staging folder is removed', 'password' as const],
  ])('with %s; cut during the upload: put back over a new connection', async (_what, sudo) => {
    seed();
    const before = tree();
    const user = sudo === 'nopasswd' ? { user: sudoer.name, sudo } : { user: pwSudoer.name, sudo, sudo_password_env: 'CTC_TEST_SUDO_PW' };
    const r = await run(
      [file('a.conf', 'new a\n'), file('big.bin', BIG)],
      [restart],
      {
        secrets: { env: { CTC_TEST_SUDO_PW: pwSudoer.password } },
        progress: (_t, m) => {
          if (m.includes('big.bin: uploading')) proxy.cutAfter(512 * 1024);
        },
      },
      target(user),
    );
    const h = r.hosts[0];
    expect(r.exitCode).toBe(1);
    expect(h.error!.message).toMatch(/connection lost/);
    expect(h.rollback!.restored).toEqual([join(stage, 'etc/ctc-test/a.conf')]);
    const removed = (h.notes ?? []).map((n) => /removed the staging folder of the lost connection: (\/tmp\/ctconnect\.\S+)$/.exec(n)?.[1]).filter(Boolean);
    expect(removed).toHaveLength(sudo === 'password' ? 1 : 0);
    for (const d of removed) expect(existsSync(d!)).toBe(false);
    expect(tree()).toEqual(before);
  });

  it("silently (the host does not notice): the reconnect ends our own dead session's lock holder and rolls back", async () => {
    seed();
    const before = tree();
    const r = await run(
      [file('a.conf', 'new a\n'), file('big.bin', BIG)],
      [restart],
      {
        progress: (_t, m) => {
          if (m.includes('big.bin: backed up')) proxy.cutAfter(512 * 1024, { silent: true });
        },
      },
      target({ lock_wait_sec: 3 }),
    );
    const h = r.hosts[0];
    expect(r.exitCode).toBe(1);
    expect(h.rollback!.restored).toEqual([join(stage, 'etc/ctc-test/a.conf')]);
    expect(h.rollback!.notRestored).toEqual([]);
    expect(tree()).toEqual(before);
  });

  it('during a remote command: reported as a lost connection, not as a failed validation; target as before', async () => {
    seed();
    const before = tree();
    const r = await run([file('a.conf', 'new a\n'), file('big.bin', 'small now\n', { validate: 'sleep 1; true {file}' })], [restart], {
      progress: (_t, m) => {
        if (m.includes('big.bin: validating')) proxy.cutAfter(0);
      },
    });
    const h = r.hosts[0];
    expect(r.exitCode).toBe(1);
    expect(h.error!.message).toMatch(/connection lost/);
    expect(h.error!.message).not.toMatch(/validation failed|not touched/);
    expect(h.rollback!.restored).toEqual([join(stage, 'etc/ctc-test/a.conf')]);
    expect(tree()).toEqual(before);
  });

  it('for good: exit 3, the report names what was NOT restored and where the old file is; the next deploy removes the leftovers', async () => {
    seed();
    const r = await run([file('a.conf', 'new a\n'), file('big.bin', BIG)], [restart], {
      progress: (_t, m) => {
        if (m.includes('big.bin: backed up')) {
          proxy.refuse(true);
          proxy.cutAfter(512 * 1024);
        }
      },
    });
    const h = r.hosts[0];
    expect(r.exitCode).toBe(3);
    const a = join(stage, 'etc/ctc-test/a.conf');
    expect(h.rollback!.notRestored.map((n) => n.path)).toContain(a);
    expect(h.rollback!.notRestored.find((n) => n.path === a)!.error).toMatch(/reconnecting failed.*the old file is in .*a\.conf\.ctconnect-bak-/);
    expect(h.files[0].error).toMatch(/NOT RESTORED/);
    expect(temps()).toHaveLength(1);

    proxy.refuse(false);
    const again = await run([file('a.conf', 'new a\n'), file('big.bin', BIG)], [restart]);
    const h2 = again.hosts[0];
    expect(again.exitCode).toBe(0);
    expect(h2.files[1].leftoversRemoved).toHaveLength(1);
    expect(h2.files[1].leftoversRemoved![0]).toMatch(/\/\.big\.bin\.ctconnect-tmp-[0-9a-f]+$/);
    expect(temps()).toEqual([]);
    expect(readFileSync(join(stage, 'etc/ctc-test/big.bin')).equals(BIG)).toBe(true);
  });
});

describe('the deploy lock', () => {
  it('a second deploy to the same host waits for the first, or refuses clearly after lock_wait_sec', async () => {
    const slow: InstallStep = { ...restart, command: 'sleep 3; echo first >> "$CTCONNECT_ROOT/order.log"' };
    const second: InstallStep = { ...restart, command: 'echo second >> "$CTCONNECT_ROOT/order.log"' };
    let stepStarted!: () => void;
    const started = new Promise<void>((res) => (stepStarted = res));
    const first = run([file('a.conf', 'one\n')], [slow], { progress: (_t, m) => m.startsWith('step ') && stepStarted() });
    await started;
    const refused = await run([file('b.conf', 'two\n')], [restart], {}, target({ lock_wait_sec: 1 }));
    expect(refused.exitCode).toBe(1);
    expect(refused.hosts[0].error!.message).toMatch(/another ctconnect deploy to ct1 is running/);
    expect(refused.hosts[0].error!.details.join('\n')).toMatch(/lock_wait_sec/);
    const waited = await run([file('b.conf', 'two\n')], [second], {}, target({ lock_wait_sec: 30 }));
    expect(waited.exitCode).toBe(0);
    expect((await first).exitCode).toBe(0);
    // The waiting run's step came after the first run's step had finished.
    expect(readFileSync(join(stage, 'order.log'), 'utf8')).toBe('first\nsecond\n');
  });
});

describe('symbolic links in the install path', () => {
  it('a folder that is a link is refused unless the target sets follow_symlinked_dirs', async () => {
    mkdirSync(join(stage, 'elsewhere'), { recursive: true });
    mkdirSync(join(stage, 'etc'), { recursive: true });
    symlinkSync(join(stage, 'elsewhere'), join(stage, 'etc/ctc-test'));
    const r = await run([file('a.conf', 'x\n')], [restart]);
    expect(r.exitCode).toBe(1);
    expect(r.hosts[0].error!.message).toMatch(/etc\/ctc-test is a symbolic link; refusing to write through it/);
    expect(readdirSync(join(stage, 'elsewhere'))).toEqual([]);
    const ok = await run([file('a.conf', 'x\n')], [restart], {}, target({ follow_symlinked_dirs: true }));
    expect(ok.exitCode).toBe(0);
    expect(readFileSync(join(stage, 'elsewhere/a.conf'), 'utf8')).toBe('x\n');
  });
});
