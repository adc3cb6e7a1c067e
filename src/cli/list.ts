/** `ctconnect list`: the connectors and what each bundle of the site contains. */
import type { Command } from 'commander';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { buildBundle } from '../bundle/build.js';
import { createRenderer } from '../render/engine.js';
import { action } from './run.js';
import { printJson } from './json.js';
import type { ConnectorSet } from '../connector/connector-set.js';

export function register(program: Command, registry: ConnectorSet): void {
  program
    .command('list')
    .description('list the connectors and the files of their bundles')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the result as JSON')
    .action(
      action(async (opts: { config?: string; json?: boolean }) => {
        const site = loadCliSite(opts.config, registry);
        const render = createRenderer();
        const rows = [];
        for (const c of registry.all()) {
          const configured = site.siems[c.id] !== undefined;
          const files = configured
            ? (await buildBundle(c, site, render)).files.map((f) => ({ path: f.path, install: f.install ? `${f.install.role}:${f.install.path}` : null }))
            : [];
          rows.push({ id: c.id, title: c.title, summary: c.summary, siemVersions: c.siemVersions, configured, files });
        }
        if (opts.json) {
          printJson('list', { site: site.source, connectors: rows });
          return;
        }
        for (const r of rows) {
          process.stdout.write(`${r.id} — ${r.title}\n  ${r.summary}\n  versions: ${r.siemVersions}\n`);
          if (!r.configured) process.stdout.write(`  (not configured in ${site.source})\n`);
          for (const f of r.files) process.stdout.write(`    ${f.path}${f.install ? `  → ${f.install}` : ''}\n`);
        }
      }),
    );
}
