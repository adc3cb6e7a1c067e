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
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { parseSite } = await import(join(root, 'dist/src/config/load.js'));
const { registry } = await import(join(root, 'dist/connectors/registry.js'));
const { connect: sshConnect } = await import(join(root, 'dist/src/deploy/connect.js'));
const { resolveSecrets } = await import(join(root, 'dist/src/deploy/secrets.js'));
const { startSshHosts } = await import('./lib/ssh-hosts.mjs');
const { deploySites, benchBundle, timedDeploy } = await import('./lib/deploy-sites.mjs');
const args = process.argv.slice(2);
const rttAt = args.indexOf('--rtt');
const rtt = rttAt >= 0 ? Number(args.splice(rttAt, 2)[1]) : 50;
const rounds = Number(args[0] ?? 5);
const CASES = [
  { siem: 'fortisiem', role: 'cybertrace', what: 'fortisiem bundle: settings patch + backup + restart' },
  { siem: 'alienvault', role: 'alienvault', what: 'alienvault bundle: 5 files (3 merged blocks), 4 steps' },
];

const work = mkdtempSync(join(tmpdir(), 'ctc-bench-'));
chmodSync(work, 0o755);
const lab = await startSshHosts(work, 8, rtt);

const siteText = deploySites(work, lab);
const siteFor = (c, n, direct = false) => parseSite(siteText(c, n, direct), 'bench', registry);

async function timed(c, site, n) {
  return timedDeploy(await benchBundle(c, site, 'true'), site, n);
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
  await lab.stop();
  rmSync(work, { recursive: true, force: true });
}

const connectMs = median(connects.proxied);
const connectLinkMs = connectMs - median(connects.direct);
const head = ['deploy', 'run', 'round trips per host', '1 host', '8 hosts (concurrency 8)', 'ratio 8/1'];
if (rtt > 0) head.push('1 host without proxy', 'waits on the link after connecting, from the times');
const table = new Table({ head, style: { head: [], border: [] } });
for (const c of CASES) {
  for (const [label, key] of [
    ['first (changes)', 'first'],
    ['second (no change)', 'again'],
  ]) {
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
console.log(
  `node ${process.version}, ${cpus().length} CPU(s), median of ${rounds} rounds, ${link}; a bare connect takes ${connectMs.toFixed(0)} ms${connectNote}`,
);
console.log(table.toString());
