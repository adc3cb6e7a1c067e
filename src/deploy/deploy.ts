/** Deploys one connector's bundle to the site's targets: build → select work by role → fleet. */
import type { Bundle } from '../bundle/build.js';
import type { Site } from '../model/site.js';
import { deployFleet } from './fleet.js';
import { selectWork } from './work.js';
import { exitCodeOf } from './report.js';
import type { SecretSources } from './secrets.js';
import type { HostResult } from './types.js';

export interface DeployOptions {
  targets?: string[];
  check?: boolean;
  diff?: boolean;
  concurrency?: number;
  secrets: SecretSources;
  progress?: (target: string, message: string) => void;
  now?: Date;
  /** Files only: every step stays pending on its host (the report lists each with its command). */
  skipSteps?: boolean;
  /** Set once the user asked to stop (SIGINT/SIGTERM): nothing new is started, what is in flight finishes or is put back. */
  interrupted?: () => boolean;
}

export interface DeployOutcome {
  siem: string;
  check: boolean;
  hosts: HostResult[];
  /** 0 all ok, 1 a host failed (restored), 2 internal error, 3 a host could not be restored. */
  exitCode: number;
}

export const DEFAULT_CONCURRENCY = 4;

/** Deploys a built bundle (any connector, registered or not) to the site's targets. */
export async function deployBundle(bundle: Bundle, site: Site, opts: DeployOptions): Promise<DeployOutcome> {
  const works = selectWork(bundle, site, opts.targets ?? []);
  const check = opts.check ?? false;
  const fleet = await deployFleet(works, {
    check,
    diff: opts.diff ?? false,
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
    secrets: opts.secrets,
    progress: opts.progress ?? (() => undefined),
    now: opts.now,
    skipSteps: opts.skipSteps,
    interrupted: opts.interrupted,
  });
  const code = exitCodeOf(fleet.hosts);
  return { siem: bundle.connector.id, check, hosts: fleet.hosts, exitCode: fleet.internalError ? Math.max(code, 2) : code };
}
