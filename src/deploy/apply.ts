/**
 * Applies a host's plan in the established order (FACTS §8): backup (timestamped, kept) → upload
 * to a temp file beside the target → mode/owner → validate the temp file → atomic rename; then
 * the steps the changes call for, once each. Any failure — the connection's included — puts back
 * this run's files from this run's backups (over a new connection when the old one is gone) and
 * says, per file, what was restored and what could not be.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { outputLines, describeFailure } from './exec.js';
import { TEMP_INFIX, type FilePlan, type HostStep, type HostWork } from './plan.js';
import type { RemoteHost } from './remote.js';
import { shellArg } from '../render/escape.js';
import { ConnectionLost, DeployFailure, type CommandOutput, type FileResult, type RollbackResult, type StepResult } from './types.js';
import { backupName } from '../core/files.js';

export type Progress = (message: string) => void;

interface Applied {
  plan: FilePlan;
  backup?: string;
  createdDirs: string[];
  /** The temp file of this run beside the target, once its upload has started. */
  tmp?: string;
  renamed: boolean;
}


const octal = (m: number) => m.toString(8).padStart(4, '0');

class FileStepFailure extends DeployFailure {
  constructor(message: string, details: string[], readonly validate?: CommandOutput) {
    super(message, details);
  }
}

async function backup(remote: RemoteHost, path: string, now: Date): Promise<string> {
  const base = backupName(path, now);
  // Two runs in the same second keep both backups: the numbering of backupName, in shell.
  const script = `b=${shellArg(base)}; n=2; while [ -e "$b" ]; do b=${shellArg(base)}-$n; n=$((n+1)); done; cp -p -- ${shellArg(path)} "$b" && printf '%s' "$b"`;
  const r = await remote.must(script, { timeoutSec: remote.target.command_timeout_sec, label: `back up ${path}` });
  return r.stdout;
}

async function upload(remote: RemoteHost, tmp: string, content: Buffer): Promise<void> {
  if (!remote.usesSudo) {
    await remote.writeAsLoginUser(tmp, content);
    return;
  }
  // SFTP writes as the login user; sudo moves the staged copy into the target folder, private until chmod.
  const staged = await remote.stageData(content);
  await remote.must(`install -m 0600 -- ${shellArg(staged)} ${shellArg(tmp)} && rm -f -- ${shellArg(staged)}`, {
    timeoutSec: remote.target.command_timeout_sec,
    label: `place ${tmp}`,
  });
}

function attributesScript(plan: FilePlan, tmp: string): string {
  const p = shellArg(plan.file.path);
  const t = shellArg(tmp);
  const parts: string[] = [];
  parts.push(plan.mode === 'keep' ? `chmod --reference=${p} -- ${t}` : `chmod ${octal(plan.mode)} -- ${t}`);
  if (plan.owner === 'keep') parts.push(`[ "$(stat -c %u:%g ${p})" = "$(stat -c %u:%g ${t})" ] || chown --reference=${p} -- ${t}`);
  else if (plan.owner !== 'default') parts.push(`chown -- ${shellArg(plan.owner)} ${t}`);
  return parts.join(' && ');
}

export const tempPathOf = (path: string): string => `${posix.dirname(path)}/.${posix.basename(path)}${TEMP_INFIX}${randomBytes(4).toString('hex')}`;

async function applyFile(remote: RemoteHost, plan: FilePlan, now: Date, applied: Applied[], progress: Progress): Promise<FileResult> {
  const path = plan.file.path;
  const timeoutSec = remote.target.command_timeout_sec;
  const rec: Applied = { plan, createdDirs: [], renamed: false };
  applied.push(rec);
  if (plan.current.missingDirs.length > 0) {
    // Recorded before mkdir runs: a connection lost in the middle still has them looked at by the rollback.
    rec.createdDirs = plan.current.missingDirs;
    await remote.must(`mkdir -p -- ${shellArg(plan.current.missingDirs[0]!)}`, { timeoutSec, label: `mkdir -p ${plan.current.missingDirs[0]}` });
  }
  if (plan.current.kind === 'file') {
    rec.backup = await backup(remote, path, now);
    progress(`${path}: backed up to ${rec.backup}`);
  }
  const tmp = tempPathOf(path);
  rec.tmp = tmp;
  let validate: CommandOutput | undefined;
  await upload(remote, tmp, plan.newContent);
  await remote.must(attributesScript(plan, tmp), { timeoutSec, label: `set mode/owner of ${tmp}` });
  if (plan.file.validate) {
    const command = plan.file.validate.split('{file}').join(shellArg(tmp));
    progress(`${path}: validating (${plan.file.validate})`);
    const r = await remote.run(command, { timeoutSec, label: command });
    validate = { command: r.command, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr };
    if (r.timedOut || r.exitCode !== 0) {
      throw new FileStepFailure(`${path}: validation failed: ${describeFailure(r, timeoutSec)}; the target file was not touched`, outputLines(r), validate);
    }
  }
  // Marked before the request: a connection lost after it went out may have replaced the file, so the
  // rollback puts the backup back either way (harmless when the rename never happened).
  rec.renamed = true;
  const how = await remote.renameOver(tmp, path, timeoutSec);
  rec.tmp = undefined;
  progress(`${path}: replaced (${how})`);
  return { bundlePath: plan.file.bundlePath, path, status: 'changed', reasons: plan.reasons, backup: rec.backup, validate };
}

/** Puts back what this run changed, newest first; each file on its own, so one failure does not stop the rest. */
async function rollback(remote: RemoteHost, applied: Applied[], stepsRun: string[], progress: Progress): Promise<RollbackResult> {
  const result: RollbackResult = { restored: [], removed: [], notRestored: [], tempRemoved: [], stepsAlreadyRun: stepsRun };
  const timeoutSec = remote.target.command_timeout_sec;
  for (const rec of [...applied].reverse()) {
    const path = rec.plan.file.path;
    if (rec.tmp) {
      try {
        await remote.must(`rm -f -- ${shellArg(rec.tmp)}`, { timeoutSec, label: `remove ${rec.tmp}` });
        result.tempRemoved.push(rec.tmp);
      } catch (e) {
        result.notRestored.push({ path: rec.tmp, error: `temp file left behind (the next deploy removes it): ${(e as Error).message}` });
      }
    }
    if (rec.renamed) {
      try {
        if (rec.backup) {
          const tmp = `${posix.dirname(path)}/.${posix.basename(path)}${TEMP_INFIX}restore-${randomBytes(4).toString('hex')}`;
          await remote.must(`cp -p -- ${shellArg(rec.backup)} ${shellArg(tmp)} && mv -f -- ${shellArg(tmp)} ${shellArg(path)} || { rm -f -- ${shellArg(tmp)}; exit 1; }`, {
            timeoutSec,
            label: `restore ${path} from ${rec.backup}`,
          });
          result.restored.push(path);
          progress(`${path}: restored from ${rec.backup}`);
        } else {
          await remote.must(`rm -f -- ${shellArg(path)}`, { timeoutSec, label: `remove new file ${path}` });
          result.removed.push(path);
          progress(`${path}: new file removed`);
        }
      } catch (e) {
        const err = e as DeployFailure;
        result.notRestored.push({ path, error: [err.message, ...(err.details ?? []), rec.backup ? `the old file is in ${rec.backup}` : 'it was a new file'].join('; ') });
        progress(`${path}: COULD NOT BE RESTORED: ${err.message}`);
        continue;
      }
    }
    for (const dir of rec.createdDirs) {
      // Only empty folders go; rmdir refuses the others, which is what we want.
      await remote.run(`rmdir -- ${shellArg(dir)}`, { timeoutSec, label: `rmdir ${dir}` }).catch(() => undefined);
    }
  }
  return result;
}

/** The steps a set of changed files calls for, in bundle order, each once per host. */
export function stepsToRun(steps: HostStep[], changed: FilePlan[]): Array<{ step: HostStep; because: string[] }> {
  return steps.map((step) => ({
    step,
    because:
      step.step.when === 'always'
        ? changed.map((p) => p.file.path)
        : changed.filter((p) => p.file.notify.some((k) => step.keys.includes(k))).map((p) => p.file.path),
  }));
}

function asFailure(e: unknown): DeployFailure {
  if (e instanceof DeployFailure) return e;
  return new DeployFailure(`unexpected error: ${(e as Error)?.message ?? String(e)}`);
}

export interface ApplyResult {
  files: FileResult[];
  steps: StepResult[];
  rollback?: RollbackResult;
  error?: DeployFailure;
}

/** How to get a working host again after the connection is lost, for the rollback. */
export type Reconnect = () => Promise<RemoteHost>;

/** Removes temp files that interrupted earlier runs left beside the target files; runs under the host lock. */
async function removeLeftovers(remote: RemoteHost, plans: FilePlan[], files: FileResult[], progress: Progress): Promise<void> {
  for (const [i, plan] of plans.entries()) {
    const leftovers = plan.current.leftovers;
    if (leftovers.length === 0) continue;
    await remote.must(`rm -f -- ${leftovers.map(shellArg).join(' ')}`, { timeoutSec: remote.target.command_timeout_sec, label: `remove leftover temp files of ${plan.file.path}` });
    files[i] = { ...files[i]!, leftoversRemoved: leftovers };
    for (const l of leftovers) progress(`${l}: removed (left by an interrupted run)`);
  }
}

export async function applyHost(remote: RemoteHost, work: HostWork, plans: FilePlan[], now: Date, progress: Progress, reconnect: Reconnect): Promise<ApplyResult> {
  const applied: Applied[] = [];
  const files: FileResult[] = plans.map((p) => ({
    bundlePath: p.file.bundlePath,
    path: p.file.path,
    status: p.changed ? 'not-reached' : 'unchanged',
    reasons: p.reasons,
  }));
  const changed = plans.filter((p) => p.changed);
  const planned = stepsToRun(work.steps, changed);
  const steps: StepResult[] = planned.map(({ step, because }) => ({
    id: step.key,
    description: step.step.description,
    status: because.length > 0 ? 'not-reached' : 'not-needed',
    because,
  }));
  const stepsRun: string[] = [];

  const fail = async (error: DeployFailure): Promise<ApplyResult> => {
    const touched = applied.some((a) => a.renamed || a.tmp !== undefined || a.createdDirs.length > 0);
    let rb: RollbackResult | undefined;
    if (touched) {
      let host: RemoteHost | undefined = remote;
      if (error instanceof ConnectionLost || remote.conn.lostReason() !== undefined) {
        progress('connection lost; reconnecting to put back what this run changed');
        try {
          host = await reconnect();
        } catch (e) {
          host = undefined;
          const why = `connection lost and reconnecting failed: ${(e as Error).message}`;
          rb = { restored: [], removed: [], tempRemoved: [], stepsAlreadyRun: stepsRun, notRestored: [] };
          for (const a of applied) {
            if (a.tmp) rb.notRestored.push({ path: a.tmp, error: `temp file may be left behind (the next deploy removes it); ${why}` });
            if (a.renamed) rb.notRestored.push({ path: a.plan.file.path, error: `${why}; ${a.backup ? `the old file is in ${a.backup}` : 'it was a new file'}` });
          }
        }
      }
      if (host) rb = await rollback(host, applied, stepsRun, progress);
    }
    if (rb) {
      for (const f of files) {
        if (rb.restored.includes(f.path) || rb.removed.includes(f.path)) {
          if (f.status === 'changed') f.status = 'rolled-back';
        }
        const lost = rb.notRestored.find((n) => n.path === f.path);
        if (lost) f.error = `${f.error ? `${f.error}\n` : ''}NOT RESTORED: ${lost.error}`;
      }
    }
    return { files, steps, rollback: rb, error };
  };

  try {
    await removeLeftovers(remote, plans, files, progress);
  } catch (caught) {
    return fail(asFailure(caught));
  }

  for (const [i, plan] of plans.entries()) {
    if (!plan.changed) continue;
    try {
      files[i] = { ...(await applyFile(remote, plan, now, applied, progress)), leftoversRemoved: files[i]!.leftoversRemoved };
    } catch (caught) {
      // Whatever went wrong, this run's files go back before the error is reported.
      const e = asFailure(caught);
      const backupMade = applied[applied.length - 1]?.plan === plan ? applied[applied.length - 1]!.backup : undefined;
      const message = e instanceof ConnectionLost ? `${plan.file.path}: ${e.message}` : e.message;
      files[i] = {
        ...files[i]!,
        status: 'failed',
        error: [message, ...e.details].join('\n'),
        backup: backupMade,
        validate: e instanceof FileStepFailure ? e.validate : undefined,
      };
      return fail(e);
    }
  }

  for (const [i, { step: hostStep, because }] of planned.entries()) {
    if (because.length === 0) continue;
    const step = hostStep.step;
    let stdinFile: string | undefined;
    try {
      if (step.stdinFromFile !== undefined) stdinFile = await remote.stageData(work.bundleFiles.get(step.stdinFromFile)!);
    } catch (caught) {
      const e = asFailure(caught);
      steps[i] = { ...steps[i]!, status: 'failed' };
      return fail(e instanceof ConnectionLost ? e : new DeployFailure(`step ${hostStep.key}: cannot upload its input ${step.stdinFromFile}: ${e.message}`, e.details));
    }
    progress(`step ${hostStep.key}: ${step.description}`);
    let r;
    try {
      r = await remote.run(step.command, {
        timeoutSec: step.timeoutSec,
        label: step.command,
        stdinFile,
        env: { CTCONNECT_ROOT: work.target.root_prefix ?? '' },
      });
    } catch (caught) {
      steps[i] = { ...steps[i]!, status: 'failed' };
      return fail(asFailure(caught));
    }
    const output: CommandOutput = { command: r.command, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr };
    if (r.timedOut || r.exitCode !== 0) {
      steps[i] = { ...steps[i]!, status: 'failed', output };
      return fail(new DeployFailure(`step ${hostStep.key} failed: ${describeFailure(r, step.timeoutSec)}`, outputLines(r)));
    }
    steps[i] = { ...steps[i]!, status: 'ran', output };
    stepsRun.push(hostStep.key);
  }
  return { files, steps };
}
