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
 *
 * Nothing the site or a bundle says is ever read as a template: Ansible templates every string of a
 * playbook and an inventory, so a `{{ lookup('pipe', …) }}` in a title or a path would run on the
 * controller. Every such value is written tagged `!unsafe` (Ansible never templates those, also
 * where a template refers to them), and the templates written here refer to them by variable.
 */
import { posix } from 'node:path';
import { Scalar, stringify } from 'yaml';
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
const roleGroup = (role: string, instance: string | undefined): string =>
  role === 'cybertrace' && instance !== undefined ? groupOf(`cybertrace_${instance}`) : groupOf(role);
const roleName = (bundle: Bundle): string => `ctconnect_${bundle.connector.id.replace(/[^A-Za-z0-9_]/g, '_')}`;
const ROOT = '{{ ctconnect_root }}';

/** Text that Ansible keeps as it is: the `!unsafe` tag turns templating off for the value. */
export function unsafe(text: string): Scalar {
  const s = new Scalar(text);
  s.tag = '!unsafe';
  return s;
}
/** A host path under the target's root prefix: the path itself is a task variable, never template text. */
const DEST = `${ROOT}{{ ctconnect_path }}`;
const pathVars = (path: string, more: Record<string, unknown> = {}) => ({ vars: { ctconnect_path: unsafe(path), ...more } });
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

function handlerName(s: HostStep): Scalar {
  return unsafe(`Run ${s.key}: ${s.step.description}`);
}

/** Which handlers a changed file notifies on a host with these steps. */
function notified(f: HostFile, steps: HostStep[]): { notify?: Scalar[] } {
  const names = steps.filter((s) => s.step.when === 'always' || f.notify.some((k) => s.keys.includes(k))).map(handlerName);
  return names.length > 0 ? { notify: names } : {};
}

function ownerArgs(owner: string | undefined): Record<string, Scalar> {
  if (!owner) return {};
  const [user, group] = owner.split(':');
  return { owner: unsafe(user), ...(group ? { group: unsafe(group) } : {}) };
}

function blockTasks(f: HostFile, steps: HostStep[], slug: string): unknown[] {
  const dest = DEST;
  const tasks: unknown[] = [];
  const first = f.parts[0].spec.merge as Extract<MergeSpec, { kind: 'marked-block' }>;
  const anchors = first.after !== undefined || (first.before?.length ?? 0) > 0;
  const seen = `ctconnect_seen_${slug}`;
  if (anchors) {
    tasks.push({
      name: unsafe(`Read ${f.path} to place new blocks as ctconnect deploy does`),
      'ansible.builtin.slurp': { src: dest },
      register: seen,
      failed_when: false,
      ...pathVars(f.path),
    });
  }
  const text = `(${seen}.content | default('') | b64decode)`;
  let previous: Extract<MergeSpec, { kind: 'marked-block' }> | undefined;
  for (const p of f.parts) {
    const m = p.spec.merge as Extract<MergeSpec, { kind: 'marked-block' }>;
    const args: Record<string, unknown> = {
      path: dest,
      marker: unsafe(`${m.commentPrefix} {mark} ${m.marker}`),
      marker_begin: 'BEGIN',
      marker_end: 'END',
      block: unsafe(p.content.toString('utf8').replace(/\n$/, '')),
      create: true,
      backup: true,
    };
    if (f.validate) args.validate = unsafe(validateArg(f.validate));
    const name = `Block "${m.marker}" in ${f.path}`;
    if (previous) {
      // Not multiline: blockinfile's multiline search fails on a file that does not exist yet (--check of a new file).
      tasks.push({
        name: unsafe(name),
        'ansible.builtin.blockinfile': { ...args, insertafter: unsafe(oneLineRe([`${previous.commentPrefix} END ${previous.marker}`])) },
        ...notified(f, steps),
        ...pathVars(f.path),
      });
    } else if (!anchors) {
      tasks.push({ name: unsafe(name), 'ansible.builtin.blockinfile': args, ...notified(f, steps), ...pathVars(f.path) });
    } else {
      // One task per placement rule, exactly one of which runs: blockinfile takes one anchor only.
      // The regexps are task variables, so the conditions are fixed text.
      const after = m.after !== undefined ? lineRe([m.after]) : undefined;
      const before = m.before && m.before.length > 0 ? lineRe(m.before) : undefined;
      const reVars = pathVars(f.path, { ...(after ? { ctconnect_after: unsafe(after) } : {}), ...(before ? { ctconnect_before: unsafe(before) } : {}) });
      const hasAfter = after ? `${text} is regex(ctconnect_after)` : 'false';
      const hasBefore = before ? `${text} is regex(ctconnect_before)` : 'false';
      if (after)
        tasks.push({
          name: unsafe(`${name} (after its anchor line)`),
          'ansible.builtin.blockinfile': { ...args, insertafter: unsafe(after) },
          when: hasAfter,
          ...notified(f, steps),
          ...reVars,
        });
      if (before)
        tasks.push({
          name: unsafe(`${name} (before the first fallback line)`),
          'ansible.builtin.blockinfile': { ...args, insertbefore: unsafe(before) },
          when: `not (${hasAfter}) and (${hasBefore})`,
          ...notified(f, steps),
          ...reVars,
        });
      tasks.push({
        name: unsafe(`${name} (at the end)`),
        'ansible.builtin.blockinfile': args,
        when: `not (${hasAfter}) and not (${hasBefore})`,
        ...notified(f, steps),
        ...reVars,
      });
    }
    previous = m;
  }
  return tasks;
}

/** A path holding `{{ var }}` parts as a Jinja string expression: '…' ~ var ~ '…'. */
function jinjaPath(path: string): string {
  return path
    .split(/(\{\{ [a-z_]+ \}\})/)
    .filter((p) => p !== '')
    .map((p) => (/^\{\{ [a-z_]+ \}\}$/.test(p) ? p.slice(3, -3) : `'${p.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`))
    .join(' ~ ');
}

function settingsTasks(f: HostFile, steps: HostStep[], bundle: Bundle): unknown[] {
  const dest = DEST;
  // The controller's copy is named after the connector (an identifier), not after the host path.
  const fetched = `{{ ctconnect_workdir }}/{{ inventory_hostname }}/${bundle.connector.id}/settings`;
  const patched = `${fetched}.patched`;
  return [
    // Fetching changes nothing on the host (so it runs under --check too); the copy back below says whether the host changed.
    {
      name: unsafe(`Fetch ${f.path}`),
      'ansible.builtin.fetch': { src: dest, dest: fetched, flat: true, fail_on_missing: true },
      check_mode: false,
      changed_when: false,
      ...pathVars(f.path),
    },
    {
      name: unsafe(`Apply the ${bundle.connector.title} CyberTrace settings (ctconnect cybertrace patch on the controller)`),
      'ansible.builtin.command': {
        // The command is the role's variable (defaults/main.yml): `ctconnect` once installed on the controller's PATH.
        argv: `{{ ctconnect_command + [${[...['cybertrace', 'patch', '--siem', bundle.connector.id, '--config'].map((w) => jinjaPath(w)), 'ctconnect_site', "'--in'", jinjaPath(fetched), "'--out'", jinjaPath(patched), "'--no-backup'"].join(', ')}] }}`,
      },
      delegate_to: 'localhost',
      become: false,
      check_mode: false,
      changed_when: false,
    },
    {
      name: unsafe(`Install the patched ${f.path}`),
      'ansible.builtin.copy': { src: patched, dest, backup: true, ...(f.validate ? { validate: unsafe(validateArg(f.validate)) } : {}) },
      ...notified(f, steps),
      ...pathVars(f.path),
    },
  ];
}

/** Tasks of one deploy role, in plan order. */
function roleTasks(bundle: Bundle, role: string, steps: HostStep[]): unknown[] {
  const w = workOf(bundle, { ...allRolesTarget(bundle), roles: [role] });
  const tasks: unknown[] = [];
  const dirs = [...new Set(w.files.filter((f) => !f.merged).map((f) => posix.dirname(f.path)))];
  for (const d of dirs) tasks.push({ name: unsafe(`Folder ${d}`), 'ansible.builtin.file': { path: DEST, state: 'directory' }, ...pathVars(d) });
  w.files.forEach((f, i) => {
    const kind = f.parts[0].spec.merge?.kind;
    if (kind === 'marked-block') tasks.push(...blockTasks(f, steps, `${role.replace(/\W/g, '_')}_${i}`));
    else if (kind === 'cybertrace-settings') tasks.push(...settingsTasks(f, steps, bundle));
    else {
      tasks.push({
        name: unsafe(`Install ${f.path}`),
        'ansible.builtin.copy': {
          src: unsafe(f.parts[0].bundlePath),
          dest: DEST,
          mode: octal(f.mode),
          ...ownerArgs(f.owner),
          backup: true,
          ...(f.validate ? { validate: unsafe(validateArg(f.validate)) } : {}),
        },
        ...notified(f, steps),
        ...pathVars(f.path),
      });
    }
  });
  return tasks;
}

function handlers(steps: HostStep[]): unknown[] {
  return steps.map((s) => ({
    name: handlerName(s),
    // As `deploy` runs steps: stdin is the step's input file or nothing at all (never a pipe left open).
    'ansible.builtin.shell':
      s.step.stdinFromFile !== undefined
        ? { cmd: unsafe(s.step.command), stdin: `{{ lookup('ansible.builtin.file', ctconnect_stdin, rstrip=false) }}`, stdin_add_newline: false }
        : { cmd: unsafe(`exec 0</dev/null; ${s.step.command}`) },
    environment: { CTCONNECT_ROOT: ROOT },
    timeout: s.step.timeoutSec,
    ...(s.step.stdinFromFile !== undefined ? { vars: { ctconnect_stdin: unsafe(s.step.stdinFromFile) } } : {}),
    // A target with `steps: skip` (or `-e ctconnect_run_steps=false`) gets the files only, as `deploy --skip-steps`.
    when: 'ctconnect_run_steps | bool',
  }));
}

/**
 * A file path as ssh reads it from an option: `%` starts a token there (`%%` is one `%`). The site
 * refuses whitespace and quotes in these paths, so the value is one word for Ansible's shlex split.
 */
const sshPath = (path: string): string => path.replace(/%/g, '%%');

function hostVars(t: DeployTarget): Record<string, unknown> {
  const v: Record<string, unknown> = { ansible_host: unsafe(t.host), ansible_port: t.port, ansible_user: unsafe(t.user) };
  if (t.identity_file) v.ansible_ssh_private_key_file = unsafe(sshPath(t.identity_file));
  const known = sshPath(t.known_hosts ?? '~/.ssh/known_hosts');
  v.ansible_ssh_common_args = unsafe(`-o UserKnownHostsFile=${known} -o StrictHostKeyChecking=${t.accept_new_host_key ? 'accept-new' : 'yes'}`);
  // The ssh connection plugin's `timeout` (ssh's ConnectTimeout, banner exchange included; ansible-doc -t connection ssh):
  // a host that does not answer is given up after the site's connect_timeout_sec, as `ctconnect deploy` does.
  v.ansible_ssh_timeout = t.connect_timeout_sec;
  // With a key, password_env holds its passphrase: Ansible's ssh reads keys from an agent then, never a password prompt.
  if (t.password_env && !t.identity_file) v.ansible_password = `{{ lookup('ansible.builtin.env', '${t.password_env}') }}`;
  if (t.sudo !== 'none') {
    v.ansible_become = true;
    v.ansible_become_method = 'sudo';
    if (t.sudo === 'password' && t.sudo_password_env) v.ansible_become_password = `{{ lookup('ansible.builtin.env', '${t.sudo_password_env}') }}`;
  }
  if (t.root_prefix) v.ctconnect_root = unsafe(t.root_prefix.replace(/\/+$/, ''));
  if (t.steps === 'skip') v.ctconnect_run_steps = false;
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
      const tasks = roleTasks(bundle, r, steps);
      if (tasks.length === 0) continue;
      add(`roles/${role}/tasks/${r}.yml`, yaml(tasks));
      main.push({
        name: `Install what ${bundle.connector.id} puts on hosts with role ${r}`,
        'ansible.builtin.import_tasks': `${r}.yml`,
        when: `'${roleGroup(r, bundle.cybertraceInstance)}' in group_names`,
      });
    }
    add(`roles/${role}/tasks/main.yml`, yaml(main));
    add(`roles/${role}/handlers/main.yml`, yaml(handlers(steps)));
    add(
      `roles/${role}/defaults/main.yml`,
      yaml({
        ctconnect_root: '',
        ctconnect_run_steps: true,
        ctconnect_site: unsafe(opts.sitePath),
        ctconnect_command: opts.ctconnectCommand.map((w) => unsafe(w)),
        ctconnect_workdir: '{{ playbook_dir }}/.ctconnect-work',
      }),
    );
    const used = new Set([
      ...bundle.files.filter((f) => f.install && f.install.merge === undefined).map((f) => f.path),
      ...bundle.steps.flatMap((s) => (s.stdinFromFile ? [s.stdinFromFile] : [])),
    ]);
    for (const f of bundle.files) if (used.has(f.path)) add(`roles/${role}/files/${f.path}`, f.content, f.mode);
    plays.push({
      name: unsafe(`Install the ${bundle.connector.title} bundle (ctconnect)`),
      hosts: roles.map((r) => roleGroup(r, bundle.cybertraceInstance)).join(':'),
      // No task reads a fact: gathering them would cost a module run per host and play.
      gather_facts: false,
      roles: [role],
    });
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
    [
      '---',
      'extends: default',
      'rules:',
      '  # Lines of the bundle files themselves (rsyslog rules, regexps) are kept whole.',
      '  line-length: disable',
      '',
    ].join('\n'),
  );
  // Pipelining and become: https://docs.ansible.com/ansible/latest/collections/ansible/builtin/ssh_connection.html
  // ("pipelining": sudo must not require a tty).
  add(
    'ansible.cfg',
    [
      '[defaults]',
      'inventory = inventory.yml',
      'roles_path = roles',
      'interpreter_python = auto_silent',
      'host_key_checking = True',
      'retry_files_enabled = False',
      '# No task reads a fact (the plays say so too).',
      'gathering = explicit',
      '',
      '[ssh_connection]',
      '# One SSH session per task instead of several (temp folder, upload, run, clean-up). Under `become`',
      '# it needs sudo without `requiretty` (the default of current distributions); see the README.',
      'pipelining = True',
      '',
    ].join('\n'),
  );
  return files;
}
