/**
 * Every temporary file of a test run goes below one folder, removed when the run ends: tests and
 * the processes they start (the CLI, sshd, rsyslogd, MariaDB) find it through TMPDIR. A run that
 * was killed leaves its folder; the next run removes the folders of runs that are gone.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive } from './helpers/test-users.js';

const PREFIX = 'ctconnect-tests-';

export default function setup(): () => void {
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    const pid = name.startsWith(PREFIX) ? Number(name.slice(PREFIX.length)) : NaN;
    if (Number.isInteger(pid) && !alive(pid)) rmSync(join(base, name), { recursive: true, force: true });
  }
  const dir = join(base, `${PREFIX}${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // Like /tmp itself: the throw-away users of the sudo tests write here too.
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  const started = Date.now();
  return () => {
    rmSync(dir, { recursive: true, force: true });
    // The deploy locks of this run's targets (root's lock folder; each staging root has its own), and those
    // an older version left in /tmp; not one that a process (another test run's deploy) holds open now.
    const open = openFiles();
    for (const [dir, name] of [
      ['/tmp', /^ctconnect-deploy-[0-9a-f]+\.lock$/],
      ['/run/ctconnect', /^deploy-[0-9a-f]+\.(lock|run)$/],
    ] as const) {
      for (const n of existsSync(dir) ? readdirSync(dir) : []) {
        if (!name.test(n)) continue;
        const file = join(dir, n);
        if (open.has(file.replace(/\.run$/, '.lock'))) continue;
        if ((lstatSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) >= started) rmSync(file, { force: true });
      }
    }
  };
}

/** Every file some process has open now. */
function openFiles(): Set<string> {
  const out = new Set<string>();
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) out.add(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}
