/** `ctconnect generate <siem…> | --all`: site file → bundle folders and archives. */
import type { Command } from 'commander';
import { UserError } from '../kernel/errors.js';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { CONFIG_ENV, DEFAULT_SITE_FILE } from '../config/discover.js';
import { buildBundle, originOf } from '../bundle/build.js';
import { foreignEntries, writeBundles, type BundleJob } from '../bundle/write.js';
import { checkOutputFolder } from '../kernel/files.js';
import { createRenderer } from '../render/engine.js';
import { action, catchInterrupts, INTERRUPTED_EXIT } from './run.js';
import { warn, write } from './output.js';
import { printJson } from './json.js';
import type { ConnectorSet } from '../connector/connector-set.js';

interface GenerateOptions {
  all?: boolean;
  config?: string;
  out: string;
  archive: string;
  json?: boolean;
  force?: boolean;
}

export function register(program: Command, registry: ConnectorSet): void {
  program
    .command('generate')
    .description('generate the bundles of the named SIEMs (or --all configured in the site file)')
    .argument('[siem...]', 'connector ids, see `ctconnect list`')
    .option('--all', 'every SIEM configured under `siems:` in the site file')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('-o, --out <dir>', 'output folder', 'out')
    .option('--archive <format>', 'archive next to each folder: tar.gz, zip or none', 'tar.gz')
    .option('--force', 'replace bundle folders generated from another site file (never files generate did not write)')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (siems: string[], opts: GenerateOptions) => {
        if (!['tar.gz', 'zip', 'none'].includes(opts.archive)) throw new UserError(`--archive: must be tar.gz, zip or none (got "${opts.archive}")`);
        if (opts.all && siems.length > 0) throw new UserError('give either SIEM names or --all, not both');
        const site = loadCliSite(opts.config, registry);
        let connectors;
        if (opts.all) {
          connectors = registry.all().filter((c) => site.siems[c.id] !== undefined);
          if (connectors.length === 0) throw new UserError(`${site.source}: no SIEM is configured under "siems:"`);
        } else {
          if (siems.length === 0) throw new UserError('name at least one SIEM (see `ctconnect list`) or use --all');
          connectors = [...new Set(siems)].map(registry.get);
        }
        for (const w of site.warnings ?? []) warn(w);
        checkOutputFolder(opts.out, `--out ${opts.out}`);
        // The example's addresses over someone's files by mistake (no site file found where the user thought).
        const foreign =
          site.file === undefined
            ? foreignEntries(
                opts.out,
                registry.ids(),
                connectors.map((c) => c.id),
              )
            : [];
        if (foreign.length > 0) {
          throw new UserError(
            `--out ${opts.out}: holds files ctconnect did not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}), and this run would fill it from the built-in example site`,
            [
              `there is no --config, no $${CONFIG_ENV} and no ./${DEFAULT_SITE_FILE}: give your site file with --config, or choose an empty --out to see the example`,
              'nothing was written',
            ],
          );
        }
        // Each bundle is built while the one before it is written; one that cannot be built ends the
        // run with nothing written (writeBundles removes what it made).
        const render = createRenderer();
        const jobs: BundleJob[] = connectors.map((c) => ({ id: c.id, origin: originOf(site), build: () => buildBundle(c, site, render) }));
        // Ctrl-C: no further bundle is built and nothing is put in place; what was made is removed, then exit 130.
        const signals = catchInterrupts((signal) => process.stderr.write(`ctconnect: ${signal}: stopping; nothing will be written (again to quit at once)\n`));
        let written;
        try {
          written = await writeBundles(jobs, opts.out, opts.archive as 'tar.gz' | 'zip' | 'none', { force: opts.force, interrupted: signals.interrupted });
        } catch (e) {
          if (!signals.interrupted()) throw e;
          process.stderr.write(`ctconnect: interrupted: nothing was written to ${opts.out}\n`);
          return INTERRUPTED_EXIT;
        } finally {
          signals.stop();
        }
        if (opts.json) {
          printJson('generate', {
            site: site.source,
            bundles: written.map((w) => ({ id: w.id, folder: w.folder, archive: w.archive ?? null, files: w.files, removed: w.removed })),
          });
        } else {
          write(1, `site: ${site.source}\n`);
          for (const w of written) {
            const removed = w.removed.length > 0 ? `; removed the earlier run's ${w.removed.join(', ')}` : '';
            write(1, `${w.id}: ${w.files} files in ${w.folder}${w.archive ? `, archive ${w.archive}` : ''}${removed}\n`);
          }
        }
      }),
    );
}
