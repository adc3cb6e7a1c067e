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
import { pendingRecordOf, TEMP_INFIX } from './probe.js';
import { type FilePlan, type HostStep, type HostWork } from './types.js';
import { sha256 } from '../kernel/hash.js';
import { backupName } from '../kernel/files.js';
import type { RemoteHost } from './remote.js';
import { fewPaths } from './report.js';
import { shellArg } from '../render/escape.js';
import { ConnectionLost, DeployFailure, Interrupted, type CommandOutput, type FileResult, type RollbackResult, type StepResult } from './types.js';

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
  constructor(
    message: string,
    details: string[],
    readonly validate?: CommandOutput,
  ) {
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
function applyScript(
  plan: FilePlan,
  tmp: string,
  now: Date,
  token: string,
  from: { stdinBytes: number } | { staged: string },
  validate: { command?: string; timeoutSec: number },
  pending: string[],
): string {
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
  lines.push(
    'stdinBytes' in from
      ? `head -c ${from.stdinBytes} > "$t" || exit 1`
      : `cat -- ${shellArg(from.staged)} > "$t" && rm -f -- ${shellArg(from.staged)} || exit 1`,
  );
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
  if ('stdinBytes' in from)
    lines.push(
      `read -r go && [ "$go" = rename ] || exit 1`,
      `${recordPending(path, pending)}mv -f -- "$t" "$p" || exit 1`,
      `printf '%s' ${shellArg(m.renamed)}`,
    );
  return lines.join('\n');
}

/**
 * Shell that adds step keys to a file's pending record (written before the file is renamed, so a run
 * killed at any point leaves the record for the next deploy); '' when there is nothing to add.
 */
function recordPending(path: string, keys: string[]): string {
  if (keys.length === 0) return '';
  const q = shellArg(pendingRecordOf(path));
  const tmp = shellArg(`${posix.dirname(path)}/.${posix.basename(path)}${TEMP_INFIX}pending`);
  return `{ { [ -f ${q} ] && [ ! -L ${q} ] && cat -- ${q}; printf '%s\\n' ${keys.map(shellArg).join(' ')}; } | sort -u > ${tmp} && mv -f -- ${tmp} ${q}; } || exit 1; `;
}

/** Shell that sets a file's pending record to `keys` (removes it when there are none). */
function writePending(path: string, keys: string[]): string {
  const q = shellArg(pendingRecordOf(path));
  if (keys.length === 0) return `rm -f -- ${q}`;
  const tmp = shellArg(`${posix.dirname(path)}/.${posix.basename(path)}${TEMP_INFIX}pending`);
  return `printf '%s\\n' ${keys.map(shellArg).join(' ')} > ${tmp} && mv -f -- ${tmp} ${q}`;
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

async function applyFile(remote: RemoteHost, plan: FilePlan, now: Date, applied: Applied[], progress: Progress, pending: string[]): Promise<FileResult> {
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
    const proc = await remote.start(
      applyScript(plan, tmp, now, token, { stdinBytes: plan.newContent.length }, { command: validateCommand, timeoutSec }, pending),
      { timeoutSec: scriptLimit, label },
    );
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
    r = await remote.run(applyScript(plan, tmp, now, token, { staged }, { command: validateCommand, timeoutSec }, pending), { timeoutSec: scriptLimit, label });
  }
  const stages = readStages(r, token, validateCommand);
  rec.backup = stages.backup;
  if (!remote.streamsInput && rec.backup) progress(`${path}: backed up to ${rec.backup}`);
  const validate = stages.validate;
  if (validate && (validate.timedOut || validate.exitCode !== 0)) {
    throw new FileStepFailure(
      `${path}: validation failed: ${describeFailure(validate, timeoutSec)}; the target file was not touched`,
      outputLines(validate),
      validate,
    );
  }
  if (r.timedOut) throw new DeployFailure(`${label}: killed after ${scriptLimit} s (time limit)`, outputLines(r));
  if (remote.streamsInput ? !stages.renamed || r.exitCode !== 0 : !stages.ready || r.exitCode !== 0) {
    throw new DeployFailure(`${label}: failed (exit ${r.exitCode ?? `signal ${r.signal}`})`, outputLines({ ...r, stdout: '' }));
  }
  if (!remote.streamsInput) {
    rec.renamed = true;
    await remote.must(`${recordPending(path, pending)}mv -f -- ${shellArg(tmp)} ${shellArg(path)}`, { timeoutSec, label: `mv -f ${tmp} ${path}` });
  }
  rec.tmp = undefined;
  progress(`${path}: replaced (mv -f)`);
  return { bundlePath: plan.file.bundlePath, path, status: 'changed', reasons: plan.reasons, backup: rec.backup, validate };
}

/**
 * Puts back what this run changed, newest first; each file on its own, so one failure does not stop the
 * rest. It runs under the host's lock and restores a file only while its bytes are still the ones this
 * run wrote; when `otherRunSince` says another deploy held the lock after this run lost its connection,
 * it restores nothing (that run found the new files and built on them).
 */
async function rollback(remote: RemoteHost, applied: Applied[], stepsRun: string[], progress: Progress, otherRunSince?: string): Promise<RollbackResult> {
  const result: RollbackResult = { restored: [], removed: [], notRestored: [], left: [], tempRemoved: [], stepsAlreadyRun: stepsRun };
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
      if (otherRunSince !== undefined) {
        result.left.push({
          path,
          reason: `another deploy (${otherRunSince}) held the lock after the connection was lost and found this file in place; left as it is`,
        });
        progress(`${path}: left as it is (another deploy ran since)`);
        continue;
      }
      try {
        const p = shellArg(path);
        const before = rec.plan.current.kind === 'file' ? rec.plan.current.sha256! : 'absent';
        // Which bytes are there now: this run's (put back), the old ones (the rename never happened), or someone else's (left).
        const now = `if [ -f ${p} ] && [ ! -L ${p} ]; then h=$(sha256sum < ${p} | cut -d' ' -f1); elif [ -e ${p} ] || [ -L ${p} ]; then h=other; else h=absent; fi; `;

        let restore: string;
        if (rec.backup) {
          const tmp = `${posix.dirname(path)}/.${posix.basename(path)}${TEMP_INFIX}restore-${randomBytes(4).toString('hex')}`;
          restore = `cp -p -- ${shellArg(rec.backup)} ${shellArg(tmp)} && mv -f -- ${shellArg(tmp)} ${p} || { rm -f -- ${shellArg(tmp)}; exit 1; }`;
        } else {
          restore = `rm -f -- ${p}`;
        }
        // A file put back has the record of pending steps it had before this run (the report names the steps that already ran).
        const script = `${now}if [ "$h" = ${sha256(rec.plan.newContent)} ]; then ${restore}; elif [ "$h" = ${before} ]; then echo as-before; else echo changed-since; exit 0; fi; ${writePending(path, rec.plan.current.pending)}`;
        const r = await remote.must(script, { timeoutSec, label: rec.backup ? `restore ${path} from ${rec.backup}` : `remove new file ${path}` });
        if (r.stdout.includes('changed-since')) {
          result.left.push({ path, reason: 'its bytes changed since this run wrote them; left as it is' });
          progress(`${path}: left as it is (changed since this run wrote it)`);
        } else if (r.stdout.includes('as-before') || rec.backup) {
          result.restored.push(path);
          progress(r.stdout.includes('as-before') ? `${path}: as before (the new file never replaced it)` : `${path}: restored from ${rec.backup}`);
        } else {
          result.removed.push(path);
          progress(`${path}: new file removed`);
        }
      } catch (e) {
        const err = e as DeployFailure;
        result.notRestored.push({
          path,
          error: [err.message, ...(err.details ?? []), rec.backup ? `the old file is in ${rec.backup}` : 'it was a new file'].join('; '),
        });
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

/** Whether a change of this file calls for this step. */
const triggeredBy = (step: HostStep, file: FilePlan['file']): boolean => step.step.when === 'always' || file.notify.some((k) => step.keys.includes(k));

export interface PlannedStep {
  step: HostStep;
  /** The changed files that call for it. */
  because: string[];
  /** The files beside which an earlier run recorded it as pending. */
  pendingFrom: string[];
}

/** The steps the changed files call for and those earlier runs left pending, in bundle order, each once per host. */
export function stepsToRun(steps: HostStep[], plans: FilePlan[]): PlannedStep[] {
  return steps.map((step) => ({
    step,
    because: plans.filter((p) => p.changed && triggeredBy(step, p.file)).map((p) => p.file.path),
    pendingFrom: plans.filter((p) => p.current.pending.some((k) => step.keys.includes(k))).map((p) => p.file.path),
  }));
}

/** A planned step as the report shows it before anything ran. */
export function stepResultOf(p: PlannedStep, status: { needed: StepResult['status'] }): StepResult {
  const needed = p.because.length + p.pendingFrom.length > 0;
  return {
    id: p.step.key,
    description: p.step.step.description,
    status: needed ? status.needed : 'not-needed',
    because: p.because,
    ...(p.pendingFrom.length > 0 ? { pendingFrom: p.pendingFrom } : {}),
    ...(needed && status.needed === 'skipped' ? { command: p.step.step.command } : {}),
  };
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
  notes?: string[];
}

/**
 * How to get a working host again after the connection is lost, for the rollback: the host under its
 * lock again, and whether another run held that lock in between (its id).
 */
export type Reconnect = () => Promise<{ remote: RemoteHost; otherRunSince?: string }>;

export interface ApplyOptions {
  /** Install the files, run no step: each one the changes call for stays pending on the host. */
  skipSteps: boolean;
  /** Set once the user asked to stop (SIGINT/SIGTERM): no new file or step is started. */
  interrupted: () => boolean;
}

export async function applyHost(
  remote: RemoteHost,
  work: HostWork,
  plans: FilePlan[],
  now: Date,
  progress: Progress,
  reconnect: Reconnect,
  opts: ApplyOptions,
): Promise<ApplyResult> {
  const applied: Applied[] = [];
  const files: FileResult[] = plans.map((p) => ({
    bundlePath: p.file.bundlePath,
    path: p.file.path,
    status: p.changed ? 'not-reached' : 'unchanged',
    reasons: p.reasons,
  }));
  const planned = stepsToRun(work.steps, plans);
  const steps: StepResult[] = planned.map((p) => stepResultOf(p, { needed: opts.skipSteps ? 'skipped' : 'not-reached' }));
  const stepsRun: string[] = [];
  /** Keys of the steps that completed in this run. */
  const done = new Set<string>();
  const keysFor = (plan: FilePlan) => work.steps.filter((s) => triggeredBy(s, plan.file)).map((s) => s.key);
  const timeoutSec = remote.target.command_timeout_sec;
  const notes: string[] = [];

  /** What each file's pending record must say after this run, when it is not what the host has now (files put back have theirs already). */
  const records = (restored: (plan: FilePlan) => boolean): string[] => {
    const out: string[] = [];
    for (const [i, plan] of plans.entries()) {
      if (restored(plan)) continue;
      const had = plan.current.pending;
      const wrote =
        files[i].status === 'changed' ||
        files[i].status === 'rolled-back' ||
        (files[i].status === 'failed' && applied.some((a) => a.plan === plan && a.renamed))
          ? keysFor(plan)
          : [];
      const onHost = [...new Set([...had, ...wrote])];
      if (onHost.length === 0) continue;
      const left = onHost.filter((k) => !done.has(k));
      if (left.length === onHost.length) continue;
      out.push(writePending(plan.file.path, left.sort()));
    }
    return out;
  };
  const settle = async (host: RemoteHost, restored: (plan: FilePlan) => boolean) => {
    const lines = records(restored);
    if (lines.length === 0) return;
    try {
      await host.must(lines.join(' && '), { timeoutSec, label: 'update the records of pending steps' });
    } catch (e) {
      notes.push(`could not update the records of pending steps beside the files (${(e as Error).message}); the next deploy runs those steps again`);
    }
  };

  const fail = async (error: DeployFailure): Promise<ApplyResult> => {
    const touched = applied.some((a) => a.renamed || a.tmp !== undefined || a.createdDirs.length > 0);
    let rb: RollbackResult | undefined;
    let host: RemoteHost | undefined = remote;
    if (touched) {
      let otherRunSince: string | undefined;
      if (error instanceof ConnectionLost || remote.conn.lostReason() !== undefined) {
        progress('connection lost; reconnecting to put back what this run changed');
        try {
          ({ remote: host, otherRunSince } = await reconnect());
        } catch (e) {
          host = undefined;
          const why = `connection lost and reconnecting failed: ${(e as Error).message}`;
          rb = { restored: [], removed: [], left: [], tempRemoved: [], stepsAlreadyRun: stepsRun, notRestored: [] };
          for (const a of applied) {
            if (a.tmp) rb.notRestored.push({ path: a.tmp, error: `temp file may be left behind (the next deploy removes it); ${why}` });
            if (a.renamed)
              rb.notRestored.push({ path: a.plan.file.path, error: `${why}; ${a.backup ? `the old file is in ${a.backup}` : 'it was a new file'}` });
          }
        }
      }
      if (host) rb = await rollback(host, applied, stepsRun, progress, otherRunSince);
    }
    if (rb) {
      for (const f of files) {
        if (rb.restored.includes(f.path) || rb.removed.includes(f.path)) {
          if (f.status === 'changed') f.status = 'rolled-back';
        }
        const lost = rb.notRestored.find((n) => n.path === f.path);
        if (lost) f.error = `${f.error ? `${f.error}\n` : ''}NOT RESTORED: ${lost.error}`;
        const left = rb.left.find((n) => n.path === f.path);
        if (left) f.error = `${f.error ? `${f.error}\n` : ''}not put back: ${left.reason}`;
      }
    }
    if (host && host.conn.lostReason() === undefined) {
      const back = new Set([...(rb?.restored ?? []), ...(rb?.removed ?? [])]);
      await settle(host, (plan) => back.has(plan.file.path));
    }
    return { files, steps, rollback: rb, error, notes: notes.length > 0 ? notes : undefined };
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
    if (opts.interrupted()) return fail(new Interrupted(`interrupted before ${plan.file.path}; this run's files are put back`));
    try {
      files[i] = { ...(await applyFile(remote, plan, now, applied, progress, keysFor(plan))), leftoversRemoved: files[i].leftoversRemoved };
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

  if (opts.skipSteps) {
    for (const s of steps.filter((x) => x.status === 'skipped'))
      progress(`step ${s.id}: skipped (--skip-steps or steps: skip); pending on the host: ${s.command}`);
    return { files, steps };
  }

  for (const [i, { step: hostStep, because, pendingFrom }] of planned.entries()) {
    if (because.length + pendingFrom.length === 0) continue;
    if (opts.interrupted()) {
      await settle(remote, () => false);
      const left = steps.filter((s) => s.status === 'not-reached').map((s) => s.id);
      return {
        files,
        steps,
        error: new Interrupted(`interrupted: steps not run: ${left.join(', ')}; they are recorded on the host and the next deploy runs them`),
        notes: notes.length > 0 ? notes : undefined,
      };
    }
    const step = hostStep.step;
    let stdinFile: string | undefined;
    const input = step.stdinFromFile === undefined ? undefined : work.bundleFiles.get(step.stdinFromFile)!;
    try {
      // Under sudo -S the step cannot read the channel: its input is staged first.
      if (input && !remote.streamsInput) stdinFile = await remote.stageData(input);
    } catch (caught) {
      const e = asFailure(caught);
      steps[i] = { ...steps[i], status: 'failed' };
      return fail(
        e instanceof ConnectionLost ? e : new DeployFailure(`step ${hostStep.key}: cannot upload its input ${step.stdinFromFile}: ${e.message}`, e.details),
      );
    }
    const why = pendingFrom.length > 0 && because.length === 0 ? ` (pending: an earlier deploy changed ${fewPaths(pendingFrom)} and did not complete it)` : '';
    progress(`step ${hostStep.key}: ${step.description}${why}`);
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
      const e = asFailure(caught);
      if (e instanceof ConnectionLost) {
        // The command went out; whether it ran, and how far, the host did not get to say.
        steps[i] = { ...steps[i], status: 'may-have-run' };
        return fail(
          new ConnectionLost(
            `step ${hostStep.key} may have run: ${e.message} while it was running; it stays pending on the host and runs again on the next deploy`,
          ),
        );
      }
      steps[i] = { ...steps[i], status: 'failed' };
      return fail(e);
    }
    const output: CommandOutput = { command: r.command, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stdout: r.stdout, stderr: r.stderr };
    if (r.timedOut || r.exitCode !== 0) {
      steps[i] = { ...steps[i], status: 'failed', output };
      return fail(new DeployFailure(`step ${hostStep.key} failed: ${describeFailure(r, step.timeoutSec)}`, outputLines(r)));
    }
    steps[i] = { ...steps[i], status: 'ran', output };
    stepsRun.push(hostStep.key);
    for (const k of hostStep.keys) done.add(k);
  }
  await settle(remote, () => false);
  return { files, steps, notes: notes.length > 0 ? notes : undefined };
}
