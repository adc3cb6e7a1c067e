/** `ctconnect validate`: check a site file and every configured bundle without writing anything. */
import type { Command } from 'commander';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { allConnectors } from '../../connectors/registry.js';
import { buildBundle } from '../bundle/build.js';
import { createRenderer } from '../render/engine.js';
import { UserError } from '../core/errors.js';
import { action } from './run.js';

/** Loads the site and renders every configured bundle in memory; throws on the first problem. */
async function check(config?: string): Promise<{ source: string; siems: string[]; targets: string[] }> {
  const site = loadCliSite(config);
  const render = createRenderer();
  const configured = allConnectors().filter((c) => site.siems[c.id] !== undefined);
  for (const c of configured) await buildBundle(c, site, render);
  return { source: site.source, siems: configured.map((c) => c.id), targets: site.targets.map((t) => t.name) };
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('check the site file and render every configured bundle in memory; writes nothing')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the result as JSON (problems included; the exit code still tells)')
    .action(action(async (opts: { config?: string; json?: boolean }) => {
      if (!opts.json) {
        const r = await check(opts.config);
        process.stdout.write(`${r.source}: valid; bundles: ${r.siems.join(', ') || '(no SIEM configured)'}; targets: ${r.targets.length}\n`);
        return 0;
      }
      try {
        process.stdout.write(JSON.stringify({ valid: true, ...(await check(opts.config)) }, null, 2) + '\n');
        return 0;
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        process.stdout.write(JSON.stringify({ valid: false, error: e.message, problems: e.details }, null, 2) + '\n');
        return 1;
      }
    }));
}
