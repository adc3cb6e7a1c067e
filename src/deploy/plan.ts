/**
 * What a deploy would change. First, without connecting (`workOf`, also run by `validate`): which
 * target files and steps each target gets by its roles — bundle files landing in one target file
 * are grouped into one edit, steps are keyed `role/id` and a host runs a command once. Then, per
 * file of a connected host: what is there now (one probe script for all files, `probeScript`) against
 * what the bundle wants there (`planFile`). Reads only; `--check` stops after this.
 */
import { posix } from 'node:path';
import type { BundleFile, InstallSpec, InstallStep, MergeSpec } from '../core/contract.js';
import type { Bundle } from '../bundle/build.js';
import type { DeployTarget, Site } from '../config/site.js';
import { sha256 } from '../core/hash.js';
import { InternalError, UserError } from '../core/errors.js';
import { mergeParts, MergeError } from './merge.js';
import { shellArg } from '../render/escape.js';
import { DeployFailure } from './types.js';

/** One bundle file's contribution to a target file: the whole file, or one merge edit of it. */
export interface FilePart {
  bundlePath: string;
  spec: InstallSpec;
  content: Buffer;
}

/** One file on one target, and everything this bundle puts into it. */
export interface HostFile {
  /** The path on the target: the install path below root_prefix when there is one. */
  path: string;
  /** The bundle files that make it, in bundle order: one whole file, or one or more merge edits. */
  parts: FilePart[];
  /** Bundle paths, for reports. */
  bundlePath: string;
  /** Edits inside an existing file (marked blocks, CyberTrace settings) rather than a whole file. */
  merged: boolean;
  mode: number;
  owner?: string;
  /** Validator run on the complete new file (merged result included), `{file}` = the temp file. */
  validate?: string;
  /** Keys (`role/id`) of the steps this file calls for when it changes. */
  notify: string[];
}

/** A step on one host. Steps of several roles with the same command and input run once. */
export interface HostStep {
  /** `role/id` of the first of them; what reports show. */
  key: string;
  /** Every `role/id` this entry stands for: a file notifying any of them runs it. */
  keys: string[];
  step: InstallStep;
}

export interface HostWork {
  target: DeployTarget;
  files: HostFile[];
  steps: HostStep[];
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
  /** Temp files an interrupted earlier run left beside this file. */
  leftovers: string[];
  /** Steps (keys) recorded beside this file by an earlier run that changed it and did not complete them. */
  pending: string[];
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

export const stepKey = (s: { role: string; id: string }): string => `${s.role}/${s.id}`;

const asBuffer = (c: string | Buffer): Buffer => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c);

export function installPath(target: DeployTarget, path: string): string {
  if (!path.startsWith('/') || posix.normalize(path) !== path || path.endsWith('/')) {
    throw new InternalError(`install path "${path}" is not a normalized absolute path`);
  }
  if (!target.root_prefix) return path;
  return `${target.root_prefix.replace(/\/+$/, '')}${path}`;
}

type Installable = BundleFile & { install: InstallSpec };

const installables = (bundle: Bundle): Installable[] => bundle.files.filter((f): f is Installable => f.install !== undefined);

/** The same value from every part, or a plan error naming them. */
function agreed<T>(id: string, path: string, parts: Installable[], what: string, get: (f: Installable) => T | undefined): T | undefined {
  const values = [...new Set(parts.map(get).filter((v) => v !== undefined))];
  if (values.length > 1) throw new InternalError(`${id}: ${parts.map((p) => p.path).join(', ')} install into ${path} with different ${what}: ${values.map(String).join(' / ')}`);
  return values[0];
}

function mergeKey(m: MergeSpec | undefined): string {
  if (!m) return 'whole';
  return m.kind === 'marked-block' ? `marked-block ${m.marker}` : m.kind;
}

/** Groups the bundle files of one role by install path; a plan inconsistency is a bug of the connector. */
function targetFiles(bundle: Bundle, role: string): Array<{ installPath: string; parts: Installable[] }> {
  const id = bundle.connector.id;
  const byPath = new Map<string, Installable[]>();
  for (const f of installables(bundle).filter((f) => f.install.role === role)) {
    const list = byPath.get(f.install.path) ?? [];
    list.push(f);
    byPath.set(f.install.path, list);
  }
  const out: Array<{ installPath: string; parts: Installable[] }> = [];
  for (const [path, parts] of byPath) {
    if (parts.length > 1) {
      if (parts.some((p) => !p.install.merge)) {
        throw new InternalError(`${id}: ${parts.map((p) => p.path).join(', ')} all install to ${path}, and not all of them are merge edits`);
      }
      const keys = parts.map((p) => mergeKey(p.install.merge));
      const twice = keys.find((k, i) => keys.indexOf(k) !== i);
      if (twice) throw new InternalError(`${id}: two bundle files make the same edit (${twice}) of ${path}`);
      if (parts.some((p) => p.install.merge!.kind !== parts[0]!.install.merge!.kind)) {
        throw new InternalError(`${id}: ${path} gets edits of different kinds (${keys.join(', ')}); one kind per file`);
      }
      if (parts[0]!.install.merge!.kind === 'cybertrace-settings') throw new InternalError(`${id}: two CyberTrace settings patches of ${path}`);
      agreed(id, path, parts, 'validate commands', (p) => p.install.validate);
      agreed(id, path, parts, 'modes', (p) => p.install.mode & 0o7777);
      agreed(id, path, parts, 'owners', (p) => p.install.owner);
    }
    out.push({ installPath: path, parts });
  }
  return out;
}

/** Inconsistencies between a bundle's files and steps; thrown as bugs, since a site cannot cause them. */
function checkBundle(bundle: Bundle): void {
  const id = bundle.connector.id;
  const paths = new Set(bundle.files.map((f) => f.path));
  const keys = bundle.steps.map(stepKey);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new InternalError(`${id}: two install steps are both ${twice}`);
  for (const f of installables(bundle)) {
    for (const n of f.install.notify ?? []) {
      if (!keys.includes(`${f.install.role}/${n}`)) throw new InternalError(`${id}: ${f.path} notifies "${n}", which is no step of role ${f.install.role}`);
    }
  }
  for (const s of bundle.steps) {
    if (s.stdinFromFile !== undefined && !paths.has(s.stdinFromFile)) {
      throw new InternalError(`${id}: step ${stepKey(s)} reads ${s.stdinFromFile}, which is not in the bundle`);
    }
  }
  const roles = new Set([...installables(bundle).map((f) => f.install.role), ...bundle.steps.map((s) => s.role)]);
  for (const role of roles) targetFiles(bundle, role);
}

/** Steps of these roles in bundle order; one entry per distinct command and input on the host. */
function hostSteps(bundle: Bundle, roles: string[]): HostStep[] {
  const out: HostStep[] = [];
  for (const step of bundle.steps.filter((s) => roles.includes(s.role))) {
    const same = out.find((h) => h.step.command === step.command && h.step.stdinFromFile === step.stdinFromFile);
    if (same) same.keys.push(stepKey(step));
    else out.push({ key: stepKey(step), keys: [stepKey(step)], step });
  }
  return out;
}

/**
 * The roles by which a target takes part in this bundle: a host that is another CyberTrace
 * instance (target `cybertrace:` naming one that does not serve this SIEM) does not get its settings.
 */
function rolesFor(bundle: Bundle, target: DeployTarget): string[] {
  return target.roles.filter((r) => r !== 'cybertrace' || target.cybertrace === undefined || bundle.cybertraceInstance === undefined || target.cybertrace === bundle.cybertraceInstance);
}

/** The work one target gets from a bundle by its roles (possibly none). Pure: no connection. */
export function workOf(bundle: Bundle, target: DeployTarget): HostWork {
  checkBundle(bundle);
  const bundleFiles = new Map(bundle.files.map((f) => [f.path, asBuffer(f.content)]));
  const files: HostFile[] = [];
  const roles = rolesFor(bundle, target);
  for (const role of roles) {
    for (const { installPath: p, parts } of targetFiles(bundle, role)) {
      const path = installPath(target, p);
      if (files.some((f) => f.path === path)) {
        throw new InternalError(`${bundle.connector.id}: roles ${target.roles.join(', ')} of ${target.name} both install ${p}`);
      }
      const first = parts[0]!.install;
      files.push({
        path,
        parts: parts.map((f) => ({ bundlePath: f.path, spec: f.install, content: asBuffer(f.content) })),
        bundlePath: parts.map((f) => f.path).join(' + '),
        merged: first.merge !== undefined,
        mode: first.mode & 0o7777,
        owner: first.owner,
        validate: parts.map((f) => f.install.validate).find((v) => v !== undefined),
        notify: [...new Set(parts.flatMap((f) => (f.install.notify ?? []).map((n) => `${role}/${n}`)))],
      });
    }
  }
  return { target, files, steps: hostSteps(bundle, roles), bundleFiles };
}

/** Roles a bundle installs for (files or steps). */
export function rolesOf(bundle: Bundle): string[] {
  return [...new Set([...installables(bundle).map((f) => f.install.role), ...bundle.steps.map((s) => s.role)])];
}

/**
 * The work of each selected target: files and steps whose role the target has. With no names,
 * every target that gets something; a named target that gets nothing is an error.
 */
export function selectWork(bundle: Bundle, site: Site, names: string[]): HostWork[] {
  const id = bundle.connector.id;
  const roles = rolesOf(bundle);
  if (roles.length === 0) throw new UserError(`the ${id} bundle installs nothing over SSH (see its INSTALL.md for the manual steps)`);
  if (site.targets.length === 0) throw new UserError(`${site.source}: no "targets" to deploy to; add one (see \`ctconnect init\`)`);
  for (const n of names) {
    if (!site.targets.some((t) => t.name === n)) {
      throw new UserError(`--target ${n}: no such target in ${site.source}; targets: ${site.targets.map((t) => t.name).join(', ')}`);
    }
  }
  const chosen = names.length > 0 ? site.targets.filter((t) => names.includes(t.name)) : site.targets;
  const work: HostWork[] = [];
  for (const target of chosen) {
    const w = workOf(bundle, target);
    if (w.files.length === 0 && w.steps.length === 0) {
      if (names.includes(target.name)) {
        throw new UserError(`target ${target.name} has roles ${target.roles.join(', ')}, but the ${id} bundle installs only for: ${roles.join(', ')}`);
      }
      continue;
    }
    work.push(w);
  }
  if (work.length === 0) {
    const instance = roles.includes('cybertrace') && bundle.cybertraceInstance ? `; a host with role cybertrace gets these settings when it is CyberTrace "${bundle.cybertraceInstance}" (cybertrace: ${bundle.cybertraceInstance})` : '';
    throw new UserError(`no target in ${site.source} has a role the ${id} bundle installs for (${roles.join(', ')})${instance}`);
  }
  return work;
}

/** A target with every role of the bundle: `validate` plans against it so any plan inconsistency shows without targets. */
export function allRolesTarget(bundle: Bundle): DeployTarget {
  return {
    name: 'plan-check',
    host: '127.0.0.1',
    port: 22,
    user: 'root',
    roles: rolesOf(bundle),
    use_agent: false,
    sudo: 'none',
    accept_new_host_key: false,
    connect_timeout_sec: 15,
    command_timeout_sec: 120,
    lock_wait_sec: 60,
    follow_symlinked_dirs: false,
  };
}

const MAX_READ_BYTES = 64 * 1024 * 1024;

/** Suffix of the temp files a deploy writes beside a target file; a later run finds leftovers by it. */
export const TEMP_INFIX = '.ctconnect-tmp-';

/**
 * The record, beside a target file, of the steps its change calls for that have not completed yet
 * (`.NAME.ctconnect-pending`, one step key a line): written before the file is renamed into place,
 * rewritten as steps complete, read by the next deploy's probe.
 */
export const pendingRecordOf = (path: string): string => `${posix.dirname(path)}/.${posix.basename(path)}.ctconnect-pending`;

/** What the probe of one file found; `content` when it was asked for. */
export interface Probed {
  state: RemoteFileState;
  content?: Buffer;
}

export interface ProbeOptions {
  /** Remove the leftover temp files found (under the host lock, not under --check); they are reported either way. */
  removeLeftovers: boolean;
}

const section = (i: number) => `@@ctconnect-file ${i}`;

/**
 * One script that inspects every file of a host, so all of them cost one round trip (it runs in the
 * channel that takes the host lock): per file its type, mode, owner, sha256, missing parent folders,
 * symlinked parent folders, leftover temp files, whether the owner exists, and (for merges and --diff)
 * the bytes, base64-encoded so that every answer is a line.
 */
export function probeScript(target: DeployTarget, files: HostFile[], wantDiff: boolean, opts: ProbeOptions): string {
  const root = target.root_prefix ? target.root_prefix.replace(/\/+$/, '') || '/' : '/';
  // `up X` sets d to the parent folder of the normalized absolute path X, as dirname would, without a process per call.
  const lines = [`stop=${shellArg(root)}`, 'up() { d=${1%/*}; d=${d:-/}; }'];
  // Every process costs the host a fork and exec, and with many hosts at once they share this
  // machine's cores with the deploys: each owner is looked up once, and a file is hashed only when
  // its bytes are not read anyway (then ctconnect hashes what it read).
  const owners = files.map((f) => (f.owner ?? '').split(':'));
  const users = [...new Set(owners.flatMap(([u]) => (u ? [u] : [])))];
  const groups = [...new Set(owners.flatMap(([, g]) => (g ? [g] : [])))];
  users.forEach((u, i) => lines.push(`getent passwd ${shellArg(u)} >/dev/null && u${i}=1 || u${i}=0`));
  groups.forEach((g, i) => lines.push(`getent group ${shellArg(g)} >/dev/null && g${i}=1 || g${i}=0`));
  for (const [i, file] of files.entries()) {
    const read = file.merged || wantDiff;
    lines.push(
      `echo ${shellArg(section(i))}; p=${shellArg(file.path)}; z=`,
      'if [ -L "$p" ]; then echo symlink',
      // z: the size, when the file is a regular one.
      read
        ? 'elif [ -f "$p" ]; then s=$(stat -c "%a %U:%G %s" "$p"); echo "file ${s% *} -"; z=${s##* }'
        : 'elif [ -f "$p" ]; then s=$(stat -c "%a %U:%G" "$p"); h=$(sha256sum < "$p"); echo "file $s ${h%% *}"',
      'elif [ -e "$p" ]; then echo other',
      'else echo absent; fi',
      'up "$p"; while [ ! -d "$d" ] && [ ! -L "$d" ]; do echo "missing $d"; up "$d"; done',
      'up "$p"; while [ "$d" != "$stop" ] && [ "$d" != / ]; do [ -L "$d" ] && echo "linkdir $d"; up "$d"; done',
      `for f in "\${p%/*}"/."\${p##*/}"${TEMP_INFIX}*; do [ -e "$f" ] && ${opts.removeLeftovers ? 'rm -f -- "$f" && ' : ''}echo "leftover $f"; done`,
      `q=${shellArg(pendingRecordOf(file.path))}; if [ -f "$q" ] && [ ! -L "$q" ]; then while read -r k; do echo "pending $k"; done < "$q"; fi`,
    );
    const [u, g] = owners[i]!;
    if (u) lines.push(`[ $u${users.indexOf(u)} = 1 ] || echo ${shellArg(`nouser ${u}`)}`);
    if (g) lines.push(`[ $g${groups.indexOf(g)} = 1 ] || echo ${shellArg(`nogroup ${g}`)}`);
    if (read) {
      // Merges need the old bytes; a whole file only for --diff.
      lines.push(`if [ -n "$z" ]; then if [ "$z" -gt ${MAX_READ_BYTES} ]; then echo toolarge; else echo content; base64 < "$p"; fi; fi`);
    }
  }
  lines.push('exit 0');
  return lines.join('\n');
}

/** Splits the probe's output into one answer per file, in the order of `files`. */
export function parseProbes(target: DeployTarget, files: HostFile[], output: Buffer): Probed[] {
  const bySection: string[][] = files.map(() => []);
  let current: string[] | undefined;
  for (const line of output.toString('latin1').split('\n')) {
    const m = /^@@ctconnect-file (\d+)$/.exec(line);
    if (m) current = bySection[Number(m[1])];
    else if (current && line !== '') current.push(line);
  }
  return files.map((f, i) => parseProbe(target, f, bySection[i]!));
}

function parseProbe(target: DeployTarget, file: HostFile, lines: string[]): Probed {
  const path = file.path;
  const at = lines.indexOf('content');
  const facts = (at < 0 ? lines : lines.slice(0, at)).map((l) => Buffer.from(l, 'latin1').toString('utf8'));
  const head = facts[0] ?? '';
  const tagged = (tag: string) => facts.slice(1).filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(tag.length + 1));
  const missingDirs = tagged('missing');
  const leftovers = tagged('leftover');
  const pending = tagged('pending').filter((k) => /^[a-z][a-z0-9_-]*\/[A-Za-z0-9_.-]+$/.test(k));
  const linkDirs = tagged('linkdir');
  const absent = [...tagged('nouser').map((u) => `user ${u}`), ...tagged('nogroup').map((g) => `group ${g}`)];
  if (head === '') throw new DeployFailure(`cannot inspect ${path}: the answer was cut short`);
  if (absent.length > 0) {
    throw new DeployFailure(`${path}: the owner ${file.owner} is not there on ${target.name}: no ${absent.join(', no ')}`, [
      'install the application first (its service account comes with it), or set the owner option of this bundle in the site file',
    ]);
  }
  if (head === 'symlink') throw new DeployFailure(`${path} is a symbolic link; refusing to replace it (point the install path at the real file)`);
  if (head === 'other') throw new DeployFailure(`${path} exists but is not a regular file`);
  if (linkDirs.length > 0 && !target.follow_symlinked_dirs) {
    throw new DeployFailure(`${path}: the folder ${linkDirs[linkDirs.length - 1]} is a symbolic link; refusing to write through it`, [
      `if the link is intended (e.g. an application folder moved to another disk), set follow_symlinked_dirs: true for target ${target.name}`,
    ]);
  }
  if (facts.includes('toolarge')) throw new DeployFailure(`${path} is larger than ${MAX_READ_BYTES} bytes; refusing to read it`);
  if (head === 'absent') return { state: { kind: 'absent', missingDirs, leftovers, pending } };
  // The hash is `-` when the bytes follow (they are hashed here).
  const m = /^file (\d+) (\S+) ([0-9a-f]{64}|-)$/.exec(head);
  if (!m || (m[3] === '-') !== at >= 0) throw new DeployFailure(`cannot inspect ${path}: unexpected answer ${JSON.stringify(head)}`);
  const state: RemoteFileState = { kind: 'file', mode: parseInt(m[1]!, 8), owner: m[2], sha256: m[3], missingDirs, leftovers, pending };
  if (at < 0) return { state };
  const content = Buffer.from(lines.slice(at + 1).join(''), 'base64');
  // The host sent no hash for a file whose bytes it sent: it is the hash of those bytes.
  state.sha256 = sha256(content);
  return { state, content };
}

const octal = (m: number) => m.toString(8).padStart(4, '0');

/** Compares the target (as probed) with the bundle for one file. */
export function planFile(file: HostFile, probed: Probed): FilePlan {
  const { state: current, content: oldContent } = probed;

  let newContent: Buffer;
  if (file.merged) {
    try {
      newContent = mergeParts(file.parts.map((p) => ({ spec: p.spec.merge!, content: p.content })), current.kind === 'file' ? oldContent : undefined);
    } catch (e) {
      if (e instanceof MergeError) throw new DeployFailure(`${file.path}: ${e.message}`);
      throw e;
    }
  } else {
    newContent = file.parts[0]!.content;
  }

  const reasons: string[] = [];
  // A merge edits a shared file: it keeps that file's mode and owner, and sets them only on a new file.
  const keepAttrs = file.merged && current.kind === 'file';
  const mode = keepAttrs ? 'keep' : file.mode;
  const owner = keepAttrs ? 'keep' : file.owner ?? (current.kind === 'file' ? 'keep' : 'default');
  if (current.kind === 'absent') {
    reasons.push('new file');
  } else {
    if (current.sha256 !== sha256(newContent)) reasons.push('content');
    if (mode !== 'keep' && current.mode !== mode) reasons.push(`mode ${octal(current.mode!)} → ${octal(mode)}`);
    // An owner given as a user only (`splunk`) leaves the group as it is.
    const currentOwner = file.owner?.includes(':') ? current.owner : current.owner?.split(':')[0];
    if (file.owner && owner !== 'keep' && currentOwner !== file.owner) reasons.push(`owner ${current.owner} → ${file.owner}`);
  }
  return {
    file,
    current,
    oldContent: current.kind === 'file' ? oldContent : undefined,
    newContent,
    changed: reasons.length > 0,
    reasons,
    mode,
    owner,
  };
}
