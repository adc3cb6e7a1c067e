/**
 * Steps that a changed file calls for and that did not complete — the connection lost for good while
 * one ran, the user interrupting, --skip-steps or a target's `steps: skip`, ctconnect killed — are
 * recorded on the host beside the file, and the next deploy runs them although no file changes,
 * saying why; `--check` shows them pending. Against a real sshd on 127.0.0.1 behind a cutting proxy.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BundleFile, InstallStep } from '../../src/model/bundle.js';
import { deployBundle, type DeployOptions } from '../../src/deploy/deploy.js';
import { hostDetails } from '../../src/deploy/report.js';
import type { CutProxy } from '../helpers/cut-proxy.js';
import { bundleOf, siteWith, startProxiedHost, type ProxiedHost, type TargetInput } from './fixtures.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');

let work: string;
let proxy: CutProxy;
let stage: string;
let lab: ProxiedHost;

beforeAll(async () => {
  lab = await startProxiedHost('ctc-pending-');
  ({ work, proxy } = lab);
});

afterAll(async () => {
  await lab?.close();
});

beforeEach(() => {
  stage = lab.newStage();
});

const target = (extra: Partial<TargetInput> = {}): TargetInput => lab.target(stage, extra);

const file = (name: string, content: string, notify = ['restart']): BundleFile => ({
  path: `testsiem/${name}`,
  content,
  mode: 0o644,
  install: { role: 'cybertrace', path: `/etc/ctc-test/${name}`, mode: 0o640, notify },
});
/** A step that writes its name to a log below the stage once it has done its work. */
const step = (id: string, command = ''): InstallStep => ({
  id,
  role: 'cybertrace',
  description: id,
  command: `${command}echo ${id} >> "$CTCONNECT_ROOT/steps.log"`,
  timeoutSec: 30,
  when: 'changed',
});

async function run(files: BundleFile[], steps: InstallStep[], opts: Partial<DeployOptions> = {}, t = target()) {
  return deployBundle(bundleOf(files, steps), siteWith([t]), { secrets: { env: {} }, ...opts });
}

const log = () => (existsSync(join(stage, 'steps.log')) ? readFileSync(join(stage, 'steps.log'), 'utf8') : '');
const read = (name: string) => readFileSync(join(stage, 'etc/ctc-test', name), 'utf8');
const records = () => (existsSync(join(stage, 'etc/ctc-test')) ? readdirSync(join(stage, 'etc/ctc-test')).filter((n) => n.endsWith('.ctconnect-pending')) : []);

/** The deploy after an unfinished one: the files are in place, the pending step runs, saying why; then nothing is pending. */
async function nextDeployRunsPending(files: BundleFile[], steps: InstallStep[], expected: Record<string, string>) {
  const check = await run(files, steps, { check: true });
  const ch = check.hosts[0];
  expect(ch.files.every((f) => f.status === 'unchanged')).toBe(true);
  expect(Object.fromEntries(ch.steps.map((s) => [s.id, s.status]))).toEqual(
    Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, v === 'ran' ? 'would-run' : v])),
  );
  expect(hostDetails(ch)).toMatch(/would-run \(pending since an earlier deploy changed .*a\.conf\)/);

  const progress: string[] = [];
  const again = await run(files, steps, { progress: (_t, m) => progress.push(m) });
  const h = again.hosts[0];
  expect(again.exitCode).toBe(0);
  expect(h.status).toBe('changed');
  expect(h.files.every((f) => f.status === 'unchanged')).toBe(true);
  expect(Object.fromEntries(h.steps.map((s) => [s.id, s.status]))).toEqual(expected);
  expect(progress.join('\n')).toMatch(/pending: an earlier deploy changed .*a\.conf and did not complete it/);
  expect(records()).toEqual([]);

  const third = await run(files, steps);
  expect(third.hosts[0].status).toBe('ok');
  expect(third.hosts[0].steps.every((s) => s.status === 'not-needed')).toBe(true);
}

describe('pending steps', () => {
  it('connection lost for good while a step runs: "may have run", not "failed"; the next deploy runs it', async () => {
    const files = [file('a.conf', 'new a\n')];
    const steps = [step('restart', 'sleep 1; ')];
    const r = await run(files, steps, {
      progress: (_t, m) => {
        if (m.startsWith('step cybertrace/restart')) {
          proxy.refuse(true);
          proxy.cutAfter(0);
        }
      },
    });
    const h = r.hosts[0];
    expect(h.steps.map((s) => s.status)).toEqual(['may-have-run']);
    expect(h.error!.message).toMatch(/step cybertrace\/restart may have run: .*connection lost/);
    expect(h.error!.message).not.toMatch(/failed/);
    expect(hostDetails(h)).toMatch(/step cybertrace\/restart: may-have-run .*\n.*it may have run; it stays pending/);
    expect(read('a.conf')).toBe('new a\n');
    expect(records()).toEqual(['.a.conf.ctconnect-pending']);

    proxy.refuse(false);
    await nextDeployRunsPending(files, steps, { 'cybertrace/restart': 'ran' });
  });

  it('interrupted while a step runs: that step finishes, the next one does not start and stays pending', async () => {
    const files = [file('a.conf', 'new a\n', ['restart', 'reload'])];
    const steps = [step('restart', 'sleep 1; '), step('reload')];
    let stop = false;
    const r = await run(files, steps, {
      interrupted: () => stop,
      progress: (_t, m) => {
        if (m.startsWith('step cybertrace/restart')) stop = true;
      },
    });
    const h = r.hosts[0];
    expect(h.status).toBe('failed');
    expect(h.error!.message).toBe('interrupted: steps not run: cybertrace/reload; they are recorded on the host and the next deploy runs them');
    expect(h.steps.map((s) => s.status)).toEqual(['ran', 'not-reached']);
    expect(h.rollback).toBeUndefined();
    expect(h.files.map((f) => f.status)).toEqual(['changed']);
    expect(log()).toBe('restart\n');
    expect(readFileSync(join(stage, 'etc/ctc-test/.a.conf.ctconnect-pending'), 'utf8')).toBe('cybertrace/reload\n');

    await nextDeployRunsPending(files, steps, { 'cybertrace/restart': 'not-needed', 'cybertrace/reload': 'ran' });
    expect(log()).toBe('restart\nreload\n');
  });

  it('interrupted while the files go in: the file in flight finishes, the rest is not started, this run is put back', async () => {
    mkdirSync(join(stage, 'etc/ctc-test'), { recursive: true });
    writeFileSync(join(stage, 'etc/ctc-test/a.conf'), 'old a\n');
    let stop = false;
    const r = await run([file('a.conf', 'new a\n'), file('b.conf', 'new b\n')], [step('restart')], {
      interrupted: () => stop,
      progress: (_t, m) => {
        if (m.includes('a.conf: uploading')) stop = true;
      },
    });
    const h = r.hosts[0];
    expect(h.error!.message).toMatch(/^interrupted before .*b\.conf; this run's files are put back/);
    expect(h.files.map((f) => f.status)).toEqual(['rolled-back', 'not-reached']);
    expect(h.steps.map((s) => s.status)).toEqual(['not-reached']);
    expect(read('a.conf')).toBe('old a\n');
    expect(existsSync(join(stage, 'etc/ctc-test/b.conf'))).toBe(false);
    expect(records()).toEqual([]);
    expect(log()).toBe('');
  });

  it('--skip-steps installs the files only and lists each step with its command; the next deploy runs them', async () => {
    const files = [file('a.conf', 'new a\n')];
    const steps = [step('restart')];
    const r = await run(files, steps, { skipSteps: true });
    const h = r.hosts[0];
    expect(r.exitCode).toBe(0);
    expect(h.files.map((f) => f.status)).toEqual(['changed']);
    expect(h.steps).toEqual([expect.objectContaining({ id: 'cybertrace/restart', status: 'skipped', command: steps[0].command })]);
    expect(hostDetails(h)).toContain(
      `step cybertrace/restart: skipped (because of ${join(stage, 'etc/ctc-test/a.conf')})\n      not run, pending on the host until a deploy runs steps: $ ${steps[0].command}`,
    );
    expect(log()).toBe('');
    await nextDeployRunsPending(files, steps, { 'cybertrace/restart': 'ran' });
  });

  it("a target's steps: skip runs no step, and --check says so per step", async () => {
    const files = [file('a.conf', 'new a\n')];
    const steps = [step('restart')];
    const check = await run(files, steps, { check: true }, target({ steps: 'skip' }));
    expect(check.hosts[0].steps.map((s) => s.status)).toEqual(['skipped']);
    const r = await run(files, steps, {}, target({ steps: 'skip' }));
    expect(r.hosts[0].steps.map((s) => s.status)).toEqual(['skipped']);
    expect(read('a.conf')).toBe('new a\n');
    expect(log()).toBe('');
    // Still pending, and still skipped on that target.
    const again = await run(files, steps, {}, target({ steps: 'skip' }));
    expect(again.hosts[0].steps.map((s) => [s.status, s.pendingFrom])).toEqual([['skipped', [join(stage, 'etc/ctc-test/a.conf')]]]);
    expect(log()).toBe('');
  });

  it('ctconnect killed while a step runs: the next deploy runs it', async () => {
    const files = [file('a.conf', 'new a\n')];
    const steps = [step('restart', 'sleep 2; ')];
    // A deploy in a process of its own, killed (SIGKILL) once its step has started.
    const script = join(work, 'deploy-once.ts');
    writeFileSync(
      script,
      [
        `import { deployBundle } from ${JSON.stringify(join(REPO, 'src/deploy/deploy.ts'))};`,
        `import { bundleOf, siteWith } from ${JSON.stringify(join(REPO, 'test/deploy/fixtures.ts'))};`,
        `const input = JSON.parse(process.argv[2]);`,
        `await deployBundle(bundleOf(input.files, input.steps), siteWith([input.target]), { secrets: { env: {} }, progress: (_t, m) => console.log(m) });`,
      ].join('\n'),
    );
    const child = spawn(join(REPO, 'node_modules/.bin/vite-node'), [script, JSON.stringify({ files, steps, target: target() })], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('step cybertrace/restart')) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`the deploy ended before its step: ${out}`)));
    });
    expect(read('a.conf')).toBe('new a\n');
    expect(records()).toEqual(['.a.conf.ctconnect-pending']);
    await nextDeployRunsPending(files, steps, { 'cybertrace/restart': 'ran' });
  });
});
