/**
 * What a deploy costs on a slow link, counted rather than timed: the requests each host's deploy
 * waits on after connecting (HostResult.roundTrips), against a real sshd on 127.0.0.1. A one-file
 * change to one host — the FortiSIEM bundle: the settings patch of kl_feed_service.conf and the
 * restart it calls for — waits on at most 12, as root and through sudo -n; a re-run that changes
 * nothing waits on one command. The counting rule itself is checked on single commands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BundleFile, InstallStep } from '../../src/model/bundle.js';
import { fortisiem } from '../../connectors/fortisiem/index.js';
import { buildBundle } from '../../src/bundle/build.js';
import { connect } from '../../src/deploy/connect.js';
import { deployBundle } from '../../src/deploy/deploy.js';
import { execRemote } from '../../src/deploy/exec.js';
import { resolveSecrets } from '../../src/deploy/secrets.js';
import { createRenderer } from '../../src/render/engine.js';
import { createSudoUser, removeLeftoverTestUsers, type TestUser } from '../helpers/test-users.js';
import { bundleOf, siteWith, type TargetInput, startKeyedHost, type KeyedHost } from './fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
const FEED_SERVICE_CONF = join(here, '../cybertrace/fixtures/kl_feed_service.conf');
const INSTALL_DIR = '/opt/kaspersky/ktfs';
/** The bound for a one-file change (lock, inspection, backup, upload, validation, rename, restart). */
const ONE_FILE_CHANGE_LIMIT = 12;

let sudoer: TestUser;
let host: KeyedHost;

beforeAll(async () => {
  removeLeftoverTestUsers();
  sudoer = createSudoUser('nopasswd');
  host = await startKeyedHost('ctc-rtt-');
});

afterAll(async () => {
  sudoer?.remove();
  await host?.close();
});

function target(extra: Partial<TargetInput> = {}): TargetInput {
  const stage = mkdtempSync(join(host.work, 'stage-'));
  return { name: 'ct1', port: host.server.port, identity_file: host.clientKey.privateKeyFile, known_hosts: host.knownHosts, root_prefix: stage, ...extra };
}

describe('the round-trip counter', () => {
  it('counts a command as two waits (channel, start) and input the command must read as one more', async () => {
    const site = siteWith([target()]);
    const t = site.targets[0];
    const conn = await connect(t, await resolveSecrets(t, { env: {} }), { writeKnownHosts: false });
    try {
      expect(conn.roundTrips).toBe(0);
      const r = await execRemote(conn.client, conn, 'true', { timeoutSec: 30 });
      expect(r.exitCode).toBe(0);
      expect(conn.roundTrips).toBe(2);
      const echoed = await execRemote(conn.client, conn, 'cat', { timeoutSec: 30, stdin: 'ping\n' });
      expect(echoed.stdout).toBe('ping\n');
      expect(conn.roundTrips).toBe(5);
    } finally {
      conn.close();
    }
  });
});

describe('round trips of a deploy to one host', () => {
  /** The FortiSIEM bundle to a CyberTrace host whose kl_feed_service.conf is the stock one; the restart recorded. */
  async function fortisiemTo(t: TargetInput) {
    const conf = join(t.root_prefix as string, INSTALL_DIR, 'etc/kl_feed_service.conf');
    mkdirSync(dirname(conf), { recursive: true });
    writeFileSync(conf, readFileSync(FEED_SERVICE_CONF));
    const site = siteWith([t], { install_dir: INSTALL_DIR });
    const bundle = await buildBundle(fortisiem, site, createRenderer());
    const steps = bundle.steps.map((s) => ({ ...s, command: 'echo restarted >> "$CTCONNECT_ROOT/restarts.log"' }));
    const deployOnce = () => deployBundle({ ...bundle, steps }, site, { secrets: { env: {} } });
    return { conf, deployOnce, restarts: () => readFileSync(join(t.root_prefix as string, 'restarts.log'), 'utf8') };
  }

  it.each([
    ['as root', false],
    ['through sudo -n', true],
  ])(`a one-file change %s: at most ${ONE_FILE_CHANGE_LIMIT}; the re-run with no change: one command (2)`, async (_how, withSudo) => {
    const t = target(withSudo ? { user: sudoer.name, sudo: 'nopasswd' } : {});
    const { conf, deployOnce, restarts } = await fortisiemTo(t);
    const before = readFileSync(conf, 'utf8');

    const first = await deployOnce();
    const h = first.hosts[0];
    expect(h.error).toBeUndefined();
    // It is the change the bound is about: one file patched (backed up, validated, renamed), one restart.
    expect(h.files.map((f) => f.status)).toEqual(['changed']);
    expect(h.files[0].backup).toBeDefined();
    expect(readFileSync(h.files[0].backup!, 'utf8')).toBe(before);
    expect(readFileSync(conf, 'utf8')).not.toBe(before);
    expect(h.steps.map((s) => s.status)).toEqual(['ran']);
    expect(restarts()).toBe('restarted\n');
    expect(h.roundTrips).toBeLessThanOrEqual(ONE_FILE_CHANGE_LIMIT);

    const again = await deployOnce();
    const h2 = again.hosts[0];
    expect(h2.status).toBe('ok');
    expect(h2.roundTrips).toBe(2);
  });

  it('each further changed file costs a few more, not a new inspection of every file', async () => {
    const file = (name: string): BundleFile => ({
      path: `testsiem/${name}`,
      content: `${name}\n`,
      mode: 0o644,
      install: { role: 'cybertrace', path: `/etc/ctc-test/${name}`, mode: 0o640, validate: 'test -s {file}', notify: ['restart'] },
    });
    const restart: InstallStep = { id: 'restart', role: 'cybertrace', description: 'restart', command: 'true', timeoutSec: 30, when: 'changed' };
    const roundTrips = async (names: string[]) => {
      const r = await deployBundle(bundleOf(names.map(file), [restart]), siteWith([target()]), { secrets: { env: {} } });
      expect(r.hosts[0].files.map((f) => f.status)).toEqual(names.map(() => 'changed'));
      return r.hosts[0].roundTrips!;
    };
    const one = await roundTrips(['a.conf']);
    const three = await roundTrips(['a.conf', 'b.conf', 'c.conf']);
    expect(one).toBeLessThanOrEqual(ONE_FILE_CHANGE_LIMIT);
    expect(three - one).toBeGreaterThan(0);
    // Per further file: its one command (channel, start, the bytes, the word to rename); nothing else.
    expect(three - one).toBe(2 * 4);
  });
});
