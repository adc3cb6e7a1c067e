/** `ctconnect export ansible <siem…> | --all`: the deploy plan as an Ansible role per connector, a playbook and an inventory. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { allConnectors, getConnector } from '../../connectors/registry.js';
import { buildBundle, type Bundle } from '../bundle/build.js';
import { createRenderer } from '../render/engine.js';
import { UserError } from '../core/errors.js';
import { exampleSitePath, packageRoot } from '../core/paths.js';
import { ansibleExport, type ExportedFile } from '../deploy/ansible.js';
import { action } from './run.js';

/** Marks a folder as written by this command, so a later export may replace it and nothing else. */
const MARK = '.ctconnect-ansible';

/** Writes the export under a staging folder beside `out`, then swaps it in: all or nothing. */
async function writeExport(files: ExportedFile[], out: string): Promise<void> {
  if (existsSync(out) && !existsSync(join(out, MARK))) {
    throw new UserError(`${out} exists and was not written by \`ctconnect export ansible\`; choose another --out or remove it`);
  }
  await mkdir(dirname(out), { recursive: true });
  const stage = await mkdtemp(join(dirname(out), '.ctconnect-export-'));
  try {
    for (const f of [...files, { path: MARK, content: 'written by ctconnect export ansible\n', mode: 0o644 }]) {
      const p = join(stage, f.path);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, f.content);
      await chmod(p, f.mode);
    }
    if (existsSync(out)) await rm(out, { recursive: true });
    await rename(stage, out);
  } catch (e) {
    await rm(stage, { recursive: true, force: true });
    throw e;
  }
}

export function register(program: Command): void {
  const exp = program.command('export').description('export the deploy plan for another deployment engine');
  exp
    .command('ansible')
    .description('write an Ansible role per connector, a playbook and an inventory from the same plan `deploy` runs')
    .argument('[siem...]', 'connector ids, see `ctconnect list`')
    .option('--all', 'every SIEM configured under `siems:` in the site file')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('-o, --out <dir>', 'output folder', 'out/ansible')
    .action(action(async (siems: string[], opts: { all?: boolean; config?: string; out: string }) => {
      if (opts.all && siems.length > 0) throw new UserError('give either SIEM names or --all, not both');
      if (!opts.all && siems.length === 0) throw new UserError('name at least one SIEM (see `ctconnect list`) or use --all');
      const site = loadCliSite(opts.config);
      const connectors = opts.all ? allConnectors().filter((c) => site.siems[c.id] !== undefined) : [...new Set(siems)].map(getConnector);
      const render = createRenderer();
      const bundles: Bundle[] = [];
      for (const c of connectors) bundles.push(await buildBundle(c, site, render));
      const files = ansibleExport(bundles, site, {
        sitePath: site.file ?? exampleSitePath(),
        ctconnectCommand: [process.execPath, join(packageRoot(), 'bin', 'ctconnect.js')],
      });
      await writeExport(files, resolve(opts.out));
      process.stdout.write(`wrote ${opts.out}: roles ${bundles.map((b) => `ctconnect_${b.connector.id}`).join(', ')}, site.yml, inventory.yml (${site.targets.length} targets)\n`);
      process.stdout.write(`run: cd ${opts.out} && ansible-playbook site.yml --check --diff\n`);
    }));
}
