/**
 * The deploy lab. Every registered connector, with the example site's section and every variant
 * the connector declares, is deployed to real sshd targets on 127.0.0.1 — one target per role the
 * bundle installs for, plus one with all of them — confined below a staging root per target, with
 * service commands replaced by recorders (stdin kept; commands with a real consumer here, such as
 * an ossim-db-like wrapper around a real MariaDB, are run by it). For each it checks:
 * `--check` writes nothing; the first deploy installs every file with its mode, each shared file
 * passes its real validator after the merge, every step runs once per host; a second deploy
 * changes nothing and runs nothing. Then the same plan exported as an Ansible role is run by the
 * real ansible-playbook on twin targets: `--check` writes nothing, the trees it leaves are the ones
 * `ctconnect deploy` left (backups aside), and a second run reports changed=0. A new connector or
 * variant is tested by being registered.
 *
 * What keeps it fast: each case deploys to the targets of every host image at once, and runs
 * ansible-playbook three times in all (--check, first run, second run) on one inventory of twins —
 * every target of the "fresh" image, and on the other images the single-role targets whose blocks go
 * into a file the image holds (elsewhere an image changes nothing Ansible does). One sshd and one
 * MariaDB serve every case, and the cases run side by side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { allConnectors } from '../../connectors/registry.js';
import type { Connector } from '../../src/connector/contract.js';
import { buildBundle, type Bundle } from '../../src/bundle/build.js';
import type { DeployTarget } from '../../src/model/site.js';
import { deployBundle } from '../../src/deploy/deploy.js';
import { ansibleExport } from '../../src/deploy/ansible.js';
import { rolesOf, workOf } from '../../src/deploy/work.js';
import { type HostWork } from '../../src/deploy/types.js';
import { createRenderer } from '../../src/render/engine.js';
import { startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { OSSIM_PLUGIN_TABLES_SQL } from '../helpers/ossim-schema.js';
import { makeKeyPair, startSshd, type KeyPair, type SshServer } from '../helpers/sshd.js';
import { connectorVariants, merged, siteFromYaml } from '../helpers/bundles.js';
import { at, readXml, xmllint } from '../cybertrace/fixtures/xml-read.js';
import { bundleOf, siteWith, snapshot } from './fixtures.js';
import { runCli } from '../helpers/cli.js';
import { createSudoUser, removeLeftoverTestUsers } from '../helpers/test-users.js';

const here = dirname(fileURLToPath(import.meta.url));
const EXAMPLE = join(here, '../../examples/site.yaml');
const FEED_SERVICE_CONF = join(here, '../cybertrace/fixtures/kl_feed_service.conf');
/** Host images: files a target already has before the deploy (besides CyberTrace's own config). */
const HOST_IMAGES = join(here, 'lab-hosts');

let work: string;
let clientKey: KeyPair;
let server: SshServer;
let knownHosts: string;
let mariadb: Promise<MariaDb> | undefined;

/**
 * Real consumers of step input available here, by command name: everything else is only recorded.
 * Each gets the step's stdin and must exit 0 for the deploy to succeed.
 */
const CONSUMERS: Record<string, () => Promise<string>> = {
  // ossim-db reads SQL on stdin and runs it with the mysql client on the alienvault database (the AlienVault ossim-agent source).
  'ossim-db': async () => {
    // One server for the whole file, started by the first case that needs it.
    mariadb ??= startMariaDb({ databases: ['alienvault'], sqlMode: 'NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION' }).then(async (db) => {
      await db.query(`USE alienvault; ${OSSIM_PLUGIN_TABLES_SQL}`);
      return db;
    });
    return `exec mysql --protocol=socket -S '${(await mariadb).socket}' -u root alienvault`;
  },
};

const consumersWritten = new Map<string, Promise<void>>();
/** Writes the consumer of this command once (cases running side by side share it). */
function consumer(name: string): Promise<void> {
  let p = consumersWritten.get(name);
  if (!p) {
    p = CONSUMERS[name]().then((script) => writeFileSync(join(work, 'consumers', name), `${script}\n`));
    consumersWritten.set(name, p);
  }
  return p;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ctc-lab-'));
  chmodSync(work, 0o755);
  clientKey = makeKeyPair(work, 'client');
  server = await startSshd({ authorizedKeys: [clientKey.publicKeyLine] });
  knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
  mkdirSync(join(work, 'consumers'));
  // The recorder every step command is replaced by: logs the command and its input's hash beside
  // the target's root, then hands the input to a real consumer when there is one.
  writeFileSync(
    join(work, 'step.sh'),
    [
      '#!/bin/sh',
      'log="${CTCONNECT_ROOT}.steps.log"',
      'input=$(mktemp)',
      'cat > "$input"',
      'printf "%s\\t%s\\n" "$*" "$(sha256sum < "$input" | cut -d" " -f1)" >> "$log"',
      `consumer=${join(work, 'consumers')}/$(basename "$1")`,
      'rc=0',
      'if [ -f "$consumer" ]; then sh "$consumer" < "$input" || rc=$?; fi',
      'rm -f "$input"',
      'exit $rc',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
});

/** Ends the SSH connections ansible-playbook keeps open (ControlPersist) through the sockets in `dir`. */
function closeAnsibleConnections(dir: string): void {
  if (!existsSync(dir)) return;
  for (const socket of readdirSync(dir)) spawnSync('ssh', ['-O', 'exit', '-o', `ControlPath=${join(dir, socket)}`, 'lab'], { stdio: 'ignore' });
}

afterAll(async () => {
  if (work) closeAnsibleConnections(join(work, 'ansible-tmp', 'cp'));
  await (await mariadb)?.stop();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const CTCONNECT = [process.execPath, join(here, '../../bin/ctconnect.js')];

/** Writes an Ansible export into `dir`. */
function writeExport(dir: string, files: Array<{ path: string; content: string | Buffer; mode: number }>): void {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
  }
}

/**
 * Runs ansible-playbook on the export in `dir` (without blocking: the lab's sshd and MariaDB live
 * in this process); returns the recap counts per host.
 */
async function runAnsible(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  const tmp = join(work, 'ansible-tmp');
  const child = spawn('ansible-playbook', ['site.yml', ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ANSIBLE_LOCAL_TEMP: join(tmp, 'local'),
      ANSIBLE_REMOTE_TEMP: join(tmp, 'remote'),
      ANSIBLE_SSH_CONTROL_PATH_DIR: join(tmp, 'cp'),
      ANSIBLE_NOCOLOR: '1',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const limit = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(limit);
  const recap: Record<string, { changed: number; failed: number; unreachable: number }> = {};
  for (const m of stdout.matchAll(/^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    recap[m[1]] = { changed: Number(m[2]), unreachable: Number(m[3]), failed: Number(m[4]) };
  }
  return { code, output: `${stdout}${stderr}`, recap };
}

/** A tree as both tools must leave it: paths, types, modes and bytes; backups (named differently by each tool) left out. */
function contentTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [p, v] of Object.entries(snapshot(root))) {
    const rel = p.slice(root.length);
    if (/\.ctconnect-bak-|\.\d+\.\d{4}-\d{2}-\d{2}@\d{2}:\d{2}:\d{2}~$/.test(rel)) continue;
    // snapshot() keeps mtimes; the two tools write at different times.
    out[rel] = v.replace(/^(file \d+) [\d.]+ /, '$1 ');
  }
  return out;
}

/** A target of the lab: its name, roles and staging root; `steps: skip` makes it a staged host. */
interface LabTarget {
  name: string;
  roles: string[];
  root: string;
  steps?: 'run' | 'skip';
}

/** The example site with only this connector's section (variant applied) and the lab's targets. */
function labSiteYaml(c: Connector, options: Record<string, unknown>, targets: LabTarget[]): string {
  const doc = parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
  const siems = doc.siems as Record<string, unknown>;
  doc.siems = { [c.id]: merged(siems[c.id] ?? {}, options) };
  doc.targets = targets.map((t) => ({
    name: t.name,
    host: '127.0.0.1',
    port: server.port,
    user: 'root',
    roles: t.roles,
    identity_file: clientKey.privateKeyFile,
    known_hosts: knownHosts,
    root_prefix: t.root,
    connect_timeout_sec: 15,
    ...(t.steps ? { steps: t.steps } : {}),
  }));
  return stringify(doc);
}

const labSite = (c: Connector, options: Record<string, unknown>, targets: LabTarget[]) => siteFromYaml(labSiteYaml(c, options, targets));

/** Whether user:group exists here (the lab's targets are this machine). */
function ownerExists(owner: string): boolean {
  const [user, group] = owner.split(':');
  const ok = (db: string, name: string | undefined) => name === undefined || spawnSync('getent', [db, name]).status === 0;
  return ok('passwd', user) && ok('group', group);
}

/**
 * The bundle as the lab runs it: every step runs the recorder with its original command line as
 * arguments, and an owner this machine lacks (a SIEM's service account) becomes root:root.
 */
function confined(bundle: Bundle): Bundle {
  return {
    ...bundle,
    files: bundle.files.map((f) => (f.install?.owner && !ownerExists(f.install.owner) ? { ...f, install: { ...f.install, owner: 'root:root' } } : f)),
    steps: bundle.steps.map((s) => ({ ...s, command: `sh ${join(work, 'step.sh')} ${s.command}` })),
  };
}

function stepLog(root: string): string[] {
  const f = `${root}.steps.log`;
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
}

function listImages(): string[] {
  return readdirSync(HOST_IMAGES).sort();
}

function imageFiles(image: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const n of readdirSync(join(HOST_IMAGES, image, rel))) {
      const r = join(rel, n);
      if (statSync(join(HOST_IMAGES, image, r)).isDirectory()) walk(r);
      else out.push(`/${r}`);
    }
  };
  walk('');
  return out;
}

/** Host images worth deploying onto: "fresh" always, the others when they hold a file the bundle merges into. */
function imagesFor(bundle: Bundle): string[] {
  const merges = new Set(bundle.files.filter((f) => f.install?.merge?.kind === 'marked-block').map((f) => f.install!.path));
  return ['fresh', ...listImages().filter((i) => imageFiles(i).some((p) => merges.has(p)))];
}

/** What a target has before the deploy: CyberTrace's config where the bundle patches it, and the image's files. */
function prepareRoot(root: string, bundle: Bundle, image: string): void {
  mkdirSync(root, { recursive: true });
  for (const f of bundle.files) {
    if (f.install?.merge?.kind !== 'cybertrace-settings') continue;
    const p = join(root, f.install.path);
    mkdirSync(dirname(p), { recursive: true });
    cpSync(FEED_SERVICE_CONF, p);
  }
  if (image !== 'fresh') cpSync(join(HOST_IMAGES, image), root, { recursive: true });
}

/**
 * The cases, longest first: those that also run Ansible, then by the files they install. With the
 * cases side by side (at most `maxConcurrency` at once, vitest.config.ts), the longest then never
 * start last, and no case waits on the others for most of its time.
 */
const cases = await (async () => {
  const all = connectorVariants();
  const files = await Promise.all(
    all.map(async ({ c, options }) => (await buildBundle(c, labSite(c, options, []), createRenderer())).files.filter((f) => f.install).length),
  );
  const cost = (i: number) => (all[i].variant === 'default' ? 1_000_000 : 0) + files[i];
  return all
    .map((k, i) => ({ k, i }))
    .sort((a, b) => cost(b.i) - cost(a.i))
    .map(({ k }) => k);
})();

/** A lab target on one host image. */
interface ImageTarget extends LabTarget {
  image: string;
}

/**
 * Twins worth running Ansible on: every target on the "fresh" image; on an image with files of its
 * own, the single-role targets that merge a block into one of those files (where blockinfile's
 * placement is what is tested). Other targets on such an image do what they do on "fresh".
 */
function ansibleWorthy(bundle: Bundle, site: ReturnType<typeof labSite>, targets: ImageTarget[]): ImageTarget[] {
  return targets.filter((t) => {
    if (t.image === 'fresh') return true;
    if (t.roles.length !== 1 && targets.some((o) => o.image === t.image && o.roles.length === 1)) return false;
    const held = new Set(imageFiles(t.image));
    const w = workOf(bundle, site.targets.find((x) => x.name === t.name) as DeployTarget);
    return w.files.some((f) => f.parts.some((p) => p.spec.merge?.kind === 'marked-block' && held.has(p.spec.path)));
  });
}

// The cases share nothing but the lab's sshd and MariaDB (each has its own targets, roots and export),
// so they run side by side: most of a case's time is spent waiting on ansible-playbook and on sshd.
describe('deploy lab', () => {
  for (const { c, variant, options } of cases) {
    // On a 2-core machine shared ten times over (load average 20) the longest case (Splunk) took 540–570 s;
    // the time limit leaves room for that.
    it.concurrent(
      `${c.id} (${variant}): plans, checks, deploys with real validators, and deploys again without change, on every host image`,
      { timeout: 1_200_000 },
      async ({ expect }) => {
        const probeSite = labSite(c, options, []);
        const probe = await buildBundle(c, probeSite, createRenderer());
        const roles = rolesOf(probe);
        expect(roles.length, `${c.id} installs nothing over SSH`).toBeGreaterThan(0);

        // Every host image at once: one target per role (and one with all of them) per image, deployed together.
        const base = join(work, `${c.id}-${variant}`.replace(/[^A-Za-z0-9_.-]+/g, '_'));
        const targets: ImageTarget[] = imagesFor(probe).flatMap((image) => {
          const slug = image.replace(/[^A-Za-z0-9_.-]+/g, '_');
          const of = (name: string, rs: string[]): ImageTarget => ({ name: `t-${name}-${slug}`, roles: rs, root: join(base, slug, name), image });
          return [...roles.map((r) => of(r, [r])), ...(roles.length > 1 ? [of('all', roles)] : [])];
        });
        const site = labSite(c, options, targets);
        const bundle = confined(await buildBundle(c, site, createRenderer()));
        for (const t of targets) prepareRoot(t.root, bundle, t.image);
        for (const name of Object.keys(CONSUMERS)) {
          if (bundle.steps.some((s) => s.command.split(' ')[2] === name)) await consumer(name);
        }
        const at = (t: ImageTarget) => `${c.id} (${variant}) on the "${t.image}" host image, ${t.name}`;
        const secrets = { env: {} };
        const concurrency = targets.length;
        const trees = () => Object.fromEntries(targets.map((t) => [t.name, snapshot(t.root)]));

        // --check before the first deploy: reports changes, writes nothing.
        const before = trees();
        const check = await deployBundle(bundle, site, { check: true, secrets, concurrency });
        expect(check.hosts.map((h) => [h.target, h.status, h.error?.message])).toEqual(targets.map((t) => [t.name, 'changed', undefined]));
        expect(trees(), `${c.id} (${variant}): --check wrote something`).toEqual(before);
        for (const t of targets) expect(stepLog(t.root), `${at(t)}: --check ran a step`).toEqual([]);

        // The first deploy.
        const first = await deployBundle(bundle, site, { secrets, concurrency });
        expect(first.hosts.map((h) => [h.target, h.status, h.error?.message, h.error?.details])).toEqual(
          targets.map((t) => [t.name, 'changed', undefined, undefined]),
        );
        expect(first.exitCode).toBe(0);
        for (const t of targets) {
          const w: HostWork = workOf(bundle, site.targets.find((x) => x.name === t.name) as DeployTarget);
          const existedBefore = new Set(Object.keys(before[t.name]));
          for (const f of w.files) {
            const where = `${at(t)}: ${f.path}`;
            expect(existsSync(f.path), `${where} missing`).toBe(true);
            const bytes = readFileSync(f.path);
            // A merge into an existing file keeps its mode; everything else gets the bundle's.
            if (!(f.merged && existedBefore.has(f.path))) expect((statSync(f.path).mode & 0o7777).toString(8), where).toBe(f.mode.toString(8));
            if (!f.merged) expect(bytes.equals(f.parts[0].content), `${where}: not the bundle's bytes`).toBe(true);
            for (const p of f.parts) {
              const m = p.spec.merge;
              if (m?.kind === 'marked-block') {
                const block = `${m.commentPrefix} BEGIN ${m.marker}\n${p.content.toString('utf8').replace(/\n?$/, '\n')}${m.commentPrefix} END ${m.marker}\n`;
                expect(bytes.toString('utf8'), `${where}: block ${m.marker}`).toContain(block);
              }
              if (m?.kind === 'cybertrace-settings') expect(xmllint(bytes.toString('utf8')), `${where}: xmllint`).toBe('');
            }
            // The validator the deploy ran on the temp file accepts the installed file too.
            if (f.validate) {
              const r = spawnSync('sh', ['-c', f.validate.split('{file}').join(`'${f.path}'`)], { encoding: 'utf8' });
              expect(r.status, `${where}: ${f.validate}: ${r.stdout}${r.stderr}`).toBe(0);
            }
          }
          // Every step of the host ran once: all its files were new or changed.
          const expected = w.steps.filter((s) => s.step.when === 'always' || w.files.some((f) => f.notify.some((k) => s.keys.includes(k))));
          expect(
            stepLog(t.root)
              .map((l) => l.split('\t')[0])
              .sort(),
            `${at(t)}: steps`,
          ).toEqual(expected.map((s) => s.step.command.split(' ').slice(2).join(' ')).sort());
          expect(new Set(stepLog(t.root).map((l) => l.split('\t')[0])).size, `${at(t)}: a step ran twice`).toBe(stepLog(t.root).length);
        }

        // The second deploy: no change, no step.
        const afterFirst = trees();
        const logs = targets.map((t) => stepLog(t.root));
        const second = await deployBundle(bundle, site, { secrets, concurrency });
        expect(second.exitCode).toBe(0);
        for (const h of second.hosts) {
          expect(h.status, `${c.id} (${variant}), ${h.target}: second deploy`).toBe('ok');
          expect(
            h.files.filter((f) => f.status !== 'unchanged').map((f) => f.path),
            `${c.id} (${variant}), ${h.target}`,
          ).toEqual([]);
          expect(
            h.steps.filter((s) => s.status !== 'not-needed').map((s) => s.id),
            `${c.id} (${variant}), ${h.target}`,
          ).toEqual([]);
        }
        expect(trees(), `${c.id} (${variant}): the second deploy wrote something`).toEqual(afterFirst);
        expect(
          targets.map((t) => stepLog(t.root)),
          `${c.id} (${variant}): the second deploy ran a step`,
        ).toEqual(logs);

        if (variant !== 'default') return;
        // The same plan through Ansible, on twin targets prepared the same way: one inventory for every
        // host image, so ansible-playbook runs three times in all (--check, first run, second run).
        const chosen = ansibleWorthy(bundle, site, targets);
        const twins: ImageTarget[] = chosen.map((t) => ({ ...t, root: `${t.root}-ansible` }));
        const sitePath = `${base}-site.yaml`;
        writeFileSync(sitePath, labSiteYaml(c, options, twins));
        const twinSite = siteFromYaml(readFileSync(sitePath, 'utf8'));
        const twinBundle = confined(await buildBundle(c, twinSite, createRenderer()));
        for (const t of twins) prepareRoot(t.root, twinBundle, t.image);
        const exportDir = `${base}-ansible`;
        writeExport(exportDir, ansibleExport([twinBundle], twinSite, { sitePath, ctconnectCommand: CTCONNECT }));
        const twinTrees = () => Object.fromEntries(twins.map((t) => [t.name, snapshot(t.root)]));
        const beforeAnsible = twinTrees();
        const dry = await runAnsible(exportDir, ['--check', '--diff']);
        expect(dry.code, `${c.id}: ansible-playbook --check\n${dry.output}`).toBe(0);
        expect(twinTrees(), `${c.id}: ansible --check wrote something`).toEqual(beforeAnsible);
        const run1 = await runAnsible(exportDir);
        expect(run1.code, `${c.id}: ansible-playbook\n${run1.output}`).toBe(0);
        for (const t of chosen) {
          expect(contentTree(`${t.root}-ansible`), `${at(t)}: Ansible left another tree than ctconnect deploy`).toEqual(contentTree(t.root));
          expect(
            stepLog(`${t.root}-ansible`)
              .map((l) => l.split('\t')[0])
              .sort(),
            `${at(t)}: Ansible handlers`,
          ).toEqual(
            stepLog(t.root)
              .map((l) => l.split('\t')[0])
              .sort(),
          );
        }
        const run2 = await runAnsible(exportDir);
        expect(run2.code).toBe(0);
        expect(Object.keys(run2.recap).sort()).toEqual(twins.map((t) => t.name).sort());
        for (const [host, r] of Object.entries(run2.recap)) expect(r.changed, `${c.id}, ${host}: second ansible run\n${run2.output}`).toBe(0);
      },
    );
  }
});

/** A CyberTrace 5.x host: its kl_feed_service.conf has the General tenant and one more ("SOC"). */
const FIVE_X_IMAGE = 'cybertrace-5x';

/** The lab site of one connector whose CyberTrace is a 5.x, the General tenant serving it, with one cybertrace target. */
function fiveXSiteYaml(c: Connector, root: string): string {
  const doc = parse(labSiteYaml(c, {}, [{ name: 't-cybertrace', roles: ['cybertrace'], root }])) as Record<string, unknown>;
  doc.cybertrace = { ...(doc.cybertrace as object), version: '5.x', tenants: [{ name: 'General', serves: [c.id] }] };
  return stringify(doc);
}

describe('deploy lab: a CyberTrace 5.x host', () => {
  for (const c of allConnectors()) {
    it.concurrent(
      `${c.id}: deploy and the Ansible export patch the General tenant, leave the other tenant byte for byte, and change nothing the second time`,
      { timeout: 1_200_000 },
      async ({ expect }) => {
        const root = join(work, `5x-${c.id}`);
        const site = siteFromYaml(fiveXSiteYaml(c, root));
        const bundle = confined(await buildBundle(c, site, createRenderer()));
        const file = bundle.files.find((f) => f.install?.merge?.kind === 'cybertrace-settings');
        expect(file, `${c.id}: no CyberTrace settings to deploy`).toBeDefined();
        const path = file!.install!.path;
        const original = readFileSync(join(HOST_IMAGES, FIVE_X_IMAGE, path), 'utf8');
        prepareRoot(root, bundle, FIVE_X_IMAGE);
        const secrets = { env: {} };

        const first = await deployBundle(bundle, site, { secrets });
        expect(
          first.hosts.map((h) => [h.target, h.status, h.error?.message]),
          c.id,
        ).toEqual([['t-cybertrace', 'changed', undefined]]);
        const text = readFileSync(join(root, path), 'utf8');
        expect(xmllint(text), `${c.id}: xmllint`).toBe('');
        const general = at(readXml(text), 'Domains/Domain', (d) => d.attrs.name === 'General');
        expect(at(general, 'OutputSettings/EventSettings/EventFormat').text).toBe(bundle.settings.output.eventFormat);
        expect(at(general, 'InputSettings/ConnectionString').text).toBe(bundle.settings.input.connectionString);
        const soc = (x: string) => {
          const d = at(readXml(x), 'Domains/Domain', (n) => n.attrs.name === 'SOC');
          return x.slice(d.start, d.end);
        };
        expect(soc(text), `${c.id}: the other tenant`).toBe(soc(original));
        expect(stepLog(root).length, `${c.id}: the restart step`).toBeGreaterThan(0);

        const second = await deployBundle(bundle, site, { secrets });
        expect(second.hosts.map((h) => h.status)).toEqual(['ok']);
        expect(readFileSync(join(root, path), 'utf8')).toBe(text);

        // The same through the Ansible export (which runs `ctconnect cybertrace patch` on the controller).
        const twin = `${root}-ansible`;
        const sitePath = `${root}-site.yaml`;
        writeFileSync(sitePath, fiveXSiteYaml(c, twin));
        const twinSite = siteFromYaml(readFileSync(sitePath, 'utf8'));
        const twinBundle = confined(await buildBundle(c, twinSite, createRenderer()));
        prepareRoot(twin, twinBundle, FIVE_X_IMAGE);
        const exportDir = `${root}-export`;
        writeExport(exportDir, ansibleExport([twinBundle], twinSite, { sitePath, ctconnectCommand: CTCONNECT }));
        const run1 = await runAnsible(exportDir);
        expect(run1.code, `${c.id}: ansible-playbook\n${run1.output}`).toBe(0);
        expect(readFileSync(join(twin, path), 'utf8'), `${c.id}: Ansible patched otherwise than deploy`).toBe(text);
        const run2 = await runAnsible(exportDir);
        expect(run2.code).toBe(0);
        for (const [host, r] of Object.entries(run2.recap)) expect(r.changed, `${c.id}, ${host}: second ansible run\n${run2.output}`).toBe(0);
      },
    );
  }
});

describe('a staged target (steps: skip)', () => {
  // root_prefix confines the files; steps: skip keeps the steps off the real host. Every connector's
  // default bundle on one target with all its roles: every file lands, no step runs, the report
  // names each step it did not run, and the next deploy still has them pending.
  it.concurrent.each(allConnectors().map((c) => ({ c })))('$c.id: gets every file and runs no step', { timeout: 300_000 }, async ({ c }) => {
    const probe = await buildBundle(c, labSite(c, {}, []), createRenderer());
    const root = join(work, `staged-${c.id}`);
    const target: LabTarget = { name: `staged-${c.id}`, roles: rolesOf(probe), root, steps: 'skip' };
    const site = labSite(c, {}, [target]);
    const bundle = confined(await buildBundle(c, site, createRenderer()));
    prepareRoot(root, bundle, 'fresh');
    const secrets = { env: {} };
    const first = await deployBundle(bundle, site, { secrets });
    expect(first.hosts.map((h) => [h.target, h.status, h.error?.message])).toEqual([[target.name, 'changed', undefined]]);
    const w: HostWork = workOf(bundle, site.targets[0]);
    for (const f of w.files) expect(existsSync(f.path), `${c.id}: ${f.path} missing`).toBe(true);
    expect(stepLog(root), `${c.id}: a step ran on a staged target`).toEqual([]);
    const changedSteps = first.hosts[0].steps.filter((s) => s.status !== 'not-needed');
    expect(changedSteps.length, `${c.id}: no step reported`).toBeGreaterThan(0);
    for (const s of changedSteps) expect(s.status, `${c.id}: ${s.id}`).toBe('skipped');
    // The next deploy changes no file, runs nothing and still reports the steps as not run.
    const again = await deployBundle(bundle, site, { secrets });
    expect(
      again.hosts[0].files.every((f) => f.status === 'unchanged'),
      `${c.id}: a file changed on the second deploy`,
    ).toBe(true);
    expect(stepLog(root)).toEqual([]);
  });
});

describe('the Ansible export on its own', () => {
  it('of every connector of the example site passes ansible-playbook --syntax-check and ansible-lint', async () => {
    const doc = parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
    doc.targets = [
      { name: 't1', host: '127.0.0.1', user: 'root', roles: ['cybertrace', 'alienvault', 'splunk'], sudo: 'password', sudo_password_env: 'T1_SUDO' },
    ];
    const site = siteFromYaml(stringify(doc));
    const bundles = await Promise.all(allConnectors().map((c) => buildBundle(c, site, createRenderer())));
    const dir = join(work, 'lint');
    const files = ansibleExport(bundles, site, { sitePath: EXAMPLE, ctconnectCommand: CTCONNECT });
    // No secret values, only references to the variables the site names.
    expect(files.find((f) => f.path === 'inventory.yml')!.content).toContain(`ansible_become_password: "{{ lookup('ansible.builtin.env', 'T1_SUDO') }}"`);
    writeExport(dir, files);
    const syntax = await runAnsible(dir, ['--syntax-check']);
    expect(syntax.code, syntax.output).toBe(0);
    const lint = spawnSync('ansible-lint', ['--nocolor', '--offline'], { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, HOME: work } });
    expect(lint.status, `${lint.stdout}${lint.stderr}`).toBe(0);
  });

  it('a failing validator leaves the target file untouched', async () => {
    const root = join(work, 'validator-root');
    mkdirSync(join(root, 'etc/ctc-test'), { recursive: true });
    writeFileSync(join(root, 'etc/ctc-test/app.conf'), 'original\n', { mode: 0o640 });
    const site = siteWith([{ name: 't1', port: server.port, identity_file: clientKey.privateKeyFile, known_hosts: knownHosts, root_prefix: root }]);
    const bad = bundleOf([
      {
        path: 'testsiem/app.conf',
        content: 'valid=no\n',
        mode: 0o644,
        install: { role: 'cybertrace', path: '/etc/ctc-test/app.conf', mode: 0o640, validate: "grep -q '^valid=yes' {file}" },
      },
    ]);
    const before = snapshot(root);
    const dir = join(work, 'validator-export');
    writeExport(dir, ansibleExport([bad], site, { sitePath: EXAMPLE, ctconnectCommand: CTCONNECT }));
    const r = await runAnsible(dir);
    expect(r.code).not.toBe(0);
    expect(r.recap.t1.failed).toBe(1);
    // The file itself is untouched (bytes, mode and mtime); Ansible's copy keeps a backup even then.
    const withoutBackups = (t: Record<string, string>) => Object.fromEntries(Object.entries(t).filter(([p]) => !p.endsWith('~')));
    expect(withoutBackups(snapshot(root))).toEqual(before);
  });
});

describe('the Ansible export under become', () => {
  it('installs as root through sudo with a password, with pipelining on, and a second run changes nothing', async () => {
    removeLeftoverTestUsers();
    const user = createSudoUser('password');
    const becomeConnections = join(work, 'become-cp');
    try {
      // A root-owned staging root: the login user reaches it only through sudo.
      const root = join(work, 'become-root');
      mkdirSync(join(root, 'etc/ctc-test'), { recursive: true });
      const site = siteWith([
        {
          name: 't1',
          port: server.port,
          user: user.name,
          identity_file: clientKey.privateKeyFile,
          known_hosts: knownHosts,
          root_prefix: root,
          sudo: 'password',
          sudo_password_env: 'CTC_BECOME_PASSWORD',
        },
      ]);
      const bundle = confined(
        bundleOf(
          [
            {
              path: 'testsiem/app.conf',
              content: 'a=1\n',
              mode: 0o644,
              install: { role: 'cybertrace', path: '/etc/ctc-test/app.conf', mode: 0o600, owner: 'root:root', validate: 'test -s {file}', notify: ['reload'] },
            },
          ],
          [{ id: 'reload', role: 'cybertrace', description: 'reload', command: 'ctc-reload now', timeoutSec: 30, when: 'changed' }],
        ),
      );
      const dir = join(work, 'become-export');
      writeExport(dir, ansibleExport([bundle], site, { sitePath: EXAMPLE, ctconnectCommand: CTCONNECT }));
      expect(readFileSync(join(dir, 'ansible.cfg'), 'utf8')).toMatch(/^pipelining = True$/m);
      // The login user's own temp folder (the lab's is root's), and connections of its own, closed before
      // the user is removed (a user with a running session cannot be).
      const env = { CTC_BECOME_PASSWORD: user.password, ANSIBLE_REMOTE_TEMP: '~/.ansible/tmp', ANSIBLE_SSH_CONTROL_PATH_DIR: becomeConnections };
      const first = await runAnsible(dir, [], env);
      expect(first.code, first.output).toBe(0);
      const installed = join(root, 'etc/ctc-test/app.conf');
      expect(readFileSync(installed, 'utf8')).toBe('a=1\n');
      expect([statSync(installed).uid, (statSync(installed).mode & 0o7777).toString(8)]).toEqual([0, '600']);
      expect(stepLog(root).map((l) => l.split('\t')[0])).toEqual(['ctc-reload now']);
      const second = await runAnsible(dir, [], env);
      expect(second.code, second.output).toBe(0);
      expect(second.recap.t1?.changed, second.output).toBe(0);
    } finally {
      closeAnsibleConnections(becomeConnections);
      user.remove();
    }
  });
});

describe('export ansible (the command)', () => {
  it('writes the export, refuses a folder it did not write, and on a re-export keeps what the user added', () => {
    const out = join(work, 'cli-export');
    const first = runCli(['export', 'ansible', 'fortisiem', 'kuma', '-o', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(join(out, 'roles/ctconnect_kuma/tasks/main.yml'))).toBe(true);
    // The command that patches kl_feed_service.conf on the controller is the role's variable, as the README says.
    const defaults = readFileSync(join(out, 'roles/ctconnect_fortisiem/defaults/main.yml'), 'utf8');
    expect(defaults).toMatch(/^ctconnect_command:\n {2}- .+\n {2}- .+ctconnect\.js\n/m);
    const tasks = readFileSync(join(out, 'roles/ctconnect_fortisiem/tasks/cybertrace.yml'), 'utf8');
    expect(tasks).toContain("argv: \"{{ ctconnect_command + ['cybertrace', 'patch'");
    expect(tasks).not.toContain('ctconnect.js');
    mkdirSync(join(out, 'group_vars'));
    writeFileSync(join(out, 'group_vars/all.yml'), 'ctconnect_root: ""\n');
    const again = runCli(['export', 'ansible', 'fortisiem', '-o', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(out, 'group_vars/all.yml'), 'utf8')).toBe('ctconnect_root: ""\n');
    // What the earlier export wrote and this one does not is gone.
    expect(existsSync(join(out, 'roles/ctconnect_kuma'))).toBe(false);
    const foreign = join(work, 'not-an-export');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine\n');
    const refused = runCli(['export', 'ansible', 'fortisiem', '-o', foreign]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/was not written by `ctconnect export ansible`/);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine\n');
  });
});
