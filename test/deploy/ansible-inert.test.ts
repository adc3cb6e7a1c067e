/**
 * The Ansible export runs on the controller: Ansible templates every string of an inventory, its vars
 * and its tasks, and hands ssh options to ssh. No value of the site may be read as a template or as
 * an ssh option there. Checked with the real ansible-playbook against a real sshd on 127.0.0.1: a
 * payload that would create a marker file in the test's temp folder must leave no marker.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify, isScalar, isMap, isSeq, type Node } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { startKeyedHost, type KeyedHost } from './fixtures.js';

let host: KeyedHost;

beforeAll(async () => {
  host = await startKeyedHost('ctc-ansible-inert-');
}, 60_000);

afterAll(async () => {
  await host?.close();
});

/** A Jinja expression without spaces or quotes (so it passes as a path) that runs $CT_PAYLOAD on the controller. */
const JINJA = '{{lookup(dict(pipe=1)|first,lookup(dict(env=1)|first,dict(CT_PAYLOAD=1)|first))}}';

function runAnsible(dir: string, marker: string, args: string[]) {
  const tmp = join(host.work, 'ansible-tmp');
  const r = spawnSync('ansible-playbook', ['site.yml', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 300_000,
    env: {
      ...process.env,
      CT_PAYLOAD: `touch ${marker}`,
      ANSIBLE_LOCAL_TEMP: join(tmp, 'local'),
      ANSIBLE_REMOTE_TEMP: join(tmp, 'remote'),
      ANSIBLE_SSH_CONTROL_PATH_DIR: join(tmp, 'cp'),
      ANSIBLE_NOCOLOR: '1',
    },
  });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The example site with these targets and hostile values wherever the site accepts them. */
function hostileSite(dir: string, targets: unknown[]): string {
  const doc = parse(readFileSync(join(import.meta.dirname, '../../examples/site.yaml'), 'utf8')) as { categories: { custom?: unknown[] }; targets?: unknown[] };
  doc.categories.custom = [{ name: 'Hostile', title: `T${JINJA} {{ lookup('pipe', 'touch ${join(dir, 'marker-title')}') }}` }];
  doc.targets = targets;
  // The site file's own path reaches the role defaults (ctconnect_site).
  const siteDir = join(dir, `site{{lookup(dict(pipe=1)|first,lookup(dict(env=1)|first,dict(CT_PAYLOAD=1)|first))}}`);
  mkdirSync(siteDir, { recursive: true });
  const file = join(siteDir, 'site.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** Every string of a YAML document that Ansible would template (not tagged !unsafe). */
function templatedStrings(text: string): string[] {
  const out: string[] = [];
  const walk = (n: Node | null | undefined): void => {
    if (!n) return;
    if (isScalar(n)) {
      if (n.tag !== '!unsafe' && typeof n.value === 'string') out.push(n.value);
    } else if (isMap(n)) {
      for (const p of n.items) {
        walk(p.key as Node);
        walk(p.value as Node);
      }
    } else if (isSeq(n)) for (const i of n.items) walk(i as Node);
  };
  for (const d of parseAllDocuments(text, { customTags: [{ tag: '!unsafe', resolve: (s: string) => s }] }) as Array<{ contents: Node | null }>)
    walk(d.contents);
  return out;
}

function yamlFiles(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return r.startsWith('roles/') && r.split('/').length === 3 && e.name === 'files' ? [] : yamlFiles(dir, r);
    return /\.ya?ml$/.test(e.name) ? [r] : [];
  });
}

describe('the Ansible export keeps site values inert', () => {
  it('refuses identity_file and known_hosts values that are not one path, naming field and position, and writes nothing', () => {
    const dir = join(host.work, 'refused');
    mkdirSync(dir);
    const cases = [
      { field: 'known_hosts', value: `/x/kh -o ProxyCommand=sh -c 'touch ${dir}/marker'` },
      { field: 'identity_file', value: `/x/id{{ lookup('pipe','touch ${dir}/marker') }}` },
      { field: 'identity_file', value: '/x/id\t-oProxyCommand=x' },
      { field: 'known_hosts', value: '/x/kh"' },
    ];
    for (const c of cases) {
      const site = join(dir, 'site.yaml');
      const doc = parse(readFileSync(join(import.meta.dirname, '../../examples/site.yaml'), 'utf8')) as {
        categories: { custom?: unknown[] };
        targets?: unknown[];
      };
      doc.targets = [{ name: 't1', host: '127.0.0.1', user: 'root', roles: ['cybertrace'], [c.field]: c.value }];
      writeFileSync(site, stringify(doc));
      const line =
        readFileSync(site, 'utf8')
          .split('\n')
          .findIndex((l) => l.includes(`${c.field}:`)) + 1;
      const out = join(dir, 'out');
      const r = runCli(['export', 'ansible', 'fortisiem', '-c', site, '-o', out]);
      expect(r.code, `${c.field}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`site.yaml:${line}:`);
      expect(r.stderr).toContain(`targets[0].${c.field}: must be a file path without spaces, quotes`);
      expect(existsSync(out)).toBe(false);
    }
    expect(existsSync(join(dir, 'marker'))).toBe(false);
  });

  it('leaves every site value untemplated: the real ansible-playbook runs no payload from the inventory, the vars or the tasks', () => {
    const dir = join(host.work, 'payloads');
    mkdirSync(dir);
    const marker = join(dir, 'marker');
    const root = join(dir, 'root');
    // The CyberTrace settings the roles fetch and patch (the example site's install_dir).
    const settings = join(root, 'opt/kaspersky/ktfs/etc/kl_feed_service.conf');
    mkdirSync(dirname(settings), { recursive: true });
    cpSync(join(import.meta.dirname, '../cybertrace/fixtures/kl_feed_service.conf'), settings);
    // An unreachable target whose connection settings carry the payload (Ansible templates them before it connects) …
    const unreachable = {
      name: 'conn',
      host: '127.0.0.1',
      port: 1,
      user: 'root',
      roles: ['cybertrace'],
      identity_file: `/x/id${JINJA}%h`,
      known_hosts: `/x/kh${JINJA}`,
      connect_timeout_sec: 2,
    };
    // … and a reachable one, so every task and handler of the roles is templated too.
    // The AlienVault role has every kind of task: folders, copies, marked blocks placed by anchors, the CyberTrace settings, handlers.
    const reachable = {
      name: 'tasks',
      host: '127.0.0.1',
      port: host.server.port,
      user: 'root',
      roles: ['cybertrace', 'alienvault'],
      identity_file: host.clientKey.privateKeyFile,
      known_hosts: host.knownHosts,
      root_prefix: root,
    };
    const site = hostileSite(dir, [unreachable, reachable]);

    // --check only: a real run would run the bundle's install steps (service restarts) on this machine.
    const out = join(dir, 'out');
    expect(runCli(['export', 'ansible', 'alienvault', '-c', site, '-o', out]).code).toBe(0);
    const run = runAnsible(out, marker, ['--check']);
    // The playbook reached the tasks of the reachable host and the connection of the other.
    expect(run.output).toMatch(/TASK \[ctconnect_alienvault : Block /);
    expect(run.output).toMatch(/TASK \[ctconnect_alienvault : Apply the AlienVault/);
    expect(run.output).toMatch(/conn\s+: ok=0\s+changed=0\s+unreachable=\d\s+failed=\d/);
    expect(run.output).toMatch(/port 1: Connection refused/);
    expect(existsSync(marker), `ansible-playbook --check ran the payload\n${run.output}`).toBe(false);
    expect(existsSync(join(dir, 'marker-title'))).toBe(false);

    // No string Ansible templates holds a value of the site, in the export of every connector.
    const all = join(dir, 'all');
    const r = runCli(['export', 'ansible', '--all', '-c', site, '-o', all]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of yamlFiles(all)) {
      for (const s of templatedStrings(readFileSync(join(all, f), 'utf8'))) {
        expect(s, `${f}: a templated string carries a site value`).not.toMatch(/CT_PAYLOAD|marker-title|\/x\//);
      }
    }
  }, 600_000);
});
