/**
 * The per-host deploy lock under attack, against a real sshd on 127.0.0.1 (behind a proxy that cuts and
 * holds connections) and real users: the lock file no other user can hold or redirect, the stale holder
 * killed only when it is provably our own process, and a rollback that never undoes a later deploy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { BundleFile, InstallStep } from '../../src/model/bundle.js';
import { deployBundle, type DeployOptions } from '../../src/deploy/deploy.js';
import type { CutProxy } from '../helpers/cut-proxy.js';
import type { SshServer } from '../helpers/sshd.js';
import { alive, createSudoUser, removeLeftoverTestUsers, type TestUser } from '../helpers/test-users.js';
import { bundleOf, siteWith, startProxiedHost, type ProxiedHost, type TargetInput } from './fixtures.js';

let work: string;
let server: SshServer;
let proxy: CutProxy;
let stage: string;
let lab: ProxiedHost;
let other: TestUser;
const children: ChildProcess[] = [];

beforeAll(async () => {
  removeLeftoverTestUsers();
  other = createSudoUser('none');
  lab = await startProxiedHost('ctc-lock-');
  ({ work, server, proxy } = lab);
});

afterAll(async () => {
  for (const c of children) killGroup(c);
  other?.remove();
  await lab?.close();
});

beforeEach(() => {
  stage = lab.newStage();
});

const target = (extra: Partial<TargetInput> = {}): TargetInput => lab.target(stage, extra);

const file = (name: string, content: string | Buffer): BundleFile => ({
  path: `testsiem/${name}`,
  content,
  mode: 0o644,
  install: { role: 'cybertrace', path: `/etc/ctc-test/${name}`, mode: 0o640, notify: ['restart'] },
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

/** The name part of the host's lock for this stage (one lock per host and root_prefix). */
const lockKey = () => createHash('sha256').update(stage).digest('hex').slice(0, 12);
const oldLockPath = () => `/tmp/ctconnect-deploy-${lockKey()}.lock`;
const lockPath = () => `/run/ctconnect/deploy-${lockKey()}.lock`;

function seed(): void {
  mkdirSync(join(stage, 'etc/ctc-test'), { recursive: true });
  writeFileSync(join(stage, 'etc/ctc-test/a.conf'), 'old a\n', { mode: 0o640 });
  writeFileSync(join(stage, 'etc/ctc-test/big.bin'), 'old big\n', { mode: 0o600 });
}

const read = (name: string) => readFileSync(join(stage, 'etc/ctc-test', name), 'utf8');

/** A process of the other test user, started in its own process group (`killGroup` ends it all). */
function asOther(cmd: string, args: string[]): ChildProcess {
  const uid = Number(spawnSync('id', ['-u', other.name]).stdout.toString());
  const gid = Number(spawnSync('id', ['-g', other.name]).stdout.toString());
  // Its own process group, so that killing the group also ends what it started (flock's command).
  const c = spawn(cmd, args, { uid, gid, stdio: ['pipe', 'ignore', 'ignore'], cwd: '/', detached: true });
  children.push(c);
  return c;
}

/**
 * A `cat` of the other user with exactly this pid: the kernel hands out the pid after ns_last_pid next,
 * so a shell sets it and forks at once (tried again when another process took the pid first).
 */
async function foreignCatAt(pid: number): Promise<{ pid: number; kill: () => void }> {
  const uid = spawnSync('id', ['-u', other.name]).stdout.toString().trim();
  const gid = spawnSync('id', ['-g', other.name]).stdout.toString().trim();
  for (let i = 0; i < 50; i++) {
    const sh = spawn(
      'sh',
      [
        '-c',
        `exec 3<&0; echo ${pid - 1} > /proc/sys/kernel/ns_last_pid; setpriv --reuid=${uid} --regid=${gid} --clear-groups cat <&3 >/dev/null & echo $!; wait`,
      ],
      {
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    children.push(sh);
    const got = await new Promise<number>((res) => sh.stdout.once('data', (d: Buffer) => res(Number(d.toString().trim()))));
    const kill = () => {
      try {
        process.kill(got, 'SIGKILL');
      } catch {
        /* gone */
      }
      sh.kill('SIGKILL');
    };
    if (got === pid) return { pid, kill };
    kill();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`could not start a process with pid ${pid}`);
}

function killGroup(c: ChildProcess): void {
  try {
    process.kill(-c.pid!, 'SIGKILL');
  } catch {
    /* gone */
  }
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The pid of the remote process holding this stage's lock file open (the lock holder's `cat`). */
function lockHolderPid(): number | undefined {
  const key = lockKey();
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'cat') continue;
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        if (new RegExp(`ctconnect[-/]deploy-${key}\\.lock$`).test(readlinkSync(`/proc/${pid}/fd/${fd}`))) return Number(pid);
      }
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

describe('the lock file', () => {
  it('is private to the deploying user: folder 0700, file 0600, and no other user can open it', async () => {
    const r = await run([file('a.conf', 'x\n')], [restart]);
    expect(r.exitCode).toBe(0);
    const dir = lstatSync('/run/ctconnect');
    expect(dir.isDirectory()).toBe(true);
    expect([dir.uid, dir.mode & 0o7777]).toEqual([0, 0o700]);
    const f = lstatSync(lockPath());
    expect(f.isFile()).toBe(true);
    expect([f.uid, f.mode & 0o7777]).toEqual([0, 0o600]);
    const tried = spawnSync('runuser', ['-u', other.name, '--', 'flock', '-n', lockPath(), 'true'], { encoding: 'utf8' });
    expect(tried.status).not.toBe(0);
    expect(tried.stderr).toMatch(/Permission denied/);
  });

  it("another user's flock on the old /tmp lock name does not block a deploy", async () => {
    const holder = asOther('flock', [oldLockPath(), 'sleep', '120']);
    await until('the foreign flock', () => existsSync(oldLockPath()));
    try {
      const r = await run([file('a.conf', 'x\n')], [restart], {}, target({ lock_wait_sec: 1 }));
      expect(r.hosts[0].error?.message).toBeUndefined();
      expect(r.exitCode).toBe(0);
    } finally {
      killGroup(holder);
      rmSync(oldLockPath(), { force: true });
    }
  });

  it('a symbolic link planted at the lock name makes no file elsewhere: ignored in /tmp, refused in the lock folder', async () => {
    const victimDir = mkdtempSync(join(work, 'victim-'));
    const victim = join(victimDir, 'created-by-root');
    chmodSync(victimDir, 0o777);
    // Another user plants a link at the name the old versions used.
    expect(spawnSync('runuser', ['-u', other.name, '--', 'ln', '-s', victim, oldLockPath()]).status).toBe(0);
    try {
      const r = await run([file('a.conf', 'x\n')], [restart]);
      expect(r.exitCode).toBe(0);
      expect(existsSync(victim)).toBe(false);
    } finally {
      rmSync(oldLockPath(), { force: true });
    }
    // Only root can write in the lock folder; a link there is refused all the same.
    rmSync(lockPath(), { force: true });
    symlinkSync(victim, lockPath());
    try {
      const r = await run([file('a.conf', 'y\n')], [restart]);
      expect(r.exitCode).toBe(1);
      expect(r.hosts[0].error!.message).toMatch(/cannot take .*deploy-[0-9a-f]+\.lock on ct1/);
      expect(r.hosts[0].error!.details.join('\n')).toMatch(/a symbolic link\?\): refusing to use it/);
      expect(existsSync(victim)).toBe(false);
      expect(read('a.conf')).toBe('x\n');
    } finally {
      rmSync(lockPath(), { force: true });
    }
  });
});

describe('after a silent drop', () => {
  it("the reconnect does not kill another user's process that got the old lock holder's pid", async () => {
    seed();
    let foreign: { pid: number; kill: () => void } | undefined;
    let reused: Promise<void> | undefined;
    const r = await run(
      [file('a.conf', 'new a\n'), file('big.bin', BIG)],
      [restart],
      {
        progress: (_t, m) => {
          if (m.includes('big.bin: backed up')) {
            proxy.hold(true);
            proxy.cutAfter(512 * 1024, { silent: true });
          }
          if (m.startsWith('connection lost; reconnecting')) {
            reused = (async () => {
              // The old session's holder goes away, and a process of another user gets its pid.
              const pid = lockHolderPid()!;
              expect(pid).toBeGreaterThan(0);
              process.kill(pid, 'SIGKILL');
              await until('the old holder to end', () => !existsSync(`/proc/${pid}`));
              foreign = await foreignCatAt(pid);
              await until('the foreign cat to run', () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'cat');
              proxy.hold(false);
            })();
          }
        },
      },
      target({ lock_wait_sec: 5 }),
    );
    await reused;
    const h = r.hosts[0];
    expect(r.exitCode).toBe(1);
    expect(alive(foreign!.pid)).toBe(true);
    expect(statSync(`/proc/${foreign!.pid}`).uid).not.toBe(0);
    expect(h.rollback!.restored).toEqual([join(stage, 'etc/ctc-test/a.conf')]);
    expect(read('a.conf')).toBe('old a\n');
    foreign!.kill();
  });
});

describe('a rollback never undoes what it did not do', () => {
  it('run A is cut while run B waits for the lock; B finds the new files; A then leaves them as they are', async () => {
    seed();
    const slow: InstallStep = { ...restart, command: 'sleep 2; echo restarted >> "$CTCONNECT_ROOT/restarts.log"' };
    const files = [file('a.conf', 'new a\n'), file('big.bin', 'new big\n')];
    let b: ReturnType<typeof run> | undefined;
    const a = await run(files, [slow], {
      progress: (_t, m) => {
        if (m.startsWith('step ')) {
          // A loses its connection in the middle of its step; its reconnect waits at the proxy until B is done.
          proxy.hold(true);
          b = run(files, [slow], {}, target({ port: server.port, lock_wait_sec: 30 }));
          proxy.cutAfter(0);
          void b.then(
            () => proxy.hold(false),
            () => proxy.hold(false),
          );
        }
      },
    });
    const rb = await b!;
    expect(rb.exitCode).toBe(0);
    expect(rb.hosts[0].files.map((f) => f.status)).toEqual(['unchanged', 'unchanged']);
    expect(a.exitCode).toBe(1);
    const left = a.hosts[0].rollback!.left.map((l) => l.path);
    expect(left).toEqual([join(stage, 'etc/ctc-test/big.bin'), join(stage, 'etc/ctc-test/a.conf')]);
    expect(a.hosts[0].rollback!.left[0].reason).toMatch(/another deploy .* held the lock after the connection was lost/);
    expect(a.hosts[0].rollback!.restored).toEqual([]);
    expect(read('a.conf')).toBe('new a\n');
    expect(read('big.bin')).toBe('new big\n');
  });

  it('a file whose bytes changed since this run wrote it is left as it is', async () => {
    seed();
    const failing: InstallStep = { ...restart, command: 'echo edited > "$CTCONNECT_ROOT/etc/ctc-test/a.conf"; exit 1' };
    const r = await run([file('a.conf', 'new a\n'), file('big.bin', 'new big\n')], [failing]);
    expect(r.exitCode).toBe(1);
    const rb = r.hosts[0].rollback!;
    expect(rb.left).toEqual([{ path: join(stage, 'etc/ctc-test/a.conf'), reason: expect.stringMatching(/changed since this run wrote them/) }]);
    expect(rb.restored).toEqual([join(stage, 'etc/ctc-test/big.bin')]);
    expect(read('a.conf')).toBe('edited\n');
    expect(read('big.bin')).toBe('old big\n');
  });
});

describe('Ctrl-C while waiting for the lock', () => {
  it('gives up the wait at once and changes nothing', async () => {
    seed();
    const slow: InstallStep = { ...restart, command: 'sleep 4; echo restarted >> "$CTCONNECT_ROOT/restarts.log"' };
    let started!: () => void;
    const stepStarted = new Promise<void>((res) => (started = res));
    const first = run([file('a.conf', 'new a\n')], [slow], { progress: (_t, m) => m.startsWith('step ') && started() });
    await stepStarted;
    let stop = false;
    const t0 = Date.now();
    const waiting = run([file('big.bin', 'other\n')], [restart], { interrupted: () => stop }, target({ lock_wait_sec: 60 }));
    setTimeout(() => (stop = true), 1200);
    const r = await waiting;
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(r.hosts[0].error!.message).toMatch(/^interrupted while waiting for the deploy lock .* on ct1; nothing was changed$/);
    expect((await first).exitCode).toBe(0);
    expect(read('big.bin')).toBe('old big\n');
  });
});
