/**
 * What a deploy would do, without connecting (`workOf`, also run by `validate`): which target
 * files and steps each target gets by its roles. Bundle files landing in one target file are
 * grouped into one edit, steps are keyed `role/id` and a host runs a command once. Pure: what is
 * on a host now is found by the probe (probe.ts).
 */
import { posix } from 'node:path';
import type { BundleFile, InstallSpec, MergeSpec } from '../model/bundle.js';
import type { Bundle } from '../bundle/build.js';
import type { DeployTarget, Site } from '../model/site.js';
import { InternalError, UserError } from '../kernel/errors.js';
import type { HostFile, HostStep, HostWork } from './types.js';

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
  if (values.length > 1)
    throw new InternalError(`${id}: ${parts.map((p) => p.path).join(', ')} install into ${path} with different ${what}: ${values.map(String).join(' / ')}`);
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
      if (parts.some((p) => p.install.merge!.kind !== parts[0].install.merge!.kind)) {
        throw new InternalError(`${id}: ${path} gets edits of different kinds (${keys.join(', ')}); one kind per file`);
      }
      if (parts[0].install.merge!.kind === 'cybertrace-settings') throw new InternalError(`${id}: two CyberTrace settings patches of ${path}`);
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
  return target.roles.filter(
    (r) => r !== 'cybertrace' || target.cybertrace === undefined || bundle.cybertraceInstance === undefined || target.cybertrace === bundle.cybertraceInstance,
  );
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
      const first = parts[0].install;
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
    const instance =
      roles.includes('cybertrace') && bundle.cybertraceInstance
        ? `; a host with role cybertrace gets these settings when it is CyberTrace "${bundle.cybertraceInstance}" (cybertrace: ${bundle.cybertraceInstance})`
        : '';
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
