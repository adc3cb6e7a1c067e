/** `ctconnect export ansible <siem…> | --all`: the deploy plan as an Ansible role per connector, a playbook and an inventory. */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { buildBundle, type Bundle } from '../bundle/build.js';
import { createRenderer } from '../render/engine.js';
import { UserError } from '../kernel/errors.js';
import { exampleSitePath, packageRoot } from '../kernel/paths.js';
import { asPathProblem, checkOutputFolder } from '../kernel/files.js';
import { ansibleExport, type ExportedFile } from '../deploy/ansible.js';
import { action } from './run.js';
import type { ConnectorSet } from '../connector/connector-set.js';

/** Marks a folder as written by this command and lists what it wrote, so a later export replaces that and nothing else. */
const MARK = '.ctconnect-ansible';

/** Files below `dir`, relative, POSIX separators. */
async function filesBelow(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesBelow(dir, r)));
    else out.push(r);
  }
  return out;
}

/**
 * Writes the export under a staging folder beside `out`, then swaps it in: all or nothing. Files the
 * user added to an earlier export (group_vars, a vault file) are carried over; files the earlier export
 * wrote and this one does not are dropped.
 */
async function writeExport(files: ExportedFile[], out: string): Promise<void> {
  let previous: string[] | undefined;
  if (existsSync(out)) {
    if (!existsSync(join(out, MARK)))
      throw new UserError(`${out} exists and was not written by \`ctconnect export ansible\`; choose another --out or remove it`);
    previous = (await readFile(join(out, MARK), 'utf8')).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  }
  await mkdir(dirname(out), { recursive: true });
  const stage = await mkdtemp(join(dirname(out), '.ctconnect-export-'));
  try {
    const written = new Set(files.map((f) => f.path));
    const mark = ['# written by ctconnect export ansible; the next export replaces these files and keeps any other', ...[...written].sort(), ''].join('\n');
    for (const f of [...files, { path: MARK, content: mark, mode: 0o644 }]) {
      const p = join(stage, f.path);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, f.content);
      await chmod(p, f.mode);
    }
    if (previous) {
      const ours = new Set([...previous, MARK]);
      for (const rel of await filesBelow(out)) {
        if (ours.has(rel) || written.has(rel)) continue;
        await mkdir(dirname(join(stage, rel)), { recursive: true });
        await cp(join(out, rel), join(stage, rel), { preserveTimestamps: true });
      }
      await rm(out, { recursive: true });
    }
    await rename(stage, out);
  } catch (e) {
    await rm(stage, { recursive: true, force: true });
    throw e;
  }
}

export function register(program: Command, registry: ConnectorSet): void {
  const exp = program.command('export').description('export the deploy plan for another deployment engine');
  exp
    .command('ansible')
    .description('write an Ansible role per connector, a playbook and an inventory from the same plan `deploy` runs')
    .argument('[siem...]', 'connector ids, see `ctconnect list`')
    .option('--all', 'every SIEM configured under `siems:` in the site file')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('-o, --out <dir>', 'output folder', 'out/ansible')
    .action(
      action(async (siems: string[], opts: { all?: boolean; config?: string; out: string }) => {
        if (opts.all && siems.length > 0) throw new UserError('give either SIEM names or --all, not both');
        if (!opts.all && siems.length === 0) throw new UserError('name at least one SIEM (see `ctconnect list`) or use --all');
        const site = loadCliSite(opts.config, registry);
        const connectors = opts.all ? registry.all().filter((c) => site.siems[c.id] !== undefined) : [...new Set(siems)].map(registry.get);
        const render = createRenderer();
        const bundles: Bundle[] = [];
        for (const c of connectors) bundles.push(await buildBundle(c, site, render));
        const files = ansibleExport(bundles, site, {
          sitePath: site.file ?? exampleSitePath(),
          ctconnectCommand: [process.execPath, join(packageRoot(), 'bin', 'ctconnect.js')],
        });
        checkOutputFolder(opts.out, `--out ${opts.out}`);
        await writeExport(files, resolve(opts.out)).catch((e: unknown) => {
          throw asPathProblem(`--out ${opts.out}`, opts.out, e);
        });
        process.stdout.write(
          `wrote ${opts.out}: roles ${bundles.map((b) => `ctconnect_${b.connector.id}`).join(', ')}, site.yml, inventory.yml (${site.targets.length} targets)\n`,
        );
        process.stdout.write(`run: cd ${opts.out} && ansible-playbook site.yml --check --diff\n`);
      }),
    );
}
