/**
 * Applies a host's plan in the established order (as Ansible's copy module does it), one command per file: backup
 * (timestamped, kept) → upload to a temp file beside the target → mode/owner → validate the temp
 * file → atomic rename; then
 * the steps the changes call for, once each. Any failure — the connection's included — puts back
 * this run's files from this run's backups (over a new connection when the old one is gone) and
 * says, per file, what was restored and what could not be.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { outputLines, describeFailure, type ExecResult } from './exec.js';
import { TEMP_INFIX } from './probe.js';
import { type FilePlan, type HostStep, type HostWork } from './types.js';
import { sha256 } from '../kernel/hash.js';
import { backupName } from '../kernel/files.js';
import type { RemoteHost } from './remote.js';
import { shellArg } from '../render/escape.js';
import { ConnectionLost, DeployFailure, type CommandOutput, type FileResult, type RollbackResult, type StepResult } from './types.js';

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

function attributesScript(plan: FilePlan, tmp: string): string {
  const p = shellArg(plan.file.path);
  const t = shellArg(tmp);
  const parts: string[] = [];
  parts.push(plan.mode === 'keep' ? `chmod --reference=${p} -- ${t}` : `chmod ${octal(plan.mode)} -- ${t}`);
  if (plan.owner === 'keep') parts.push(`{ [ "$(stat -c %u:%g ${p})" = "$(stat -c %u:%g ${t})" ] || chown --reference=${p} -- ${t}; }`);
  else if (plan.owner !== 'default') parts.push(`chown -- ${shellArg(plan.owner)} ${t}`);
  return parts.join(' && ');
}

export const tempPathOf = (path: string): string => `${posix.dirname(path)}/.${posix.basename(path)}${TEMP_INFIX}${randomBytes(4).toString('hex')}`;

/** The lines the apply script prints between its stages; a random token keeps them apart from a validator's output. */
function marks(token: string) {
  return {
    send: `@@ctconnect-send-${token}\n`,
    uploaded: `@@ctconnect-uploaded-${token}\n`,
    validate: `@@ctconnect-validate-${token}\n`,
    validated: `@@ctconnect-validated-${token} `,
    ready: `@@ctconnect-ready-${token}\n`,
    renamed: `@@ctconnect-renamed-${token}\n`,
  };
}

/**
 * One file in one command, in the established order: (missing folders,) backup, new bytes into the temp
 * file beside the target (from stdin, or from a staged file under sudo -S), checked against their sha256,
 * mode/owner, validation. Then, reading stdin, it waits for the word `rename` before it renames: the
 * client says it only while the connection is up, so a run cut short never renames behind its back.
 */
function applyScript(plan: FilePlan, tmp: string, now: Date, token: string, from: { stdinBytes: number } | { staged: string }, validate: { command?: string; timeoutSec: number }): string {
  const m = marks(token);
  const path = plan.file.path;
  const base = backupName(path, now);
  const lines = [`p=${shellArg(path)}; t=${shellArg(tmp)}`];
  if (plan.current.missingDirs.length > 0) lines.push(`mkdir -p -- ${shellArg(plan.current.missingDirs[0])} || exit 1`);
  if (plan.current.kind === 'file') {
    // Two runs in the same second keep both backups: the numbering of backupName, in shell.
    lines.push(`b=${shellArg(base)}; n=2; while [ -e "$b" ]; do b=${shellArg(base)}-$n; n=$((n+1)); done; cp -p -- "$p" "$b" || exit 1; echo "backup $b"`);
  }
  // The temp file exists (private) before the first byte is sent: a run cut short leaves it for the rollback or the next run to find.
  lines.push(`(umask 077; : > "$t") || exit 1; printf '%s' ${shellArg(m.send)}`);
  // GNU head -c reads no byte beyond its count, so the `rename` line after the file stays in stdin.
  lines.push('stdinBytes' in from ? `head -c ${from.stdinBytes} > "$t" || exit 1` : `cat -- ${shellArg(from.staged)} > "$t" && rm -f -- ${shellArg(from.staged)} || exit 1`);
  lines.push(`[ "$(sha256sum < "$t" | cut -d' ' -f1)" = ${sha256(plan.newContent)} ] || { echo "$t: the upload was cut short" >&2; exit 1; }`);
  lines.push(`${attributesScript(plan, tmp)} || exit 1`, `printf '%s' ${shellArg(m.uploaded)}`);
  if (validate.command) {
    lines.push(
      `printf '%s' ${shellArg(m.validate)}; printf '%s' ${shellArg(m.validate)} >&2`,
      `timeout -k 5 ${validate.timeoutSec} sh -c ${shellArg(validate.command)} </dev/null; v=$?; echo; printf '%s' ${shellArg(m.validate)} >&2`,
      `echo "${m.validated}$v"; [ "$v" = 0 ] || exit 1`,
    );
  }
  lines.push(`printf '%s' ${shellArg(m.ready)}`);
  if ('stdinBytes' in from) lines.push(`read -r go && [ "$go" = rename ] || exit 1`, `mv -f -- "$t" "$p" || exit 1`, `printf '%s' ${shellArg(m.renamed)}`);
  return lines.join('\n');
}

/** What the apply script's output says about its stages. */
function readStages(r: { stdout: string; stderr: string }, token: string, validateCommand: string | undefined) {
  const m = marks(token);
  const backup = /^backup (.*)$/m.exec(r.stdout.split(m.send)[0] ?? '')?.[1];
  let validate: CommandOutput | undefined;
  const v = r.stdout.indexOf(m.validate);
  const end = r.stdout.indexOf(m.validated);
  if (validateCommand && v >= 0 && end >= 0) {
    const code = Number(/^-?\d+/.exec(r.stdout.slice(end + m.validated.length))?.[0] ?? NaN);
    validate = {
      command: validateCommand,
      exitCode: code,
      timedOut: code === 124 || code === 137,
      // The script adds a line feed after the validator's output so that the mark starts a line.
      stdout: r.stdout.slice(v + m.validate.length, end).replace(/\n$/, ''),
      stderr: r.stderr.split(m.validate)[1] ?? '',
    };
  }
  return { backup, validate, ready: r.stdout.includes(m.ready), renamed: r.stdout.includes(m.renamed) };
}

async function applyFile(remote: RemoteHost, plan: FilePlan, now: Date, applied: Applied[], progress: Progress): Promise<FileResult> {
  const path = plan.file.path;
  const timeoutSec = remote.target.command_timeout_sec;
  const rec: Applied = { plan, createdDirs: [], renamed: false };
  applied.push(rec);
  // Recorded before anything runs: a connection lost in the middle still has them looked at by the rollback.
  rec.createdDirs = plan.current.missingDirs;
  const tmp = tempPathOf(path);
  rec.tmp = tmp;
  const token = randomBytes(6).toString('hex');
  const m = marks(token);
  const validateCommand = plan.file.validate?.split('{file}').join(shellArg(tmp));
  // The whole command's limit: the upload, the validator's own limit, and our answer.
  const scriptLimit = 2 * timeoutSec + 30;
  const label = `install ${path}`;
  let r: ExecResult;
  if (remote.streamsInput) {
    const proc = await remote.start(applyScript(plan, tmp, now, token, { stdinBytes: plan.newContent.length }, { command: validateCommand, timeoutSec }), { timeoutSec: scriptLimit, label });
    if (await remote.alive(proc.waitFor(m.send))) {
      rec.backup = readStages({ stdout: proc.stdout().toString('utf8'), stderr: '' }, token, undefined).backup;
      if (rec.backup) progress(`${path}: backed up to ${rec.backup}`);
      progress(`${path}: uploading ${plan.newContent.length} bytes`);
      proc.write(plan.newContent);
      if (await remote.alive(proc.waitFor(m.uploaded))) {
        if (plan.file.validate) progress(`${path}: validating (${plan.file.validate})`);
        if (await remote.alive(proc.waitFor(m.ready))) {
          // Marked before the word goes out: a connection lost after it may have replaced the file, so the
          // rollback puts the backup back either way (harmless when the rename never happened).
          rec.renamed = true;
          proc.end('rename\n');
        }
      }
    }
    proc.end();
    r = await remote.finished(proc);
  } else {
    // Under sudo -S the command's stdin is no channel: the bytes are staged first, the rename is a command of its own.
    progress(`${path}: uploading ${plan.newContent.length} bytes`);
    const staged = await remote.stageData(plan.newContent);
    r = await remote.run(applyScript(plan, tmp, now, token, { staged }, { command: validateCommand, timeoutSec }), { timeoutSec: scriptLimit, label });
  }
  const stages = readStages(r, token, validateCommand);
  rec.backup = stages.backup;
  if (!remote.streamsInput && rec.backup) progress(`${path}: backed up to ${rec.backup}`);
  const validate = stages.validate;
  if (validate && (validate.timedOut || validate.exitCode !== 0)) {
    throw new FileStepFailure(`${path}: validation failed: ${describeFailure(validate, timeoutSec)}; the target file was not touched`, outputLines(validate), validate);
  }
  if (r.timedOut) throw new DeployFailure(`${label}: killed after ${scriptLimit} s (time limit)`, outputLines(r));
  if (remote.streamsInput ? !stages.renamed || r.exitCode !== 0 : !stages.ready || r.exitCode !== 0) {
    throw new DeployFailure(`${label}: failed (exit ${r.exitCode ?? `signal ${r.signal}`})`, outputLines({ ...r, stdout: '' }));
  }
  if (!remote.streamsInput) {
    rec.renamed = true;
    await remote.must(`mv -f -- ${shellArg(tmp)} ${shellArg(path)}`, { timeoutSec, label: `mv -f ${tmp} ${path}` });
  }
  rec.tmp = undefined;
  progress(`${path}: replaced (mv -f)`);
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

  // The probe removed them, under the lock.
  for (const [i, plan] of plans.entries()) {
    const leftovers = plan.current.leftovers;
    if (leftovers.length === 0) continue;
    files[i] = { ...files[i], leftoversRemoved: leftovers };
    for (const l of leftovers) progress(`${l}: removed (left by an interrupted run)`);
  }

  for (const [i, plan] of plans.entries()) {
    if (!plan.changed) continue;
    try {
      files[i] = { ...(await applyFile(remote, plan, now, applied, progress)), leftoversRemoved: files[i].leftoversRemoved };
    } catch (caught) {
      // Whatever went wrong, this run's files go back before the error is reported.
      const e = asFailure(caught);
      const backupMade = applied[applied.length - 1]?.plan === plan ? applied[applied.length - 1].backup : undefined;
      const message = e instanceof ConnectionLost ? `${plan.file.path}: ${e.message}` : e.message;
      files[i] = {
        ...files[i],
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
    const input = step.stdinFromFile === undefined ? undefined : work.bundleFiles.get(step.stdinFromFile)!;
    try {
      // Under sudo -S the step cannot read the channel: its input is staged first.
      if (input && !remote.streamsInput) stdinFile = await remote.stageData(input);
    } catch (caught) {
      const e = asFailure(caught);
      steps[i] = { ...steps[i], status: 'failed' };
      return fail(e instanceof ConnectionLost ? e : new DeployFailure(`step ${hostStep.key}: cannot upload its input ${step.stdinFromFile}: ${e.message}`, e.details));
    }
    progress(`step ${hostStep.key}: ${step.description}`);
    let r;
    try {
      r = await remote.run(step.command, {
        timeoutSec: step.timeoutSec,
        label: step.command,
        stdinFile,
        input: remote.streamsInput ? input : undefined,
        env: { CTCONNECT_ROOT: work.target.root_prefix ?? '' },
      });
    } catch (caught) {
      steps[i] = { ...steps[i], status: 'failed' };
      return fail(asFailure(caught));
    }
    const output: CommandOutput = { command: r.command, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr };
    if (r.timedOut || r.exitCode !== 0) {
      steps[i] = { ...steps[i], status: 'failed', output };
      return fail(new DeployFailure(`step ${hostStep.key} failed: ${describeFailure(r, step.timeoutSec)}`, outputLines(r)));
    }
    steps[i] = { ...steps[i], status: 'ran', output };
    stepsRun.push(hostStep.key);
  }
  return { files, steps };
}
