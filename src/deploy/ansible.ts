/**
 * The deploy plan as Ansible content: a role per connector, a playbook and an inventory made from
 * the site's targets. Everything comes from the same plan `ctconnect deploy` runs (`workOf`):
 * which file goes where with which mode, owner and validator, which blocks go into which shared
 * file under which markers, which step runs when which file changed.
 *
 * - whole files: `ansible.builtin.copy` with `backup` and the same `validate` command;
 * - marked blocks: `ansible.builtin.blockinfile` with the same markers, so hosts deployed by either
 *   tool can be updated by the other; placed as `deploy` places them (after the anchor line if the
 *   file has it, else before the first `before` line, else at the end; a bundle's later blocks
 *   after its earlier ones);
 * - the CyberTrace settings: the file is fetched, patched on the controller by
 *   `ctconnect cybertrace patch` (the very code `deploy` runs, so both give the same bytes) and
 *   copied back with `backup`;
 * - steps: handlers, notified only by the files they depend on, run once per host.
 * No secret values: passwords are `lookup('env', …)` of the variables the site names.
 */
import { posix } from 'node:path';
import { stringify } from 'yaml';
import type { MergeSpec } from '../model/bundle.js';
import type { Bundle } from '../bundle/build.js';
import type { DeployTarget, Site } from '../model/site.js';
import { shellArg } from '../render/escape.js';
import { allRolesTarget, rolesOf, workOf } from './work.js';
import { type HostFile, type HostStep } from './types.js';
import { escapeRegExp } from '../kernel/text.js';

export interface ExportedFile {
  /** Path below the export folder. */
  path: string;
  content: string | Buffer;
  mode: number;
}

export interface AnsibleExportOptions {
  /** Absolute path of the site file, for `ctconnect cybertrace patch` on the controller. */
  sitePath: string;
  /** How the controller runs ctconnect (argv). */
  ctconnectCommand: string[];
}

/** Group of a deploy role: Ansible group names are identifiers. */
export const groupOf = (role: string): string => `ctconnect_${role.replace(/[^A-Za-z0-9_]/g, '_')}`;
/**
 * Hosts of role cybertrace that name their instance (sites with `cybertraces:`) are grouped by it, so a
 * bundle's settings go only to the CyberTrace that serves its SIEM, as with `deploy`.
 */
const roleGroup = (role: string, instance: string | undefined): string => (role === 'cybertrace' && instance !== undefined ? groupOf(`cybertrace_${instance}`) : groupOf(role));
const roleName = (bundle: Bundle): string => `ctconnect_${bundle.connector.id.replace(/[^A-Za-z0-9_]/g, '_')}`;
const ROOT = '{{ ctconnect_root }}';
const octal = (m: number): string => m.toString(8).padStart(4, '0');
/** A line equal to `text` once trimmed, as `deploy` matches anchors; multiline mode makes blockinfile take the first match. */
const lineRe = (texts: string[]): string => `(?m)${oneLineRe(texts)}`;
/** The same matched line by line (blockinfile then takes the last match): for a marker line, which is unique. */
const oneLineRe = (texts: string[]): string => `^[ \\t]*(?:${texts.map((t) => escapeRegExp(t.trim())).join('|')})[ \\t\\r]*$`;
/**
 * Ansible runs `validate` without a shell, `deploy` with one (`rsyslogd -N1 -f {file}`, `… >/dev/null`):
 * run it through sh so both read it alike.
 */
const validateArg = (command: string): string => `sh -c ${shellArg(command.split('{file}').join('%s'))}`;

function handlerName(s: HostStep): string {
  return `Run ${s.key}: ${s.step.description}`;
}

/** Which handlers a changed file notifies on a host with these steps. */
function notified(f: HostFile, steps: HostStep[]): { notify?: string[] } {
  const names = steps.filter((s) => s.step.when === 'always' || f.notify.some((k) => s.keys.includes(k))).map(handlerName);
  return names.length > 0 ? { notify: names } : {};
}

function ownerArgs(owner: string | undefined): Record<string, string> {
  if (!owner) return {};
  const [user, group] = owner.split(':');
  return { owner: user, ...(group ? { group } : {}) };
}

function blockTasks(f: HostFile, steps: HostStep[], slug: string): unknown[] {
  const dest = `${ROOT}${f.path}`;
  const tasks: unknown[] = [];
  const first = f.parts[0].spec.merge as Extract<MergeSpec, { kind: 'marked-block' }>;
  const anchors = first.after !== undefined || (first.before?.length ?? 0) > 0;
  const seen = `ctconnect_seen_${slug}`;
  if (anchors) {
    tasks.push({
      name: `Read ${f.path} to place new blocks as ctconnect deploy does`,
      'ansible.builtin.slurp': { src: dest },
      register: seen,
      failed_when: false,
    });
  }
  const text = `(${seen}.content | default('') | b64decode)`;
  let previous: Extract<MergeSpec, { kind: 'marked-block' }> | undefined;
  for (const p of f.parts) {
    const m = p.spec.merge as Extract<MergeSpec, { kind: 'marked-block' }>;
    const args: Record<string, unknown> = {
      path: dest,
      marker: `${m.commentPrefix} {mark} ${m.marker}`,
      marker_begin: 'BEGIN',
      marker_end: 'END',
      block: p.content.toString('utf8').replace(/\n$/, ''),
      create: true,
      backup: true,
    };
    if (f.validate) args.validate = validateArg(f.validate);
    const name = `Block "${m.marker}" in ${f.path}`;
    if (previous) {
      // Not multiline: blockinfile's multiline search fails on a file that does not exist yet (--check of a new file).
      tasks.push({ name, 'ansible.builtin.blockinfile': { ...args, insertafter: oneLineRe([`${previous.commentPrefix} END ${previous.marker}`]) }, ...notified(f, steps) });
    } else if (!anchors) {
      tasks.push({ name, 'ansible.builtin.blockinfile': args, ...notified(f, steps) });
    } else {
      // One task per placement rule, exactly one of which runs: blockinfile takes one anchor only.
      const after = m.after !== undefined ? lineRe([m.after]) : undefined;
      const before = m.before && m.before.length > 0 ? lineRe(m.before) : undefined;
      const has = (re: string) => `${text} is regex(${JSON.stringify(re)})`;
      const hasAfter = after ? has(after) : 'false';
      const hasBefore = before ? has(before) : 'false';
      if (after) tasks.push({ name: `${name} (after its anchor line)`, 'ansible.builtin.blockinfile': { ...args, insertafter: after }, when: hasAfter, ...notified(f, steps) });
      if (before) tasks.push({ name: `${name} (before the first fallback line)`, 'ansible.builtin.blockinfile': { ...args, insertbefore: before }, when: `not (${hasAfter}) and (${hasBefore})`, ...notified(f, steps) });
      tasks.push({ name: `${name} (at the end)`, 'ansible.builtin.blockinfile': args, when: `not (${hasAfter}) and not (${hasBefore})`, ...notified(f, steps) });
    }
    previous = m;
  }
  return tasks;
}

function settingsTasks(f: HostFile, steps: HostStep[], bundle: Bundle, opts: AnsibleExportOptions): unknown[] {
  const dest = `${ROOT}${f.path}`;
  const work = `{{ ctconnect_workdir }}/{{ inventory_hostname }}/${bundle.connector.id}`;
  const fetched = `${work}/${posix.basename(f.path)}`;
  const patched = `${fetched}.patched`;
  return [
    // Fetching changes nothing on the host (so it runs under --check too); the copy back below says whether the host changed.
    { name: `Fetch ${f.path}`, 'ansible.builtin.fetch': { src: dest, dest: fetched, flat: true, fail_on_missing: true }, check_mode: false, changed_when: false },
    {
      name: `Apply the ${bundle.connector.title} CyberTrace settings (ctconnect cybertrace patch on the controller)`,
      'ansible.builtin.command': {
        argv: [...opts.ctconnectCommand, 'cybertrace', 'patch', '--siem', bundle.connector.id, '--config', '{{ ctconnect_site }}', '--in', fetched, '--out', patched, '--no-backup'],
      },
      delegate_to: 'localhost',
      become: false,
      check_mode: false,
      changed_when: false,
    },
    {
      name: `Install the patched ${f.path}`,
      'ansible.builtin.copy': { src: patched, dest, backup: true, ...(f.validate ? { validate: validateArg(f.validate) } : {}) },
      ...notified(f, steps),
    },
  ];
}

/** Tasks of one deploy role, in plan order. */
function roleTasks(bundle: Bundle, role: string, steps: HostStep[], opts: AnsibleExportOptions): unknown[] {
  const w = workOf(bundle, { ...allRolesTarget(bundle), roles: [role] });
  const tasks: unknown[] = [];
  const dirs = [...new Set(w.files.filter((f) => !f.merged).map((f) => posix.dirname(f.path)))];
  for (const d of dirs) tasks.push({ name: `Folder ${d}`, 'ansible.builtin.file': { path: `${ROOT}${d}`, state: 'directory' } });
  w.files.forEach((f, i) => {
    const kind = f.parts[0].spec.merge?.kind;
    if (kind === 'marked-block') tasks.push(...blockTasks(f, steps, `${role.replace(/\W/g, '_')}_${i}`));
    else if (kind === 'cybertrace-settings') tasks.push(...settingsTasks(f, steps, bundle, opts));
    else {
      tasks.push({
        name: `Install ${f.path}`,
        'ansible.builtin.copy': {
          src: f.parts[0].bundlePath,
          dest: `${ROOT}${f.path}`,
          mode: octal(f.mode),
          ...ownerArgs(f.owner),
          backup: true,
          ...(f.validate ? { validate: validateArg(f.validate) } : {}),
        },
        ...notified(f, steps),
      });
    }
  });
  return tasks;
}

function handlers(steps: HostStep[]): unknown[] {
  return steps.map((s) => ({
    name: handlerName(s),
    // As `deploy` runs steps: stdin is the step's input file or nothing at all (never a pipe left open).
    'ansible.builtin.shell': s.step.stdinFromFile !== undefined
      ? { cmd: s.step.command, stdin: `{{ lookup('ansible.builtin.file', ${JSON.stringify(s.step.stdinFromFile)}, rstrip=false) }}`, stdin_add_newline: false }
      : { cmd: `exec 0</dev/null; ${s.step.command}` },
    environment: { CTCONNECT_ROOT: ROOT },
    timeout: s.step.timeoutSec,
  }));
}

function hostVars(t: DeployTarget): Record<string, unknown> {
  const v: Record<string, unknown> = { ansible_host: t.host, ansible_port: t.port, ansible_user: t.user };
  if (t.identity_file) v.ansible_ssh_private_key_file = t.identity_file;
  const known = t.known_hosts ?? '~/.ssh/known_hosts';
  v.ansible_ssh_common_args = `-o UserKnownHostsFile=${known} -o StrictHostKeyChecking=${t.accept_new_host_key ? 'accept-new' : 'yes'}`;
  // With a key, password_env holds its passphrase: Ansible's ssh reads keys from an agent then, never a password prompt.
  if (t.password_env && !t.identity_file) v.ansible_password = `{{ lookup('ansible.builtin.env', '${t.password_env}') }}`;
  if (t.sudo !== 'none') {
    v.ansible_become = true;
    v.ansible_become_method = 'sudo';
    if (t.sudo === 'password' && t.sudo_password_env) v.ansible_become_password = `{{ lookup('ansible.builtin.env', '${t.sudo_password_env}') }}`;
  }
  if (t.root_prefix) v.ctconnect_root = t.root_prefix.replace(/\/+$/, '');
  return v;
}

const yaml = (doc: unknown): string => `---\n${stringify(doc, { lineWidth: 0 })}`;

/** The whole export, in memory: roles, playbook, inventory, ansible.cfg and a README. */
export function ansibleExport(bundles: Bundle[], site: Site, opts: AnsibleExportOptions): ExportedFile[] {
  const files: ExportedFile[] = [];
  const add = (path: string, content: string | Buffer, mode = 0o644) => files.push({ path, content, mode });
  const plays: unknown[] = [];
  for (const bundle of bundles) {
    const role = roleName(bundle);
    const roles = rolesOf(bundle);
    const steps = workOf(bundle, allRolesTarget(bundle)).steps;
    const main: unknown[] = [];
    for (const r of roles) {
      const tasks = roleTasks(bundle, r, steps, opts);
      if (tasks.length === 0) continue;
      add(`roles/${role}/tasks/${r}.yml`, yaml(tasks));
      main.push({ name: `Install what ${bundle.connector.id} puts on hosts with role ${r}`, 'ansible.builtin.import_tasks': `${r}.yml`, when: `'${roleGroup(r, bundle.cybertraceInstance)}' in group_names` });
    }
    add(`roles/${role}/tasks/main.yml`, yaml(main));
    add(`roles/${role}/handlers/main.yml`, yaml(handlers(steps)));
    add(
      `roles/${role}/defaults/main.yml`,
      yaml({ ctconnect_root: '', ctconnect_site: opts.sitePath, ctconnect_workdir: '{{ playbook_dir }}/.ctconnect-work' }),
    );
    const used = new Set([
      ...bundle.files.filter((f) => f.install && f.install.merge === undefined).map((f) => f.path),
      ...bundle.steps.flatMap((s) => (s.stdinFromFile ? [s.stdinFromFile] : [])),
    ]);
    for (const f of bundle.files) if (used.has(f.path)) add(`roles/${role}/files/${f.path}`, f.content, f.mode);
    plays.push({ name: `Install the ${bundle.connector.title} bundle (ctconnect)`, hosts: roles.map((r) => roleGroup(r, bundle.cybertraceInstance)).join(':'), roles: [role] });
  }
  add('site.yml', yaml(plays));
  const groups: Record<string, { hosts: Record<string, unknown> }> = {};
  for (const t of site.targets) {
    for (const r of t.roles) (groups[roleGroup(r, site.cybertraces ? t.cybertrace : undefined)] ??= { hosts: {} }).hosts[t.name] = hostVars(t);
  }
  add('inventory.yml', yaml({ all: { children: groups } }));
  add(
    '.ansible-lint',
    [
      '# The export does what `ctconnect deploy` does: shared files and folders keep the modes the host gives',
      '# them unless the bundle sets one (an explicit mode would change them), and install steps are shell',
      '# commands by the connector contract.',
      'skip_list:',
      '  - risky-file-permissions',
      '  - command-instead-of-shell',
      '',
    ].join('\n'),
  );
  add(
    '.yamllint',
    ['---', 'extends: default', 'rules:', '  # Lines of the bundle files themselves (rsyslog rules, regexps) are kept whole.', '  line-length: disable', ''].join('\n'),
  );
  add(
    'ansible.cfg',
    [
      '[defaults]',
      'inventory = inventory.yml',
      'roles_path = roles',
      'interpreter_python = auto_silent',
      'host_key_checking = True',
      'retry_files_enabled = False',
      '',
    ].join('\n'),
  );
  return files;
}
