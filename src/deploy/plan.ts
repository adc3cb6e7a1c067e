/**
 * What a deploy would change: which files and steps each target gets (by role), and for each
 * file, what is on the target now (sha256, mode, owner) against what the bundle wants there.
 * Reads only; `--check` stops after this.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { BundleFile, InstallSpec, InstallStep } from '../../connectors/types.js';
import type { Bundle } from '../bundle/build.js';
import type { DeployTarget, Site } from '../config/site.js';
import { InternalError, UserError } from '../core/errors.js';
import { mergeBytes, MergeError } from './merge.js';
import type { RemoteHost } from './remote.js';
import { shellArg } from '../render/escape.js';
import { DeployFailure } from './types.js';

export interface HostFile {
  bundlePath: string;
  spec: InstallSpec;
  content: Buffer;
  /** The path on the target: spec.path below root_prefix when there is one. */
  path: string;
}

export interface HostWork {
  target: DeployTarget;
  files: HostFile[];
  steps: InstallStep[];
  /** Bundle files by bundle path, for steps that read one on stdin. */
  bundleFiles: Map<string, Buffer>;
}

export interface RemoteFileState {
  kind: 'absent' | 'file';
  mode?: number;
  owner?: string;
  sha256?: string;
  /** Folders above the file that do not exist yet, deepest first. */
  missingDirs: string[];
}

export interface FilePlan {
  file: HostFile;
  current: RemoteFileState;
  /** The current bytes; read for merges and for --diff. */
  oldContent?: Buffer;
  newContent: Buffer;
  changed: boolean;
  reasons: string[];
  /** Mode and owner to give the new file; merged files keep those of the file they merge into. */
  mode: number | 'keep';
  owner: string | 'keep' | 'default';
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const asBuffer = (c: string | Buffer): Buffer => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c);

export function installPath(target: DeployTarget, path: string): string {
  if (!path.startsWith('/') || posix.normalize(path) !== path || path.endsWith('/')) {
    throw new InternalError(`install path "${path}" is not a normalized absolute path`);
  }
  if (!target.root_prefix) return path;
  return `${target.root_prefix.replace(/\/+$/, '')}${path}`;
}

function checkBundle(bundle: Bundle): void {
  const paths = new Set(bundle.files.map((f) => f.path));
  const stepIds = new Set(bundle.steps.map((s) => s.id));
  if (stepIds.size !== bundle.steps.length) throw new InternalError(`${bundle.connector.id}: two install steps share an id`);
  for (const f of bundle.files) {
    for (const n of f.install?.notify ?? []) {
      if (!stepIds.has(n)) throw new InternalError(`${bundle.connector.id}: ${f.path} notifies unknown step "${n}"`);
    }
  }
  for (const s of bundle.steps) {
    if (s.stdinFromFile !== undefined && !paths.has(s.stdinFromFile)) {
      throw new InternalError(`${bundle.connector.id}: step ${s.id} reads ${s.stdinFromFile}, which is not in the bundle`);
    }
  }
}

/**
 * The work of each selected target: files and steps whose role the target has. With no names,
 * every target that gets something; a named target that gets nothing is an error.
 */
export function selectWork(bundle: Bundle, site: Site, names: string[]): HostWork[] {
  checkBundle(bundle);
  const installable = bundle.files.filter((f): f is BundleFile & { install: InstallSpec } => f.install !== undefined);
  const roles = [...new Set([...installable.map((f) => f.install.role), ...bundle.steps.map((s) => s.role)])];
  const id = bundle.connector.id;
  if (installable.length === 0 && bundle.steps.length === 0) throw new UserError(`the ${id} bundle installs nothing over SSH (see its INSTALL.md for the manual steps)`);
  if (site.targets.length === 0) throw new UserError(`${site.source}: no "targets" to deploy to; add one (see \`ctconnect init\`)`);
  for (const n of names) {
    if (!site.targets.some((t) => t.name === n)) {
      throw new UserError(`--target ${n}: no such target in ${site.source}; targets: ${site.targets.map((t) => t.name).join(', ')}`);
    }
  }
  const chosen = names.length > 0 ? site.targets.filter((t) => names.includes(t.name)) : site.targets;
  const bundleFiles = new Map(bundle.files.map((f) => [f.path, asBuffer(f.content)]));
  const work: HostWork[] = [];
  for (const target of chosen) {
    const files = installable
      .filter((f) => target.roles.includes(f.install.role))
      .map((f) => ({ bundlePath: f.path, spec: f.install, content: asBuffer(f.content), path: installPath(target, f.install.path) }));
    const steps = bundle.steps.filter((s) => target.roles.includes(s.role));
    const seen = new Set<string>();
    for (const f of files) {
      if (seen.has(f.path)) throw new InternalError(`${id}: two bundle files install to ${f.path} on ${target.name}`);
      seen.add(f.path);
    }
    if (files.length === 0 && steps.length === 0) {
      if (names.includes(target.name)) {
        throw new UserError(`target ${target.name} has roles ${target.roles.join(', ')}, but the ${id} bundle installs only for: ${roles.join(', ')}`);
      }
      continue;
    }
    work.push({ target, files, steps, bundleFiles });
  }
  if (work.length === 0) {
    throw new UserError(`no target in ${site.source} has a role the ${id} bundle installs for (${roles.join(', ')})`);
  }
  return work;
}

/** Looks at the file on the target: type, mode, owner, sha256, and which parent folders are missing. */
export async function probeFile(remote: RemoteHost, path: string): Promise<RemoteFileState> {
  const p = shellArg(path);
  const script = [
    `p=${p}`,
    'if [ -L "$p" ]; then echo symlink',
    'elif [ -f "$p" ]; then printf "file %s %s " "$(stat -c %a "$p")" "$(stat -c %U:%G "$p")"; sha256sum < "$p" | cut -d" " -f1',
    'elif [ -e "$p" ]; then echo other',
    'else echo absent; fi',
    'd=$(dirname "$p"); while [ ! -d "$d" ]; do echo "missing $d"; d=$(dirname "$d"); done',
  ].join('\n');
  const r = await remote.must(script, { timeoutSec: remote.target.command_timeout_sec, label: `inspect ${path}` });
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  const head = lines[0] ?? '';
  const missingDirs = lines.slice(1).filter((l) => l.startsWith('missing ')).map((l) => l.slice(8));
  if (head === 'symlink') throw new DeployFailure(`${path} is a symbolic link; refusing to replace it (point the install path at the real file)`);
  if (head === 'other') throw new DeployFailure(`${path} exists but is not a regular file`);
  if (head === 'absent') return { kind: 'absent', missingDirs };
  const m = /^file (\d+) (\S+) ([0-9a-f]{64})$/.exec(head);
  if (!m) throw new DeployFailure(`cannot inspect ${path}: unexpected answer ${JSON.stringify(head)}`, [r.stderr.trim()].filter(Boolean));
  return { kind: 'file', mode: parseInt(m[1]!, 8), owner: m[2], sha256: m[3], missingDirs };
}

const MAX_READ_BYTES = 64 * 1024 * 1024;

export async function readRemoteFile(remote: RemoteHost, path: string): Promise<Buffer> {
  const r = await remote.run(`cat -- ${shellArg(path)}`, {
    timeoutSec: remote.target.command_timeout_sec,
    label: `read ${path}`,
    maxStdoutBytes: MAX_READ_BYTES,
    stdoutMustFit: true,
  });
  if (r.timedOut || r.exitCode !== 0) throw new DeployFailure(`cannot read ${path}`, [r.stderr.trim()].filter(Boolean));
  if (r.stdoutTruncated) throw new DeployFailure(`${path} is larger than ${MAX_READ_BYTES} bytes; refusing to merge into it`);
  return r.stdoutBytes;
}

const octal = (m: number) => m.toString(8).padStart(4, '0');

/** Compares the target with the bundle for one file. */
export async function planFile(remote: RemoteHost, file: HostFile, wantDiff: boolean): Promise<FilePlan> {
  const current = await probeFile(remote, file.path);
  const spec = file.spec;
  let oldContent: Buffer | undefined;
  if (current.kind === 'file' && (spec.merge || (wantDiff && current.sha256 !== sha256(file.content)))) oldContent = await readRemoteFile(remote, file.path);
  // The file may change between probe and read; the hash of what we actually read is the one that counts.
  if (oldContent) current.sha256 = sha256(oldContent);

  let newContent = file.content;
  if (spec.merge) {
    try {
      newContent = mergeBytes(spec.merge, oldContent, file.content);
    } catch (e) {
      if (e instanceof MergeError) throw new DeployFailure(`${file.path}: ${e.message}`);
      throw e;
    }
  }

  const reasons: string[] = [];
  // A merge edits a shared file: it keeps that file's mode and owner, and sets them only on a new file.
  const keepAttrs = spec.merge !== undefined && current.kind === 'file';
  const mode = keepAttrs ? 'keep' : spec.mode & 0o7777;
  const owner = keepAttrs ? 'keep' : spec.owner ?? (current.kind === 'file' ? 'keep' : 'default');
  if (current.kind === 'absent') {
    reasons.push('new file');
  } else {
    if (current.sha256 !== sha256(newContent)) reasons.push('content');
    if (mode !== 'keep' && current.mode !== mode) reasons.push(`mode ${octal(current.mode!)} → ${octal(mode)}`);
    if (spec.owner && owner !== 'keep' && current.owner !== spec.owner) reasons.push(`owner ${current.owner} → ${spec.owner}`);
  }
  return { file, current, oldContent, newContent, changed: reasons.length > 0, reasons, mode, owner };
}
