/**
 * Throw-away local users for the sudo tests, each with a password and an /etc/sudoers.d rule.
 *
 * Names are unique per run and carry the creating process id (`ctct<pid>x<random>`), so two test
 * runs at once never share a user, and a run that was killed (no afterAll, no exit hook) leaves
 * users that the next run recognises and removes: `removeLeftoverTestUsers()` deletes every such
 * user whose process is gone. Passwords are random per run. An exit hook removes this run's users
 * even when a test crashes before afterAll.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface TestUser {
  name: string;
  password: string;
  remove(): void;
}

const SUDOERS_DIR = '/etc/sudoers.d';
const SUDOERS_PREFIX = 'ctconnect-test-';
/** ctct + creating pid in base 36 + x + random hex: at most 4 + 7 + 1 + 6 = 18 characters (Linux allows 32). */
const NAME = /^ctct([0-9a-z]{1,7})x[0-9a-f]{6}$/;

const mine = new Set<TestUser>();
let hookInstalled = false;

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeUser(name: string): void {
  rmSync(`${SUDOERS_DIR}/${SUDOERS_PREFIX}${name}`, { force: true });
  try {
    execFileSync('userdel', ['-r', name], { stdio: 'pipe' });
  } catch {
    /* already gone */
  }
}

/** Users and sudoers files of earlier runs whose process no longer exists. */
export function leftoverTestUsers(): string[] {
  const users = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':')[0])
    .filter((n) => NAME.test(n));
  const sudoers = readdirSync(SUDOERS_DIR)
    .filter((f) => f.startsWith(SUDOERS_PREFIX))
    .map((f) => f.slice(SUDOERS_PREFIX.length))
    .filter((n) => NAME.test(n));
  return [...new Set([...users, ...sudoers])].filter((n) => !alive(parseInt(NAME.exec(n)![1], 36)));
}

export function removeLeftoverTestUsers(): string[] {
  const gone = leftoverTestUsers();
  for (const n of gone) removeUser(n);
  return gone;
}

/** A new user with a fresh name; `passwordPrefix` lets a test plant characters that need quoting. */
export function createSudoUser(rule: 'nopasswd' | 'password' | 'none', passwordPrefix = ''): TestUser {
  if (!hookInstalled) {
    hookInstalled = true;
    process.on('exit', () => {
      for (const u of mine) u.remove();
    });
  }
  const name = `ctct${process.pid.toString(36)}x${randomBytes(3).toString('hex')}`;
  const password = `${passwordPrefix}${randomBytes(9).toString('base64url')}`;
  const user: TestUser = {
    name,
    password,
    remove: () => {
      removeUser(name);
      mine.delete(user);
    },
  };
  mine.add(user);
  execFileSync('useradd', ['-m', '-s', '/bin/sh', name], { stdio: 'pipe' });
  // A locked account (no password) may not log in over SSH even with a key when PAM is off.
  execFileSync('chpasswd', [], { input: `${name}:${password}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
  if (rule !== 'none') {
    const sudoers = `${SUDOERS_DIR}/${SUDOERS_PREFIX}${name}`;
    writeFileSync(sudoers, `${name} ALL=(ALL:ALL) ${rule === 'nopasswd' ? 'NOPASSWD: ' : ''}ALL\n`, { mode: 0o440 });
    execFileSync('visudo', ['-c', '-f', sudoers], { stdio: 'pipe' });
  }
  return user;
}
