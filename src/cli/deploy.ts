/** `ctconnect deploy <siem>`: install a bundle on the site's targets over SSH. */
import { InvalidArgumentError, type Command } from 'commander';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { deployBundle, DEFAULT_CONCURRENCY } from '../deploy/deploy.js';
import { selectWork } from '../deploy/work.js';
import { buildBundle } from '../bundle/build.js';
import { createRenderer } from '../render/engine.js';
import { createProgress } from './progress.js';
import { colorDiff, fitColumns } from './output.js';
import { hostDetails, summaryTable, toJson } from '../deploy/report.js';
import { terminalPrompt } from '../kernel/prompt.js';
import { DeployFailure } from '../deploy/types.js';
import { redactJson, redactText, secretEnvValues } from '../kernel/redact.js';
import { rememberSecret } from '../kernel/run-secrets.js';
import { action, catchInterrupts, INTERRUPTED_EXIT } from './run.js';
import type { ConnectorSet } from '../connector/connector-set.js';

/** How deeply the deploy report (src/deploy/report.ts) indents each file's diff. */
const DIFF_INDENT = ' '.repeat(12);

interface DeployCliOptions {
  config?: string;
  target?: string[];
  check?: boolean;
  diff?: boolean;
  json?: boolean;
  concurrency: number;
  switchSiem?: boolean;
  skipSteps?: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('must be a whole number from 1 to 256');
  return n;
}

/** `--target a,b --target c` → [a, b, c]. */
function targetList(value: string, previous: string[] | undefined): string[] {
  const names = value.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) throw new InvalidArgumentError(`a target name is empty in "${value}"`);
  return [...(previous ?? []), ...names];
}

export function register(program: Command, registry: ConnectorSet): void {
  program
    .command('deploy')
    .description('install a SIEM bundle on the targets of the site file over SSH (backup, validate, atomic replace, restart on change, rollback on failure)')
    .argument('<siem>', 'connector id, see `ctconnect list`')
    .option('-c, --config <file>', CONFIG_HELP)
    // Not variadic: `--target NAME SIEM` must leave the SIEM to the argument.
    .option(
      '-t, --target <name>',
      'only this target; repeat it or give a,b for several (default: every target with a role the bundle installs for)',
      targetList,
    )
    .option('--check', 'write nothing: connect, compare and report what would change')
    .option('--diff', 'show unified diffs of the changes (secrets redacted)')
    .option('--json', 'print the result as JSON on stdout (progress still goes to stderr)')
    .option('--skip-steps', 'install the files only; the steps they call for (restarts, imports) stay pending on the host and the next deploy runs them')
    .option('--switch-siem', "patch a CyberTrace that serves another SIEM for this one (that SIEM's detections stop)")
    .option('--concurrency <n>', 'targets deployed at the same time', positiveInt, DEFAULT_CONCURRENCY)
    .addHelpText(
      'after',
      `
Secrets never go on the command line: a target names the environment variables holding its key
passphrase or login password (password_env) and sudo password (sudo_password_env); when one is
not set and stdin is a terminal, ctconnect asks.

Exit codes: 0 every target ok or changed; 1 a target failed (connection, host key, sudo,
validation or a step) and was left as it was or restored from this run's backups; 2 internal
error; 3 a target failed and some file could not be restored (the report names it); 130
interrupted (SIGINT/SIGTERM: nothing new starts, the file in flight finishes or is put back,
the report is printed; steps not run stay pending on the host for the next deploy).`,
    )
    .action(
      action(async (siem: string, opts: DeployCliOptions) => {
        const site = loadCliSite(opts.config, registry);
        // Command output and messages may quote secrets: the values of the variables the site names, and anything that looks like one.
        const named = site.targets.flatMap((t) => [t.password_env, t.sudo_password_env].filter((n): n is string => !!n));
        // Also in their echoed shapes (base64, JSON-escaped, URL-encoded), whatever the variables are called.
        for (const n of named) rememberSecret(process.env[n]);
        const secrets = secretEnvValues(process.env, named);
        const bundle = await buildBundle(registry.get(siem), site, createRenderer(), { allowSiemSwitch: opts.switchSiem });
        const progress = createProgress(selectWork(bundle, site, opts.target ?? []).map((w) => w.target.name));
        let outcome;
        const signals = catchInterrupts((signal) =>
          process.stderr.write(
            `ctconnect: ${signal}: finishing the file operation in flight, then stopping (again to quit at once; steps not run stay pending on the hosts)\n`,
          ),
        );
        try {
          outcome = await deployBundle(bundle, site, {
            targets: opts.target,
            check: opts.check,
            diff: opts.diff,
            concurrency: opts.concurrency,
            skipSteps: opts.skipSteps,
            interrupted: signals.interrupted,
            secrets: { env: process.env, prompt: terminalPrompt(() => new DeployFailure('interrupted at the password prompt')) },
            progress: (target, message) => progress.step(target, redactText(message, secrets, { prose: true })),
          });
          for (const h of outcome.hosts) progress.done(h.target, h.status !== 'failed', outcome.check && h.status === 'changed' ? 'would change' : h.status);
        } finally {
          signals.stop();
          await progress.finish();
        }
        if (opts.json) {
          const doc = {
            ...(JSON.parse(toJson(outcome.siem, outcome.check, outcome.hosts)) as object),
            ...(signals.interrupted() ? { interrupted: true } : {}),
          };
          process.stdout.write(JSON.stringify(redactJson(doc, secrets), null, 2) + '\n');
        } else {
          for (const h of outcome.hosts) {
            const text = redactText(hostDetails(h), secrets);
            process.stdout.write(opts.diff ? colorDiff(text, process.stdout, DIFF_INDENT) : text);
          }
          process.stdout.write(summaryTable(outcome.hosts, outcome.check, (w) => fitColumns(w)));
        }
        return signals.interrupted() ? INTERRUPTED_EXIT : outcome.exitCode;
      }),
    );
}
