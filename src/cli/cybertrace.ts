/** `ctconnect cybertrace patch`: apply a connector's CyberTrace settings to an existing kl_feed_service.conf. */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { asPathProblem, backupFile, checkOutputFolder, pathProblem, writeFileAtomic } from '../kernel/files.js';
import { dirname } from 'node:path';
import { CONFIG_HELP, loadCliSite } from './site.js';
import { CONFIG_ENV, DEFAULT_SITE_FILE, findSiteFile } from '../config/discover.js';
import { UserError } from '../kernel/errors.js';
import { redactedUnifiedDiff, secretEnvValues } from '../kernel/redact.js';
import { ConfigPatchError, decodeConfigBytes, encodeConfigText, patchFeedServiceConfig } from '../cybertrace/patch.js';
import type { CyberTraceSettings } from '../model/cybertrace.js';
import { action } from './run.js';
import { registerServe } from './cybertrace-serve.js';
import { colorDiff, colors, detail, info } from './output.js';
import { settingsFor } from '../bundle/build.js';
import type { ConnectorSet } from '../connector/connector-set.js';

export interface PatchFileOptions {
  inPath: string;
  /** Absent = patch in place. */
  outPath?: string;
  backup: boolean;
  settings: CyberTraceSettings;
  /** Clock for the backup name (tests pin it). */
  now?: Date;
  /** Values to hide in the diff wherever they appear (besides what redaction finds by structure). */
  secrets?: readonly string[];
  /** Write nothing: only say what would change. */
  check?: boolean;
}

export interface PatchFileResult {
  /** False when the settings were already in the file. */
  changed: boolean;
  changes: string[];
  /** Unified diff input → output with secrets redacted (passwords, keys, tokens …), empty when nothing changed. */
  diff: string;
  /** The file written, if any (nothing is written when the target already holds the result). */
  written?: string;
  backupPath?: string;
  /** The patched file, byte for byte (what is or would be written). */
  bytes: Buffer;
}

function asUserError(e: unknown, file: string): unknown {
  if (!(e instanceof ConfigPatchError)) return e;
  const where = e.line === undefined ? file : `${file}:${e.line}:${e.column}`;
  return new UserError(`${where}: ${e.reason}`, ['nothing was written']);
}

async function readIfExists(path: string, what: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw asPathProblem(what, path, e);
  }
}

/** Reads, patches and writes one file; bad input throws a UserError before anything is written. */
export async function patchConfigFile(o: PatchFileOptions): Promise<PatchFileResult> {
  const inBytes = await readFile(o.inPath).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read ${o.inPath}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  let decoded: ReturnType<typeof decodeConfigBytes>;
  let result: ReturnType<typeof patchFeedServiceConfig>;
  let outBytes: Buffer;
  try {
    decoded = decodeConfigBytes(inBytes);
    result = patchFeedServiceConfig(decoded.text, o.settings);
    outBytes = encodeConfigText(result.text, decoded.encoding);
  } catch (e) {
    throw asUserError(e, o.inPath);
  }

  const target = o.outPath ?? o.inPath;
  const diff = result.changed ? redactedUnifiedDiff(o.inPath, target, decoded.text.replace(/\r\n/g, '\n'), result.text.replace(/\r\n/g, '\n'), o.secrets) : '';
  const unchanged = { changed: result.changed, changes: result.changes, diff, bytes: outBytes };
  if (o.check) return unchanged;
  const what = o.outPath === undefined ? `--in ${o.inPath}` : `--out ${o.outPath}`;
  if (o.outPath !== undefined) checkOutputFolder(dirname(o.outPath), what);
  const existing = o.outPath === undefined ? inBytes : await readIfExists(target, what);
  if (existing && existing.equals(outBytes)) return unchanged;

  // A folder or file we may not write (or whose owner we may not keep) is the user's to fix, not a crash.
  let backupPath: string | undefined;
  try {
    backupPath = existing && o.backup ? backupFile(target, o.now ?? new Date()) : undefined;
    writeFileAtomic(target, outBytes);
  } catch (e) {
    const problem = pathProblem(what, target, e);
    if (!problem) throw e;
    throw new UserError(`${problem.message}; ${target} was not changed`, backupPath ? [`a copy of it was made first: ${backupPath}`] : []);
  }
  return { ...unchanged, written: target, backupPath };
}

interface PatchCliOptions {
  in: string;
  siem: string;
  config?: string;
  out?: string;
  backup: boolean;
  check?: boolean;
  diff?: boolean;
  switchSiem?: boolean;
}

export function register(program: Command, registry: ConnectorSet): void {
  const ct = program.command('cybertrace').description('work on the CyberTrace side (kl_feed_service.conf), or stand in for CyberTrace (serve)');
  registerServe(ct, registry);
  ct.command('patch')
    .description("apply a connector's CyberTrace settings to an existing kl_feed_service.conf, keeping everything else as it is")
    .requiredOption('--in <file>', 'kl_feed_service.conf to read')
    .requiredOption('--siem <id>', 'connector whose settings to apply (see `ctconnect list`)')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--out <file>', 'write the result here instead of replacing --in ("-" = standard output)')
    .option('--check', 'write nothing: say what would change')
    .option('--diff', 'with --check: show the unified diff too (a run that writes always shows it)')
    .option('--switch-siem', 'patch a CyberTrace that serves another SIEM (its detections for that SIEM stop)')
    .option('--no-backup', 'do not keep a copy of the replaced file')
    .action(
      action(async (opts: PatchCliOptions) => {
        const connector = registry.get(opts.siem);
        const toStdout = opts.out === '-';
        // The built-in example's addresses in a real kl_feed_service.conf would cut CyberTrace off
        // from its SIEM: only a check may use them.
        if (!opts.check && findSiteFile(opts.config).path === undefined) {
          throw new UserError('cybertrace patch writes the addresses of a site into kl_feed_service.conf: give --config FILE', [
            `there is no --config, no $${CONFIG_ENV} and no ./${DEFAULT_SITE_FILE}; the built-in example site's addresses are not yours`,
            `write a site file with \`ctconnect init\` (it writes ./${DEFAULT_SITE_FILE}) and fill in your addresses, or add --check to only see what would change`,
          ]);
        }
        const site = loadCliSite(opts.config, registry);
        const r = await patchConfigFile({
          inPath: opts.in,
          outPath: toStdout ? undefined : opts.out,
          backup: opts.backup,
          check: opts.check || toStdout,
          settings: settingsFor(connector, site, { allowSiemSwitch: opts.switchSiem }),
          secrets: secretEnvValues(process.env),
        });
        if (toStdout) {
          // The file goes to stdout; everything said about it goes to stderr.
          process.stdout.write(r.bytes);
          for (const c of r.changes) detail(`  ${c}`);
          return;
        }
        const report = colors(process.stdout);
        if (opts.check) {
          process.stdout.write(
            r.changed ? `${report.yellow('would change')} ${opts.out ?? opts.in}:\n` : `no change: ${opts.in} already holds these settings\n`,
          );
          for (const c of r.changes) process.stdout.write(`  ${c}\n`);
          if (opts.diff && r.changed) process.stdout.write(colorDiff(r.diff));
          return;
        }
        process.stdout.write(r.changed ? colorDiff(r.diff) : 'no change\n');
        for (const c of r.changes) info(`  ${c}`);
        if (r.backupPath) info(`backup: ${r.backupPath}`);
        if (r.written) info(`wrote ${r.written}`);
        else if (opts.out !== undefined) info(`${opts.out} already holds the result; nothing written`);
      }),
    );
}
