/**
 * What is on a connected host now, against what the bundle wants there: one probe script for all
 * files of a host (`probeScript`), its answer read back (`parseProbes`), and per file the plan
 * (`planFile`). Reads only; `--check` stops after this.
 */
import { posix } from 'node:path';
import type { DeployTarget } from '../model/site.js';
import { sha256 } from '../kernel/hash.js';
import { mergeParts, MergeError } from './merge.js';
import { shellArg } from '../render/escape.js';
import { DeployFailure, type FilePlan, type HostFile, type RemoteFileState } from './types.js';

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
    const [u, g] = owners[i];
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
  return files.map((f, i) => parseProbe(target, f, bySection[i]));
}

function parseProbe(target: DeployTarget, file: HostFile, lines: string[]): Probed {
  const path = file.path;
  const at = lines.indexOf('content');
  const facts = (at < 0 ? lines : lines.slice(0, at)).map((l) => Buffer.from(l, 'latin1').toString('utf8'));
  const head = facts[0] ?? '';
  const tagged = (tag: string) =>
    facts
      .slice(1)
      .filter((l) => l.startsWith(`${tag} `))
      .map((l) => l.slice(tag.length + 1));
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
  const state: RemoteFileState = { kind: 'file', mode: parseInt(m[1], 8), owner: m[2], sha256: m[3], missingDirs, leftovers, pending };
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
      newContent = mergeParts(
        file.parts.map((p) => ({ spec: p.spec.merge!, content: p.content })),
        current.kind === 'file' ? oldContent : undefined,
      );
    } catch (e) {
      if (e instanceof MergeError) throw new DeployFailure(`${file.path}: ${e.message}`);
      throw e;
    }
  } else {
    newContent = file.parts[0].content;
  }

  const reasons: string[] = [];
  // A merge edits a shared file: it keeps that file's mode and owner, and sets them only on a new file.
  const keepAttrs = file.merged && current.kind === 'file';
  const mode = keepAttrs ? 'keep' : file.mode;
  const owner = keepAttrs ? 'keep' : (file.owner ?? (current.kind === 'file' ? 'keep' : 'default'));
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
