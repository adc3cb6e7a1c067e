/** `ctconnect validate`: check a site file and every configured bundle without writing anything. */
import type { Command } from 'commander';
import { loadSite } from '../config/load.js';
import { allConnectors } from '../../connectors/registry.js';
import { buildBundle } from '../bundle/build.js';
import { createRenderer } from '../render/engine.js';
import { UserError } from '../core/errors.js';
import { action, reportError } from './run.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check the site file and render every configured bundle in memory; writes nothing')
    .option('-c, --config <file>', 'site file (default: the built-in example site)')
    .option('--json', 'print the result as JSON')
    .action(action(async (opts: { config?: string; json?: boolean }) => {
      if (!opts.json) {
        const site = loadSite(opts.config);
        const render = createRenderer();
        const configured = allConnectors().filter((c) => site.siems[c.id] !== undefined);
        for (const c of configured) buildBundle(c, site, render);
        process.stdout.write(`${site.source}: valid; bundles: ${configured.map((c) => c.id).join(', ') || '(no SIEM configured)'}; targets: ${site.targets.length}\n`);
        return 0;
      }
      try {
        const site = loadSite(opts.config);
        const render = createRenderer();
        const configured = allConnectors().filter((c) => site.siems[c.id] !== undefined);
        for (const c of configured) buildBundle(c, site, render);
        process.stdout.write(JSON.stringify({ valid: true, source: site.source, siems: configured.map((c) => c.id), targets: site.targets.map((t) => t.name) }, null, 2) + '\n');
        return 0;
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        process.stdout.write(JSON.stringify({ valid: false, error: e.message, problems: e.details }, null, 2) + '\n');
        reportError(e);
        return 1;
      }
    }));
}
