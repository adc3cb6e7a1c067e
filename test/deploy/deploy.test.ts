/**
 * The deployer against a real OpenSSH host.server on loopback, installing into a staging root:
 * first deploy, idempotent second run, --check, drift → backup + replace, validate failure,
 * rollback after a failed step, marked blocks, a hanging command, and unreachable hosts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { BundleFile, InstallStep } from '../../src/model/bundle.js';
import { deployBundle, type DeployOptions } from '../../src/deploy/deploy.js';
import { makeKeyPair } from '../helpers/sshd.js';
import { freePort } from '../helpers/net.js';
import { bundleOf, siteWith, snapshot, type TargetInput, startKeyedHost, type KeyedHost } from './fixtures.js';

let stage: string;

const noSecrets: DeployOptions['secrets'] = { env: {} };

let host: KeyedHost;

beforeAll(async () => {
  host = await startKeyedHost('ctc-deploy-');
});

afterAll(async () => {
  await host?.close();
});

beforeEach(() => {
  stage = mkdtempSync(join(host.work, 'stage-'));
});

function target(extra: Partial<TargetInput> = {}): TargetInput {
  return { name: 'ct1', port: host.server.port, identity_file: host.clientKey.privateKeyFile, known_hosts: host.knownHosts, root_prefix: stage, ...extra };
}

const RSYSLOG_BEFORE = '# rsyslog.conf of the test host\r\n#### RULES ####\r\n*.* /var/log/all.log\r\n# caf\xe9 latin1 byte\r\n';
const RSYSLOG_BYTES = Buffer.from(RSYSLOG_BEFORE, 'latin1');

function appFile(content = 'valid=yes\nport=9999\n'): BundleFile {
  return {
    path: 'testsiem/app.conf',
    content,
    mode: 0o644,
    install: { role: 'cybertrace', path: '/etc/ctc-test/app.conf', mode: 0o640, validate: "grep -q '^valid=yes' {file}", notify: ['restart-app'] },
  };
}

function blockFile(content = 'if $msg contains "KL_" then @@192.0.2.10:9999\n'): BundleFile {
  return {
    path: 'testsiem/rsyslog-block.conf',
    content,
    mode: 0o644,
    install: {
      role: 'cybertrace',
      path: '/etc/rsyslog.conf',
      mode: 0o644,
      merge: { kind: 'marked-block', marker: 'ctconnect testsiem', after: '#### RULES ####', commentPrefix: '#' },
      notify: ['restart-app'],
    },
  };
}

const restartStep: InstallStep = {
  id: 'restart-app',
  role: 'cybertrace',
  description: 'restart the test service',
  command: 'echo restarted >> "$CTCONNECT_ROOT/restarts.log"',
  timeoutSec: 30,
  when: 'changed',
};

function seedRsyslog(): void {
  mkdirSync(join(stage, 'etc'), { recursive: true });
  writeFileSync(join(stage, 'etc/rsyslog.conf'), RSYSLOG_BYTES);
}

const restarts = () => (existsSync(join(stage, 'restarts.log')) ? readFileSync(join(stage, 'restarts.log'), 'utf8').split('\n').filter(Boolean).length : 0);
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.includes('ctconnect-tmp') || n.includes('ctconnect-restore'));
const backupsOf = (dir: string, name: string) => readdirSync(dir).filter((n) => n.startsWith(`${name}.ctconnect-bak-`));

async function run(files: BundleFile[], steps: InstallStep[], opts: Partial<DeployOptions> = {}, t: TargetInput = target()) {
  return deployBundle(bundleOf(files, steps), siteWith([t]), { secrets: noSecrets, ...opts });
}

describe('deploy to one host', () => {
  it('first deploy installs, second deploy changes nothing and restarts nothing', async () => {
    seedRsyslog();
    const first = await run([appFile(), blockFile()], [restartStep]);
    const h = first.hosts[0];
    expect(h.error).toBeUndefined();
    expect(first.exitCode).toBe(0);
    expect(h.status).toBe('changed');
    expect(h.files.map((f) => [f.path, f.status])).toEqual([
      [join(stage, 'etc/ctc-test/app.conf'), 'changed'],
      [join(stage, 'etc/rsyslog.conf'), 'changed'],
    ]);
    expect(readFileSync(join(stage, 'etc/ctc-test/app.conf'), 'utf8')).toBe('valid=yes\nport=9999\n');
    expect(statSync(join(stage, 'etc/ctc-test/app.conf')).mode & 0o7777).toBe(0o640);
    // One restart although both files notify it.
    expect(restarts()).toBe(1);
    expect(h.steps).toMatchObject([{ id: 'cybertrace/restart-app', status: 'ran' }]);
    // The new file had nothing to back up; the merged one did.
    expect(backupsOf(join(stage, 'etc/ctc-test'), 'app.conf')).toEqual([]);
    const bak = backupsOf(join(stage, 'etc'), 'rsyslog.conf');
    expect(bak).toHaveLength(1);
    expect(bak[0]).toMatch(/^rsyslog\.conf\.ctconnect-bak-\d{8}T\d{6}Z$/);
    expect(readFileSync(join(stage, 'etc', bak[0]))).toEqual(RSYSLOG_BYTES);
    expect(leftovers(join(stage, 'etc'))).toEqual([]);
    expect(leftovers(join(stage, 'etc/ctc-test'))).toEqual([]);

    const second = await run([appFile(), blockFile()], [restartStep]);
    const h2 = second.hosts[0];
    expect(h2.status).toBe('ok');
    expect(h2.files.map((f) => f.status)).toEqual(['unchanged', 'unchanged']);
    expect(h2.steps).toMatchObject([{ id: 'cybertrace/restart-app', status: 'not-needed' }]);
    expect(restarts()).toBe(1);
    expect(backupsOf(join(stage, 'etc'), 'rsyslog.conf')).toHaveLength(1);
  });

  it('marked block: inserted after its anchor, everything else byte for byte, replaced alone on change', async () => {
    seedRsyslog();
    await run([blockFile()], [restartStep]);
    const after = readFileSync(join(stage, 'etc/rsyslog.conf'));
    const expected = Buffer.concat([
      Buffer.from('# rsyslog.conf of the test host\r\n#### RULES ####\r\n', 'latin1'),
      Buffer.from('# BEGIN ctconnect testsiem\r\nif $msg contains "KL_" then @@192.0.2.10:9999\r\n# END ctconnect testsiem\r\n'),
      Buffer.from('*.* /var/log/all.log\r\n# caf\xe9 latin1 byte\r\n', 'latin1'),
    ]);
    expect(after).toEqual(expected);

    const changed = await run([blockFile('if $msg contains "KL_" then @@192.0.2.11:9999\n')], [restartStep]);
    expect(changed.hosts[0].files[0].status).toBe('changed');
    expect(readFileSync(join(stage, 'etc/rsyslog.conf'))).toEqual(Buffer.from(expected.toString('latin1').replace('192.0.2.10', '192.0.2.11'), 'latin1'));

    const again = await run([blockFile('if $msg contains "KL_" then @@192.0.2.11:9999\n')], [restartStep]);
    expect(again.hosts[0].files[0].status).toBe('unchanged');
    expect(restarts()).toBe(2);
  });

  it('--check writes nothing (no backups, no temp files, no restarts) and reports what would change; --diff redacts secrets', async () => {
    seedRsyslog();
    await run([appFile(), blockFile()], [restartStep]);
    writeFileSync(join(stage, 'etc/ctc-test/app.conf'), 'valid=yes\npassword=oldsecret\n');
    const before = snapshot(stage);
    const r = await run([appFile('valid=yes\npassword=newsecret\nport=1\n'), blockFile()], [restartStep], { check: true, diff: true });
    expect(snapshot(stage)).toEqual(before);
    const h = r.hosts[0];
    expect(h.check).toBe(true);
    expect(h.status).toBe('changed');
    expect(h.files.map((f) => f.status)).toEqual(['would-change', 'unchanged']);
    expect(h.files[0].reasons).toEqual(['content']);
    expect(h.steps).toMatchObject([{ id: 'cybertrace/restart-app', status: 'would-run', because: [join(stage, 'etc/ctc-test/app.conf')] }]);
    const diff = h.files[0].diff!;
    expect(diff).toContain('+port=1');
    expect(diff).toContain('-password=********');
    expect(diff).toContain('+password=********');
    expect(diff).not.toMatch(/oldsecret|newsecret/);
  });

  it('an owner given as a user only leaves the group alone and a second deploy changes nothing', async () => {
    const userOnly: BundleFile = { ...appFile(), install: { ...appFile().install!, owner: 'root' } };
    expect((await run([userOnly], [restartStep])).hosts[0].status).toBe('changed');
    const again = await run([userOnly], [restartStep]);
    expect(again.hosts[0].files.map((f) => [f.status, f.reasons])).toEqual([['unchanged', []]]);
    expect(restarts()).toBe(1);
  });

  it('a changed target file is backed up and replaced; mode drift alone is also fixed', async () => {
    await run([appFile()], [restartStep]);
    const path = join(stage, 'etc/ctc-test/app.conf');
    writeFileSync(path, 'valid=yes\nedited by hand\n');
    const r = await run([appFile()], [restartStep], { now: new Date('2030-01-02T03:04:05Z') });
    const f = r.hosts[0].files[0];
    expect(f.status).toBe('changed');
    expect(f.backup).toBe(`${path}.ctconnect-bak-20300102T030405Z`);
    expect(readFileSync(f.backup!, 'utf8')).toBe('valid=yes\nedited by hand\n');
    expect(readFileSync(path, 'utf8')).toBe('valid=yes\nport=9999\n');
    expect(restarts()).toBe(2);

    execFileSync('chmod', ['0666', path]);
    const r2 = await run([appFile()], [restartStep], { now: new Date('2030-01-02T03:04:05Z') });
    expect(r2.hosts[0].files[0].reasons).toEqual(['mode 0666 → 0640']);
    expect(statSync(path).mode & 0o7777).toBe(0o640);
    // Same second, second backup: both kept.
    expect(backupsOf(join(stage, 'etc/ctc-test'), 'app.conf').sort()).toEqual([
      'app.conf.ctconnect-bak-20300102T030405Z',
      'app.conf.ctconnect-bak-20300102T030405Z-2',
    ]);
  });

  it('a failed validate leaves the target untouched and puts back the files changed before it', async () => {
    seedRsyslog();
    await run([appFile()], [restartStep]);
    const appPath = join(stage, 'etc/ctc-test/app.conf');
    const before = readFileSync(appPath);
    const bad: BundleFile = { ...appFile('valid=no\n'), path: 'testsiem/bad.conf', install: { ...appFile().install!, path: '/etc/ctc-test/bad.conf' } };
    writeFileSync(join(stage, 'etc/ctc-test/bad.conf'), 'original\n');
    const r = await run([blockFile(), bad], [restartStep]);
    const h = r.hosts[0];
    expect(r.exitCode).toBe(1);
    expect(h.status).toBe('failed');
    expect(h.error!.message).toMatch(
      /bad\.conf: validation failed: "grep -q '\^valid=yes' '?\S*\.ctconnect-tmp-[0-9a-f]+'?" exited with code 1; the target file was not touched/,
    );
    expect(h.files[1]).toMatchObject({ status: 'failed', validate: { exitCode: 1 } });
    expect(readFileSync(join(stage, 'etc/ctc-test/bad.conf'), 'utf8')).toBe('original\n');
    // The merged file changed first in this run; it was restored from this run's backup.
    expect(h.files[0].status).toBe('rolled-back');
    expect(h.rollback!.restored).toEqual([join(stage, 'etc/rsyslog.conf')]);
    expect(readFileSync(join(stage, 'etc/rsyslog.conf'))).toEqual(RSYSLOG_BYTES);
    expect(readFileSync(appPath)).toEqual(before);
    // Only the set-up deploy above restarted.
    expect(restarts()).toBe(1);
    expect(leftovers(join(stage, 'etc/ctc-test'))).toEqual([]);
  });

  it('validates the merged whole file with the real consumer (rsyslogd -N1 -f) before it replaces the target', async () => {
    mkdirSync(join(stage, 'etc'), { recursive: true });
    const conf = 'module(load="imuxsock")\n#### RULES ####\n*.* /var/log/all.log\n';
    writeFileSync(join(stage, 'etc/rsyslog.conf'), conf);
    const withValidate = (content: string): BundleFile => ({ ...blockFile(content), install: { ...blockFile().install!, validate: 'rsyslogd -N1 -f {file}' } });
    const good = await run([withValidate('if $msg contains "KL_" then stop\n')], [restartStep]);
    expect(good.hosts[0].error).toBeUndefined();
    expect(readFileSync(join(stage, 'etc/rsyslog.conf'), 'utf8')).toContain('# BEGIN ctconnect testsiem\nif $msg contains "KL_" then stop\n# END');
    const good2 = readFileSync(join(stage, 'etc/rsyslog.conf'));

    const bad = await run([withValidate('if $msg contains then stop\n')], [restartStep]);
    const f = bad.hosts[0].files[0];
    expect(f.status).toBe('failed');
    expect(f.validate!.stderr).toMatch(/syntax error on token 'then'/);
    expect(readFileSync(join(stage, 'etc/rsyslog.conf'))).toEqual(good2);
    expect(leftovers(join(stage, 'etc'))).toEqual([]);
    expect(restarts()).toBe(1);
  });

  it('a failing later step rolls back: restored from backup, new files removed, new folders removed', async () => {
    seedRsyslog();
    const failing: InstallStep = {
      id: 'import',
      role: 'cybertrace',
      description: 'import that fails',
      command: 'echo importing; echo "ERROR 1045: access denied" >&2; exit 3',
      timeoutSec: 30,
      when: 'always',
    };
    const r = await run([appFile(), blockFile()], [restartStep, failing]);
    const h = r.hosts[0];
    expect(h.status).toBe('failed');
    expect(r.exitCode).toBe(1);
    expect(h.error!.message).toBe('step cybertrace/import failed: "echo importing; echo "ERROR 1045: access denied" >&2; exit 3" exited with code 3');
    expect(h.error!.details).toEqual(['stdout: importing', 'stderr: ERROR 1045: access denied']);
    expect(h.steps.map((s) => [s.id, s.status])).toEqual([
      ['cybertrace/restart-app', 'ran'],
      ['cybertrace/import', 'failed'],
    ]);
    expect(h.rollback).toEqual({
      restored: [join(stage, 'etc/rsyslog.conf')],
      removed: [join(stage, 'etc/ctc-test/app.conf')],
      notRestored: [],
      left: [],
      tempRemoved: [],
      stepsAlreadyRun: ['cybertrace/restart-app'],
    });
    expect(readFileSync(join(stage, 'etc/rsyslog.conf'))).toEqual(RSYSLOG_BYTES);
    expect(existsSync(join(stage, 'etc/ctc-test'))).toBe(false);
  });

  it('feeds a step its stdin from a bundle file', async () => {
    const sql: BundleFile = { path: 'testsiem/import.sql', content: 'INSERT INTO t VALUES (1);\n', mode: 0o644 };
    const importStep: InstallStep = {
      id: 'import',
      role: 'cybertrace',
      description: 'import',
      command: 'cat > "$CTCONNECT_ROOT/imported.sql"',
      timeoutSec: 30,
      when: 'always',
      stdinFromFile: 'testsiem/import.sql',
    };
    const r = await run([appFile(), sql], [restartStep, importStep]);
    expect(r.hosts[0].steps[1].status).toBe('ran');
    expect(readFileSync(join(stage, 'imported.sql'), 'utf8')).toBe('INSERT INTO t VALUES (1);\n');
  });

  it('kills a hanging command at its time limit and rolls back', async () => {
    const marker = `${3000 + Math.floor(Math.random() * 1000)}.${process.pid}`;
    const hang: InstallStep = { id: 'hang', role: 'cybertrace', description: 'never ends', command: `sleep ${marker}`, timeoutSec: 2, when: 'changed' };
    const file = { ...appFile(), install: { ...appFile().install!, notify: ['hang'] } };
    const r = await run([file], [hang]);
    const h = r.hosts[0];
    expect(h.status).toBe('failed');
    expect(h.error!.message).toBe(`step cybertrace/hang failed: "sleep ${marker}" was killed after 2 s (time limit)`);
    expect(h.steps[0].output!.timedOut).toBe(true);
    expect(h.rollback!.removed).toEqual([join(stage, 'etc/ctc-test/app.conf')]);
    // The process is gone on the host (same machine here).
    let alive = '';
    for (let i = 0; i < 50; i++) {
      try {
        alive = execFileSync('pgrep', ['-f', `sleep ${marker}`], { encoding: 'utf8' });
      } catch {
        alive = '';
        break;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(alive).toBe('');
  });

  it('refuses an owner the host does not have, naming the missing user or group, writing nothing', async () => {
    // Each owner is looked up once for all the files that name it (probe.ts); the answer still goes to each file.
    const user = `ctc-no-user-${process.pid}`;
    const group = `ctc-no-group-${process.pid}`;
    const owned = (path: string, owner: string): BundleFile => ({
      ...appFile(),
      path: `testsiem/${path}`,
      install: { ...appFile().install!, path: `/etc/ctc-test/${path}`, owner },
    });
    const before = snapshot(stage);
    const noUser = await run([owned('a.conf', 'root:root'), owned('b.conf', `${user}:${group}`), owned('c.conf', 'root:root')], [restartStep]);
    expect(noUser.exitCode).toBe(1);
    expect(noUser.hosts[0].error!.message).toBe(
      `${join(stage, 'etc/ctc-test/b.conf')}: the owner ${user}:${group} is not there on ct1: no user ${user}, no group ${group}`,
    );
    const noGroup = await run([owned('a.conf', 'root:root'), owned('c.conf', `root:${group}`)], [restartStep]);
    expect(noGroup.hosts[0].error!.message).toBe(`${join(stage, 'etc/ctc-test/c.conf')}: the owner root:${group} is not there on ct1: no group ${group}`);
    expect(snapshot(stage)).toEqual(before);
    expect(restarts()).toBe(0);
  });

  it('refuses a symlink target and an existing file that cannot be merged, writing nothing', async () => {
    mkdirSync(join(stage, 'etc'), { recursive: true });
    writeFileSync(join(stage, 'etc/rsyslog.conf'), '# BEGIN ctconnect testsiem\nno end marker\n');
    const before = snapshot(stage);
    const r = await run([appFile(), blockFile()], [restartStep]);
    expect(r.hosts[0].error!.message).toBe(
      `${join(stage, 'etc/rsyslog.conf')}: line 1 opens "# BEGIN ctconnect testsiem" but no "# END ctconnect testsiem" follows; fix the block by hand`,
    );
    expect(snapshot(stage)).toEqual(before);
  });
});

describe('unreachable hosts', () => {
  let silent: Server;
  let silentPort: number;
  beforeAll(async () => {
    // Accepts TCP and never says a word: the SSH handshake can only time out.
    silent = createServer(() => undefined);
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', () => res()));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(() => {
    silent.close();
  });

  it('connection refused', async () => {
    const port = await freePort();
    const r = await run([appFile()], [restartStep], {}, target({ port }));
    expect(r.exitCode).toBe(1);
    expect(r.hosts[0].error!.message).toBe(`root@127.0.0.1:${port}: connection refused (is sshd running and the port right?)`);
  });

  it('handshake time-out', async () => {
    const r = await run([appFile()], [restartStep], {}, target({ port: silentPort, connect_timeout_sec: 1 }));
    expect(r.exitCode).toBe(1);
    expect(r.hosts[0].error!.message).toBe(`root@127.0.0.1:${silentPort}: timed out after 1 s waiting for the SSH handshake (connect_timeout_sec)`);
  });

  it('rejected key', async () => {
    const other = makeKeyPair(host.work, 'stranger');
    const r = await run([appFile()], [restartStep], {}, target({ identity_file: other.privateKeyFile }));
    expect(r.hosts[0].error!.message).toBe(`root@127.0.0.1:${host.server.port}: authentication failed (tried: key)`);
  });
});
