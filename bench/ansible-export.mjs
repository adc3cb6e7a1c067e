#!/usr/bin/env node
// Ansible export benchmark: the same deploy plan run by `ctconnect deploy` and by `ansible-playbook` on the
// export (`ctconnect export ansible`), to 1 host and to 8 hosts, each host its own real sshd on 127.0.0.1
// behind the delay proxy (bench/lib/delay-proxy.mjs): 50 ms round trip by default. Bundles: FortiSIEM (the
// CyberTrace settings patch and its restart step) and AlienVault (5 target files, 3 merged blocks, 4 steps).
// The export runs twice per round: as it is written, and with the settings it had before (no pipelining,
// facts gathered), as the baseline. Wall times of a first (changing) run and of a re-run, medians of the
// rounds; for ansible-playbook also the SSH commands it started per host (counted from its -vvv log).
// Every ansible-playbook run opens its own SSH connections (a fresh ControlPath folder), as a run started
// later would. Steps run `cat >/dev/null` instead of restarting this machine's services.
// Needs: npm run build, root (sshd), /usr/sbin/sshd, ssh-keygen, ansible-playbook.
// Usage: node bench/ansible-export.mjs [rounds] [--rtt MS]
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { ansibleExport } = await import(join(root, 'dist/src/deploy/ansible.js'));
const { parseSite } = await import(join(root, 'dist/src/config/load.js'));
const { registry } = await import(join(root, 'dist/connectors/registry.js'));
const { startSshHosts } = await import('./lib/ssh-hosts.mjs');
const { deploySites, benchBundle, timedDeploy } = await import('./lib/deploy-sites.mjs');
const args = process.argv.slice(2);
const rttAt = args.indexOf('--rtt');
const rtt = rttAt >= 0 ? Number(args.splice(rttAt, 2)[1]) : 50;
const rounds = Number(args[0] ?? 3);
const CTCONNECT = [process.execPath, join(root, 'bin/ctconnect.js')];
const CASES = [
  { siem: 'fortisiem', role: 'cybertrace', what: 'FortiSIEM bundle (settings patch, restart)' },
  { siem: 'alienvault', role: 'alienvault', what: 'AlienVault bundle (5 files, 3 merged blocks, 4 steps)' },
];

const work = mkdtempSync(join(tmpdir(), 'ctc-bench-'));
chmodSync(work, 0o755);
const lab = await startSshHosts(work, 8, rtt);

const siteText = deploySites(work, lab);
let siteNo = 0;
/** The site file of case `c` with `n` fresh targets, written to disk (the export's patch task reads it). */
function siteFor(c, n) {
  const text = siteText(c, n);
  const path = join(work, `site${siteNo++}.yaml`);
  writeFileSync(path, text);
  return { path, site: parseSite(text, path, registry) };
}

// A step that reads its input reads it all (Ansible's shell module fails on a closed pipe).
const bundleFor = (c, site) => benchBundle(c, site, 'cat >/dev/null');
const deployed = async (c, site, n) => timedDeploy(await bundleFor(c, site), site, n);

/** The export as it was written before: no pipelining, facts gathered by every play. */
const asBefore = (f) => {
  if (f.path === 'ansible.cfg')
    return {
      ...f,
      content: String(f.content)
        .replace(/^pipelining = True$/m, 'pipelining = False')
        .replace(/^gathering = explicit$/m, 'gathering = implicit'),
    };
  if (f.path === 'site.yml') return { ...f, content: String(f.content).replace(/^ {4}gather_facts: false\n/gm, '') };
  return f;
};

let runNo = 0;
function playbook(dir, n) {
  return new Promise((resolve, reject) => {
    const cp = join(work, `cp${runNo++}`);
    const t0 = process.hrtime.bigint();
    const child = spawn('ansible-playbook', ['-vvv', 'site.yml'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ANSIBLE_SSH_CONTROL_PATH_DIR: cp,
        ANSIBLE_LOCAL_TEMP: join(work, 'ansible-local'),
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_FORKS: String(n),
      },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`ansible-playbook exited ${code}:\n${out.slice(-4000)}`));
      const changed = [...out.matchAll(/^\S+\s+: ok=\d+\s+changed=(\d+)/gm)].map((m) => Number(m[1]));
      const sshCommands = (out.match(/^<127\.0\.0\.1> SSH: EXEC (ssh|sftp|scp) /gm) ?? []).length;
      resolve({ ms, changed, sshPerHost: sshCommands / n });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TOOLS = [
  ['ctconnect deploy', null],
  ['export, as written', (f) => f],
  ['export, before (no pipelining, facts)', asBefore],
];
const results = [];
try {
  await deployed(CASES[0], siteFor(CASES[0], 1).site, 1); // warm-up: module loading, first handshakes
  for (const c of CASES) {
    for (const n of [1, 8]) {
      for (const [tool, variant] of TOOLS) {
        const first = [];
        const again = [];
        const ssh = { first: new Set(), again: new Set() };
        for (let r = 0; r < rounds; r++) {
          const { path, site } = siteFor(c, n);
          if (!variant) {
            const a = await deployed(c, site, n);
            if (!a.statuses.every((s) => s === 'changed')) throw new Error('first deploy did not change every host');
            const b = await deployed(c, site, n);
            if (!b.statuses.every((s) => s === 'ok')) throw new Error('second deploy was not a no-op');
            first.push(a.ms);
            again.push(b.ms);
            continue;
          }
          const dir = join(work, `export${runNo}`);
          for (const f of ansibleExport([await bundleFor(c, site)], site, { sitePath: path, ctconnectCommand: CTCONNECT }).map(variant)) {
            mkdirSync(dirname(join(dir, f.path)), { recursive: true });
            writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
          }
          const a = await playbook(dir, n);
          if (a.changed.length !== n || a.changed.some((x) => x === 0)) throw new Error('first ansible run did not change every host');
          const b = await playbook(dir, n);
          if (b.changed.some((x) => x !== 0)) throw new Error('second ansible run changed something');
          first.push(a.ms);
          again.push(b.ms);
          ssh.first.add(a.sshPerHost);
          ssh.again.add(b.sshPerHost);
        }
        results.push({
          c,
          n,
          tool,
          first: median(first),
          again: median(again),
          ssh: variant ? { first: [...ssh.first].join('/'), again: [...ssh.again].join('/') } : undefined,
        });
      }
    }
  }
} finally {
  await lab.stop();
  rmSync(work, { recursive: true, force: true });
}

const table = new Table({
  head: ['bundle', 'hosts', 'tool', 'first run', 're-run', 'SSH commands per host (first / re-run)', 'first / re-run vs ctconnect deploy'],
  style: { head: [], border: [] },
});
for (const r of results) {
  const base = results.find((x) => x.c === r.c && x.n === r.n && x.tool === TOOLS[0][0]);
  table.push([
    r.c.what,
    r.n,
    r.tool,
    `${(r.first / 1000).toFixed(2)} s`,
    `${(r.again / 1000).toFixed(2)} s`,
    r.ssh ? `${r.ssh.first} / ${r.ssh.again}` : '',
    r === base ? '1 / 1' : `${(r.first / base.first).toFixed(1)}× / ${(r.again / base.again).toFixed(1)}×`,
  ]);
}
console.log(
  `node ${process.version}, ${cpus().length} CPU(s), ${execFileSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).split('\n')[0]}, median of ${rounds} rounds, sshd on 127.0.0.1 behind a delay proxy, ${rtt} ms round trip; forks = hosts`,
);
console.log(table.toString());
