// The sites and deploys the deploy benches share: fresh staging roots holding a CyberTrace
// kl_feed_service.conf and an OSSIM rsyslog.conf, a CyberTrace install folder whose service script
// does nothing, the example site's section of one SIEM, and a timed `ctconnect deploy`.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const { deployBundle } = await import(join(root, 'dist/src/deploy/deploy.js'));
const { buildBundle } = await import(join(root, 'dist/src/bundle/build.js'));
const { getConnector } = await import(join(root, 'dist/connectors/registry.js'));
const { createRenderer } = await import(join(root, 'dist/src/render/engine.js'));
const FIXTURE = join(root, 'test/cybertrace/fixtures/kl_feed_service.conf');
const OSSIM_RSYSLOG = join(root, 'test/deploy/lab-hosts/ossim/etc/rsyslog.conf');
const EXAMPLE = parse(readFileSync(join(root, 'examples/site.yaml'), 'utf8'));

/** Site texts for the hosts of `lab` (./ssh-hosts.mjs), staged below `work`. */
export function deploySites(work, lab) {
  const installDir = join(work, 'ktfs');
  mkdirSync(join(installDir, 'etc/init.d'), { recursive: true });
  writeFileSync(join(installDir, 'etc/init.d/kl_feed_service'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(installDir, 'etc/init.d/kl_feed_service'), 0o755);
  let stageNo = 0;
  /** The site of case `c` ({ siem, role }) with `n` fresh targets; `direct`: straight to sshd, around the delay proxy. */
  return function siteText(c, n, direct = false) {
    const targets = lab.hosts.slice(0, n).map((s, i) => {
      const stage = join(work, `stage${stageNo++}`);
      const conf = join(stage, installDir, 'etc/kl_feed_service.conf');
      mkdirSync(dirname(conf), { recursive: true });
      writeFileSync(conf, readFileSync(FIXTURE));
      mkdirSync(join(stage, 'etc'), { recursive: true });
      writeFileSync(join(stage, 'etc/rsyslog.conf'), readFileSync(OSSIM_RSYSLOG));
      return {
        name: `h${i + 1}`,
        host: '127.0.0.1',
        port: direct ? s.direct : s.port,
        user: 'root',
        roles: [c.role],
        identity_file: lab.clientKey,
        known_hosts: lab.knownHosts,
        root_prefix: stage,
      };
    });
    return stringify({ ...EXAMPLE, cybertrace: { ...EXAMPLE.cybertrace, install_dir: installDir }, siems: { [c.siem]: EXAMPLE.siems[c.siem] }, targets });
  };
}

/** The bundle of case `c` for `site`, every step replaced by `command` (nothing of this machine restarted). */
export async function benchBundle(c, site, command) {
  const b = await buildBundle(getConnector(c.siem), site, createRenderer());
  return { ...b, steps: b.steps.map((st) => ({ ...st, command })) };
}

/** `ctconnect deploy` of `bundle` to every target of `site`, `n` at a time: wall ms, statuses, round trips. */
export async function timedDeploy(bundle, site, n) {
  const t0 = process.hrtime.bigint();
  const r = await deployBundle(bundle, site, { secrets: { env: {} }, concurrency: n });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.exitCode !== 0) throw new Error(`deploy failed: ${JSON.stringify(r.hosts.map((h) => h.error))}`);
  return { ms, statuses: r.hosts.map((h) => h.status), roundTrips: r.hosts.map((h) => h.roundTrips) };
}
