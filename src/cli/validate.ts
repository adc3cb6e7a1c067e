/** `ctconnect validate`: check a site file and every configured bundle without writing anything. */
import type { Command } from 'commander';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { buildBundle } from '../bundle/build.js';
import { createRenderer } from '../render/engine.js';
import { UserError } from '../kernel/errors.js';
import { allRolesTarget, workOf } from '../deploy/work.js';
import { action } from './run.js';
import { detail, info, warn, write } from './output.js';
import { printJson } from './json.js';
import { instancesOf, servedBy } from '../config/instances.js';
import type { ConnectorSet } from '../connector/connector-set.js';

interface DeployPlanLine {
  siem: string;
  target: string;
  files: number;
  /** Bundle files that are edits merged into another file on the target. */
  mergedEdits: number;
  steps: string[];
  /** false: the target says `steps: skip` (files only). */
  stepsRun: boolean;
}

/**
 * Loads the site, renders every file of every configured bundle in memory (not the MANIFEST nor
 * archives: checksums and archives of files just checked) and plans its deploy without
 * connecting: against a target with every role of the bundle (so a plan inconsistency shows even
 * without targets) and against each target of the site. Throws on the first problem.
 */
async function check(registry: ConnectorSet, config?: string) {
  const site = loadCliSite(config, registry);
  const render = createRenderer();
  const configured = registry.all().filter((c) => site.siems[c.id] !== undefined);
  const deploy: DeployPlanLine[] = [];
  for (const c of configured) {
    const bundle = await buildBundle(c, site, render, { checkOnly: true });
    workOf(bundle, allRolesTarget(bundle));
    for (const t of site.targets) {
      const w = workOf(bundle, t);
      if (w.files.length === 0 && w.steps.length === 0) continue;
      const parts = w.files.reduce((n, f) => n + (f.merged ? f.parts.length : 0), 0);
      deploy.push({ siem: c.id, target: t.name, files: w.files.length, mergedEdits: parts, steps: w.steps.map((s) => s.key), stepsRun: t.steps !== 'skip' });
    }
  }
  return {
    source: site.source,
    siems: configured.map((c) => c.id),
    targets: site.targets.map((t) => t.name),
    cybertraces: instancesOf(site).map(({ instance: ct }) => ({
      name: ct.name ?? null,
      address: ct.address,
      version: ct.version,
      serves: servedBy(site, ct),
      ...(ct.tenants ? { tenants: ct.tenants.map((t) => ({ name: t.name, serves: t.serves, input_port: t.input_port ?? ct.input_port })) } : {}),
      ...(ct.version === '5.x' ? { service_alerts: ct.service_alerts ?? null } : {}),
    })),
    deploy,
    warnings: site.warnings ?? [],
    notes: site.notes ?? [],
  };
}

export function register(program: Command, registry: ConnectorSet): void {
  program
    .command('validate')
    .description('check the site file and render every configured bundle in memory; writes nothing')
    .argument('[file]', 'site file (the same as --config)')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the result as JSON (problems included; the exit code still tells)')
    .action(
      action(async (file: string | undefined, opts: { config?: string; json?: boolean }) => {
        if (file !== undefined && opts.config !== undefined && file !== opts.config) {
          throw new UserError(`two site files given: ${file} and --config ${opts.config}; give one`);
        }
        const config = file ?? opts.config;
        if (!opts.json) {
          const r = await check(registry, config);
          for (const w of r.warnings) warn(w);
          const instances = r.cybertraces
            .map((c) => {
              const serves = c.tenants
                ? c.tenants.map((t) => `${t.serves.join(', ')} (tenant ${t.name}, port ${t.input_port})`).join(', ')
                : c.serves.join(', ') || 'no SIEM';
              return `${c.name ?? 'cybertrace'} (${c.address}) serves ${serves}`;
            })
            .join('; ');
          write(1, `${r.source}: valid; bundles: ${r.siems.join(', ') || '(no SIEM configured)'}; targets: ${r.targets.length}\n`);
          detail(`CyberTrace: ${instances}`);
          for (const n of r.notes) info(`note: ${n}`);
          for (const d of r.deploy) {
            const merged = d.mergedEdits > 0 ? ` (${d.mergedEdits} edit${d.mergedEdits === 1 ? '' : 's'} merged into shared files)` : '';
            const steps =
              d.steps.length === 0
                ? 'none'
                : d.stepsRun
                  ? `${d.steps.join(', ')} (each when a file it depends on changed)`
                  : `none run (steps: skip; files only, pending on the host: ${d.steps.join(', ')})`;
            write(1, `  deploy ${d.siem} → ${d.target}: ${d.files} file${d.files === 1 ? '' : 's'}${merged}; steps: ${steps}\n`);
          }
          return 0;
        }
        try {
          printJson('validate', { valid: true, ...(await check(registry, config)) });
          return 0;
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          printJson('validate', { valid: false, error: e.message, problems: e.details });
          return 1;
        }
      }),
    );
}
