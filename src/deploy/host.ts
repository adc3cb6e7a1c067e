/**
 * One target from start to end: connect (host key checked) → sudo check → lock and probe every
 * file in one command → plan (nothing written yet, so a bad merge or unreadable file fails cleanly)
 * → report under --check, else apply. Always returns a HostResult; failures on this host never
 * reach the other hosts.
 */
import { randomBytes } from 'node:crypto';
import type { Connection } from './connect.js';
import { connect } from './connect.js';
import { applyHost, stepResultOf, stepsToRun, type Progress, type Reconnect } from './apply.js';
import { redactedDiff } from './diff.js';
import { parseProbes, planFile, probeScript } from './probe.js';
import { type FilePlan, type HostWork } from './types.js';
import { RemoteHost } from './remote.js';
import type { TargetSecrets } from './secrets.js';
import { DeployFailure, type FileResult, type HostResult } from './types.js';

export interface HostOptions {
  check: boolean;
  diff: boolean;
  now?: Date;
  /** --skip-steps: files only (a target's `steps: skip` says the same for that target). */
  skipSteps?: boolean;
  /** Set once the user asked to stop: no new file or step is started. */
  interrupted?: () => boolean;
}

/** Whether this run runs the steps of this target. */
export const runsSteps = (target: HostWork['target'], skipSteps: boolean | undefined): boolean => !skipSteps && target.steps !== 'skip';

export function secretValues(s: TargetSecrets | undefined): string[] {
  return [s?.keyPassphrase, s?.loginPassword, s?.sudoPassword].filter((v): v is string => typeof v === 'string' && v !== '');
}

export async function deployHost(work: HostWork, secrets: TargetSecrets, opts: HostOptions, progress: Progress): Promise<HostResult> {
  const t = work.target;
  const started = Date.now();
  const result: HostResult = {
    target: t.name,
    address: `${t.user}@${t.host}:${t.port}`,
    status: 'ok',
    check: opts.check,
    files: work.files.map((f) => ({ bundlePath: f.bundlePath, path: f.path, status: 'not-reached', reasons: [] })),
    steps: work.steps.map((s) => ({ id: s.key, description: s.step.description, status: 'not-reached', because: [] })),
    durationMs: 0,
  };
  // Every connection of this host, the reconnects for a rollback included; all closed at the end.
  const conns: Connection[] = [];
  let remote: RemoteHost | undefined;
  // Names this run in the host's lock folder: a rollback after a reconnect learns whether another run held the lock since.
  const runId = `${t.name}-${started}-${randomBytes(6).toString('hex')}`;
  /** Connects, checks sudo and takes the host's deploy lock (doing `lockOpts` under it). */
  const open = async (lockOpts: Omit<Parameters<RemoteHost['lock']>[0], 'runId'>) => {
    const conn = await connect(t, secrets, { writeKnownHosts: !opts.check });
    conns.push(conn);
    if (conns.length === 1) {
      result.hostKey = conn.hostKey;
      progress(`connected, host key ${result.hostKey}`);
    }
    const r = new RemoteHost(conn, t, secrets);
    remote = r;
    await r.checkSudo();
    return { remote: r, ...(await r.lock({ ...lockOpts, runId })) };
  };
  const reconnect: Reconnect = async () => {
    // The lost connection's staging folder (sudo -S uploads) is a stale one now.
    const again = await open({ takeOver: remote?.holder, removeStale: true });
    if (again.staleRemoved.length > 0)
      result.notes = [...(result.notes ?? []), ...again.staleRemoved.map((d) => `removed the staging folder of the lost connection: ${d}`)];
    // No record at all (the host rebooted, /run was emptied): no other run is known to have come in between.
    return { remote: again.remote, otherRunSince: again.lastRun !== '' && again.lastRun !== runId ? again.lastRun : undefined };
  };
  try {
    progress('connecting');
    const first = await open({
      removeStale: !opts.check,
      underLock: probeScript(t, work.files, opts.diff, { removeLeftovers: !opts.check }),
      interrupted: opts.interrupted,
    });
    if (first.staleRemoved.length > 0) result.notes = first.staleRemoved.map((d) => `removed the staging folder of an interrupted run: ${d}`);
    const probed = parseProbes(t, work.files, first.output);
    const plans: FilePlan[] = work.files.map((f, i) => planFile(f, probed[i]));
    const secretsToHide = secretValues(secrets);
    const diffs = plans.map((p) => (opts.diff && p.changed ? redactedDiff(p.file.path, p.oldContent, p.newContent, secretsToHide) : undefined));
    for (const p of plans) progress(`${p.file.path}: ${p.changed ? `${opts.check ? 'would change' : 'changes'} (${p.reasons.join(', ')})` : 'no change'}`);

    if (opts.check) {
      result.files = plans.map((p, i): FileResult => ({
        bundlePath: p.file.bundlePath,
        path: p.file.path,
        status: p.changed ? 'would-change' : 'unchanged',
        reasons: p.reasons,
        diff: diffs[i] || undefined,
        leftoversRemoved: p.current.leftovers.length > 0 ? p.current.leftovers : undefined,
      }));
      result.steps = stepsToRun(work.steps, plans).map((p) => stepResultOf(p, { needed: runsSteps(t, opts.skipSteps) ? 'would-run' : 'skipped' }));
      result.status = plans.some((p) => p.changed) ? 'changed' : 'ok';
      return result;
    }

    const applied = await applyHost(first.remote, work, plans, opts.now ?? new Date(), progress, reconnect, {
      skipSteps: !runsSteps(t, opts.skipSteps),
      interrupted: opts.interrupted ?? (() => false),
    });
    if (applied.notes) result.notes = [...(result.notes ?? []), ...applied.notes];
    result.files = applied.files.map((f, i) => (diffs[i] ? { ...f, diff: diffs[i] } : f));
    result.steps = applied.steps;
    result.rollback = applied.rollback;
    if (applied.error) {
      result.status = 'failed';
      result.error = { message: applied.error.message, details: applied.error.details };
    } else {
      result.status = applied.files.some((f) => f.status === 'changed') || applied.steps.some((s) => s.status === 'ran') ? 'changed' : 'ok';
    }
    return result;
  } catch (e) {
    if (!(e instanceof DeployFailure)) throw e;
    result.status = 'failed';
    result.error = { message: e.message, details: e.details };
    return result;
  } finally {
    if (remote && remote.conn.lostReason() === undefined) {
      await remote.cleanStaging().catch(() => undefined);
      remote.unlock();
    }
    for (const c of conns) c.close();
    result.durationMs = Date.now() - started;
    result.roundTrips = conns.reduce((n, c) => n + c.roundTrips, 0);
  }
}
