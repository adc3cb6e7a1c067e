/** `ctconnect init [FILE]`: write the commented example site file as a starting point. */
import type { Command } from 'commander';
import { copyFileSync, constants } from 'node:fs';
import { exampleSitePath } from '../kernel/paths.js';
import { UserError } from '../kernel/errors.js';
import { asPathProblem, checkOutputFolder } from '../kernel/files.js';
import { dirname } from 'node:path';
import { action } from './run.js';
import { DEFAULT_SITE_FILE } from '../config/discover.js';
import type { ConnectorSet } from '../connector/connector-set.js';

export function register(program: Command, _registry: ConnectorSet): void {
  program
    .command('init')
    .description(
      `write the commented example site file (default: ./${DEFAULT_SITE_FILE}, which commands in this folder then use without --config); never overwrites`,
    )
    .argument('[file]', 'where to write it', DEFAULT_SITE_FILE)
    .action(
      action((file: string) => {
        checkOutputFolder(dirname(file), `init ${file}`);
        try {
          copyFileSync(exampleSitePath(), file, constants.COPYFILE_EXCL);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') throw new UserError(`${file}: already exists; not overwritten (choose another name or remove it)`);
          throw asPathProblem(`init ${file}`, file, e);
        }
        const found =
          file === DEFAULT_SITE_FILE ? 'commands run in this folder use it without --config' : `use it with --config ${file} or CTCONNECT_CONFIG=${file}`;
        process.stdout.write(`wrote ${file}: edit the addresses, then run \`ctconnect validate ${file}\` (${found})\n`);
      }),
    );
}
