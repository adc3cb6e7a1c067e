#!/usr/bin/env node
// Deploy benchmark: the FortiSIEM bundle (CyberTrace settings patch + restart step) and the
// AlienVault bundle (5 target files, 3 blocks merged into rsyslog.conf and the agent's config.cfg, 4 steps) to 1 host and to
// 8 hosts, each host its own real sshd on 127.0.0.1 behind a delay proxy (bench/lib/delay-proxy.mjs) that
// makes the link a slow one: 50 ms round trip by default. Wall times of a changing deploy and of a
// no-change re-run, median of several rounds, the ratio 8-host / 1-host, and the round trips each host's
// deploy waited on after connecting (the deployer's own count, `roundTrips` in `deploy --json`), checked
// against the time: (deploy − a bare connect) / RTT. Steps run `true` instead of restarting this machine's services.
// Needs: npm run build, root (sshd), /usr/sbin/sshd and ssh-keygen.
// Usage: node bench/deploy.mjs [rounds] [--rtt MS]   (--rtt 0: straight to sshd, no proxy)
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { stringify } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { deployBundle } = await import(join(root, 'dist/src/deploy/deploy.js'));
const { parseSite } = await import(join(root, 'dist/src/config/load.js'));
const { buildBundle } = await import(join(root, 'dist/src/bundle/build.js'));
const { getConnector, registry } = await import(join(root, 'dist/connectors/registry.js'));
const { createRenderer } = await import(join(root, 'dist/src/render/engine.js'));
const { connect: sshConnect } = await import(join(root, 'dist/src/deploy/connect.js'));
const { resolveSecrets } = await import(join(root, 'dist/src/deploy/secrets.js'));
const { startDelayProxy } = await import('./lib/delay-proxy.mjs');
const { parse } = await import('yaml');
const args = process.argv.slice(2);
const rttAt = args.indexOf('--rtt');
const rtt = rttAt >= 0 ? Number(args.splice(rttAt, 2)[1]) : 50;
const rounds = Number(args[0] ?? 5);
const FIXTURE = join(root, 'test/cybertrace/fixtures/kl_feed_service.conf');
const OSSIM_RSYSLOG = join(root, 'test/deploy/lab-hosts/ossim/etc/rsyslog.conf');
const EXAMPLE = parse(readFileSync(join(root, 'examples/site.yaml'), 'utf8'));
const CASES = [
  { siem: 'fortisiem', role: 'cybertrace', what: 'fortisiem bundle: settings patch + backup + restart' },
  { siem: 'alienvault', role: 'alienvault', what: 'alienvault bundle: 5 files (3 merged blocks), 4 steps' },
];

const work = mkdtempSync(join(tmpdir(), 'ctc-bench-'));
chmodSync(work, 0o755);
const keygen = (name) => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, name)]);
  return readFileSync(join(work, `${name}.pub`), 'utf8').trim();
};
const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
const banner = (port) =>
  new Promise((res, rej) => {
    const deadline = Date.now() + 15000;
    const tryOnce = () => {
      const c = connect(port, '127.0.0.1');
      c.once('data', () => (c.destroy(), res()));
      c.once('error', () => (c.destroy(), Date.now() > deadline ? rej(new Error(`sshd ${port} silent`)) : setTimeout(tryOnce, 100)));
    };
    tryOnce();
  });

mkdirSync(join(work, 'home'), { recursive: true });

async function startSshd(i, clientPub) {
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const hostPub = keygen(`host${i}`);
  writeFileSync(join(work, 'authorized_keys'), `${clientPub}\n`);
  const port = await freePort();
  const cfg = join(work, `sshd${i}.conf`);
  writeFileSync(cfg, [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(work, `host${i}`)}`, `PidFile ${join(work, `sshd${i}.pid`)}`,
    `AuthorizedKeysFile ${join(work, 'authorized_keys')}`, 'StrictModes no', 'UsePAM no', 'PermitRootLogin yes',
    'PasswordAuthentication no', 'Subsystem sftp internal-sftp', 'LogLevel ERROR',
    // An empty HOME: the login shell then reads no rc file of this machine's user, which would be timed too.
    `SetEnv HOME=${join(work, 'home')}`, '',
  ].join('\n'));
  const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: 'ignore' });
  await banner(port);
  const proxy = rtt > 0 ? await startDelayProxy(port, rtt / 2) : undefined;
  const [type, key] = hostPub.split(' ');
  const via = proxy?.port ?? port;
  return { port: via, direct: port, proc, proxy, known: `[127.0.0.1]:${via} ${type} ${key}\n[127.0.0.1]:${port} ${type} ${key}` };
}

const clientPub = keygen('client');
const servers = [];
for (let i = 0; i < 8; i++) servers.push(await startSshd(i, clientPub));
writeFileSync(join(work, 'known_hosts'), servers.map((s) => s.known).join('\n') + '\n');

const installDir = join(work, 'ktfs');
mkdirSync(join(installDir, 'etc/init.d'), { recursive: true });
writeFileSync(join(installDir, 'etc/init.d/kl_feed_service'), '#!/bin/sh\nexit 0\n');
chmodSync(join(installDir, 'etc/init.d/kl_feed_service'), 0o755);

let stageNo = 0;
/** The site of case `c` with `n` fresh targets; `direct`: straight to sshd, around the delay proxy. */
function siteFor(c, n, direct = false) {
  const targets = servers.slice(0, n).map((s, i) => {
    const stage = join(work, `stage${stageNo++}`);
    const conf = join(stage, installDir, 'etc/kl_feed_service.conf');
    mkdirSync(dirname(conf), { recursive: true });
    writeFileSync(conf, readFileSync(FIXTURE));
    mkdirSync(join(stage, 'etc'), { recursive: true });
    writeFileSync(join(stage, 'etc/rsyslog.conf'), readFileSync(OSSIM_RSYSLOG));
    return {
      name: `h${i + 1}`, host: '127.0.0.1', port: direct ? s.direct : s.port, user: 'root', roles: [c.role],
      identity_file: join(work, 'client'), known_hosts: join(work, 'known_hosts'), root_prefix: stage,
    };
  });
  const doc = { ...EXAMPLE, cybertrace: { ...EXAMPLE.cybertrace, install_dir: installDir }, siems: { [c.siem]: EXAMPLE.siems[c.siem] }, targets };
  return parseSite(stringify(doc), 'bench', registry);
}

async function bundleFor(c, site) {
  const b = await buildBundle(getConnector(c.siem), site, createRenderer());
  return { ...b, steps: b.steps.map((st) => ({ ...st, command: 'true' })) };
}

async function timed(c, site, n) {
  const bundle = await bundleFor(c, site);
  const t0 = process.hrtime.bigint();
  const r = await deployBundle(bundle, site, { secrets: { env: {} }, concurrency: n });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.exitCode !== 0) throw new Error(`deploy failed: ${JSON.stringify(r.hosts.map((h) => h.error))}`);
  return { ms, statuses: r.hosts.map((h) => h.status), roundTrips: r.hosts.map((h) => h.roundTrips) };
}

/** A bare connection (TCP, SSH handshake, host key check, key authentication) and its close, to take from a deploy's time. */
async function connectOnly(site) {
  const t = site.targets[0];
  const secrets = await resolveSecrets(t, { env: {} });
  const t0 = process.hrtime.bigint();
  const conn = await sshConnect(t, secrets, { writeKnownHosts: false });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  conn.close();
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
const connects = { proxied: [], direct: [] };
try {
  await timed(CASES[0], siteFor(CASES[0], 1), 1); // warm-up: module loading, first handshakes
  for (let r = 0; r < rounds; r++) {
    connects.proxied.push(await connectOnly(siteFor(CASES[0], 1)));
    connects.direct.push(await connectOnly(siteFor(CASES[0], 1, true)));
  }
  for (const c of CASES) {
    results[c.siem] = {};
    for (const n of [1, 8]) {
      const first = [];
      const again = [];
      const trips = { first: new Set(), again: new Set() };
      for (let r = 0; r < rounds; r++) {
        const site = siteFor(c, n);
        const a = await timed(c, site, n);
        if (!a.statuses.every((s) => s === 'changed')) throw new Error('first deploy did not change every host');
        const b = await timed(c, site, n);
        if (!b.statuses.every((s) => s === 'ok')) throw new Error('second deploy was not a no-op');
        first.push(a.ms);
        again.push(b.ms);
        for (const x of a.roundTrips) trips.first.add(x);
        for (const x of b.roundTrips) trips.again.add(x);
      }
      results[c.siem][n] = { first: median(first), again: median(again), trips: { first: [...trips.first].join('/'), again: [...trips.again].join('/') } };
    }
    if (rtt > 0) {
      // The same deploy to 1 host without the proxy: what is left of the difference, less the connect's, is waiting on the link.
      const first = [];
      const again = [];
      for (let r = 0; r < rounds; r++) {
        const site = siteFor(c, 1, true);
        first.push((await timed(c, site, 1)).ms);
        again.push((await timed(c, site, 1)).ms);
      }
      results[c.siem].direct = { first: median(first), again: median(again) };
    }
  }
} finally {
  for (const s of servers) {
    s.proc.kill('SIGTERM');
    await s.proxy?.close();
  }
  rmSync(work, { recursive: true, force: true });
}

const connectMs = median(connects.proxied);
const connectLinkMs = connectMs - median(connects.direct);
const head = ['deploy', 'run', 'round trips per host', '1 host', '8 hosts (concurrency 8)', 'ratio 8/1'];
if (rtt > 0) head.push('1 host without proxy', 'waits on the link after connecting, from the times');
const table = new Table({ head, style: { head: [], border: [] } });
for (const c of CASES) {
  for (const [label, key] of [['first (changes)', 'first'], ['second (no change)', 'again']]) {
    const r = results[c.siem];
    // Every host of either run waited on the same number; more than one number would show here.
    const trips = [...new Set([r[1].trips[key], r[8].trips[key]].flatMap((t) => t.split('/')))].join(' / ');
    const row = [c.what, label, trips, `${r[1][key].toFixed(0)} ms`, `${r[8][key].toFixed(0)} ms`, (r[8][key] / r[1][key]).toFixed(2)];
    if (rtt > 0) row.push(`${r.direct[key].toFixed(0)} ms`, ((r[1][key] - r.direct[key] - connectLinkMs) / rtt).toFixed(1));
    table.push(row);
  }
}
const link = rtt > 0 ? `sshd on 127.0.0.1 behind a delay proxy, ${rtt} ms round trip` : 'sshd on 127.0.0.1, no proxy';
const connectNote = rtt > 0 ? ` (${(connectLinkMs / rtt).toFixed(1)} RTT more than without the proxy)` : '';
console.log(`node ${process.version}, ${cpus().length} CPU(s), median of ${rounds} rounds, ${link}; a bare connect takes ${connectMs.toFixed(0)} ms${connectNote}`);
console.log(table.toString());
