/**
 * Deploys to several targets in parallel, at most `concurrency` at a time. Secrets are gathered
 * for every target first (prompts never interleave); each host then runs on its own and a failure
 * on one host changes nothing on the others.
 */
import type { Progress } from './apply.js';
import { deployHost, secretValues } from './host.js';
import { redactText } from '../kernel/redact.js';
import type { HostWork } from './types.js';
import { resolveSecrets, type SecretSources, type TargetSecrets } from './secrets.js';
import { DeployFailure, type HostResult } from './types.js';

export interface FleetOptions {
  check: boolean;
  diff: boolean;
  concurrency: number;
  secrets: SecretSources;
  /** Called with the target name and a one-line message as each host progresses. */
  progress: (target: string, message: string) => void;
  now?: Date;
  skipSteps?: boolean;
  /** Set once the user asked to stop: hosts not started yet are not started. */
  interrupted?: () => boolean;
}

export interface FleetResult {
  hosts: HostResult[];
  /** A host failed on a bug (not on the host's state); the CLI exits 2. */
  internalError: boolean;
}

function failedBeforeStart(work: HostWork, check: boolean, message: string, details: string[]): HostResult {
  const t = work.target;
  return {
    target: t.name,
    address: `${t.user}@${t.host}:${t.port}`,
    status: 'failed',
    check,
    files: work.files.map((f) => ({ bundlePath: f.bundlePath, path: f.path, status: 'not-reached', reasons: [] })),
    steps: work.steps.map((s) => ({ id: s.key, description: s.step.description, status: 'not-reached', because: [] })),
    error: { message, details },
    durationMs: 0,
  };
}

/** Runs `fn` over `items`, at most `limit` at once, keeping the input order in the output. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** The result with every occurrence of the given values masked. */
function hideIn(result: HostResult, values: string[]): HostResult {
  if (values.length === 0) return result;
  return JSON.parse(JSON.stringify(result), (_k, v: unknown) => (typeof v === 'string' ? redactText(v, values, { knownOnly: true }) : v)) as HostResult;
}

export async function deployFleet(works: HostWork[], opts: FleetOptions): Promise<FleetResult> {
  const secrets: Array<TargetSecrets | DeployFailure> = [];
  for (const w of works) {
    try {
      secrets.push(await resolveSecrets(w.target, opts.secrets));
    } catch (e) {
      if (!(e instanceof DeployFailure)) throw e;
      secrets.push(e);
    }
  }
  let internalError = false;
  const hosts = await mapLimit(works, opts.concurrency, async (work, i) => {
    const s = secrets[i];
    const name = work.target.name;
    // Passwords typed at a prompt are no environment variable the CLI could hide: the fleet hides every
    // secret of the target in what it reports.
    const hide = s instanceof DeployFailure ? [] : secretValues(s);
    const progress: Progress = (m) => opts.progress(name, redactText(m, hide, { knownOnly: true }));
    if (s instanceof DeployFailure) {
      progress(`failed: ${s.message}`);
      return failedBeforeStart(work, opts.check, s.message, s.details);
    }
    if (opts.interrupted?.()) {
      progress('not started: interrupted');
      return failedBeforeStart(work, opts.check, 'not started: interrupted', []);
    }
    try {
      const hostOpts = { check: opts.check, diff: opts.diff, now: opts.now, skipSteps: opts.skipSteps, interrupted: opts.interrupted };
      const r = hideIn(await deployHost(work, s, hostOpts, progress), hide);
      progress(
        r.status === 'failed' ? `failed: ${r.error?.message ?? ''}` : r.status === 'changed' ? (opts.check ? 'would change' : 'changed') : 'ok, no change',
      );
      return r;
    } catch (e) {
      internalError = true;
      const err = e as Error;
      progress(`failed: internal error: ${err.message}`);
      return failedBeforeStart(
        work,
        opts.check,
        `internal error: ${err.message}`,
        (err.stack ?? '')
          .split('\n')
          .slice(1, 6)
          .map((l) => l.trim()),
      );
    }
  });
  return { hosts, internalError };
}
