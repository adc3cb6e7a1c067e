/** `ctconnect validate`: check a site file and every configured bundle without writing anything. */
import type { Command } from 'commander';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { allConnectors } from '../../connectors/registry.js';
import { buildBundle } from '../bundle/build.js';
import { createRenderer } from '../render/engine.js';
import { UserError } from '../core/errors.js';
import { action } from './run.js';
import { detail, warn } from './output.js';
import { printJson } from './json.js';
import { instancesOf, servedBy } from '../config/instances.js';

/** Loads the site and renders every configured bundle in memory; throws on the first problem. */
async function check(config?: string) {
  const site = loadCliSite(config);
  const render = createRenderer();
  const configured = allConnectors().filter((c) => site.siems[c.id] !== undefined);
  for (const c of configured) await buildBundle(c, site, render);
  return {
    source: site.source,
    siems: configured.map((c) => c.id),
    targets: site.targets.map((t) => t.name),
    cybertraces: instancesOf(site).map(({ instance: ct }) => ({ name: ct.name ?? null, address: ct.address, version: ct.version, serves: servedBy(site, ct) })),
    warnings: site.warnings ?? [],
  };
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('check the site file and render every configured bundle in memory; writes nothing')
    .argument('[file]', 'site file (the same as --config)')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the result as JSON (problems included; the exit code still tells)')
    .action(action(async (file: string | undefined, opts: { config?: string; json?: boolean }) => {
      if (file !== undefined && opts.config !== undefined && file !== opts.config) {
        throw new UserError(`two site files given: ${file} and --config ${opts.config}; give one`);
      }
      const config = file ?? opts.config;
      if (!opts.json) {
        const r = await check(config);
        for (const w of r.warnings) warn(w);
        const instances = r.cybertraces.map((c) => `${c.name ?? 'cybertrace'} (${c.address}) serves ${c.serves.join(', ') || 'no SIEM'}`).join('; ');
        process.stdout.write(`${r.source}: valid; bundles: ${r.siems.join(', ') || '(no SIEM configured)'}; targets: ${r.targets.length}\n`);
        detail(`CyberTrace: ${instances}`);
        return 0;
      }
      try {
        printJson('validate', { valid: true, ...(await check(config)) });
        return 0;
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        printJson('validate', { valid: false, error: e.message, problems: e.details });
        return 1;
      }
    }));
}
