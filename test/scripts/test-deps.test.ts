/**
 * scripts/test-deps.sh, which `npm test` and .ci/run start with: without root it names exactly the
 * missing Debian packages and the command that installs them, and stops. The machine's state
 * (which packages are installed, who we are) comes from stand-ins for dpkg-query and id.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO } from '../helpers/cli.js';

const bin = mkdtempSync(join(tmpdir(), 'ctc-deps-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

function run(missing: string[], uid: number) {
  writeFileSync(join(bin, 'dpkg-query'), `#!/bin/sh\ncase " ${missing.join(' ')} " in *" $3 "*) exit 1;; esac\nprintf 'install ok installed'\n`);
  writeFileSync(join(bin, 'id'), `#!/bin/sh\necho ${uid}\n`);
  for (const f of ['dpkg-query', 'id']) chmodSync(join(bin, f), 0o755);
  const r = spawnSync('bash', [join(REPO, 'scripts', 'test-deps.sh')], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

describe('scripts/test-deps.sh', () => {
  it('passes quietly when every package is installed', () => {
    expect(run([], 1000)).toEqual({ code: 0, stderr: '' });
  });

  it('without root names exactly the missing packages and how to install them, and stops', () => {
    const r = run(['mariadb-server', 'ansible-core'], 1000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('which are not installed: mariadb-server ansible-core\n');
    expect(r.stderr).toContain('  sudo apt-get update && sudo apt-get install -y --no-install-recommends mariadb-server ansible-core\n');
  });

  it('as root installs what is missing and never stops a service that was running before it', () => {
    const root = mkdtempSync(join(tmpdir(), 'ctc-deps-root-'));
    try {
      const state = join(root, 'running');
      mkdirSync(state);
      const log = join(root, 'log');
      const policy = join(root, 'policy-rc.d');
      // The sshd the admin is logged in through runs already; rsyslog does not.
      writeFileSync(join(state, 'ssh'), '');
      writeFileSync(join(bin, 'dpkg-query'), `#!/bin/sh\ncase " rsyslog openssh-server " in *" $3 "*) exit 1;; esac\nprintf 'install ok installed'\n`);
      writeFileSync(join(bin, 'id'), '#!/bin/sh\necho 0\n');
      // apt-get: records whether the policy denies starts, then starts rsyslog as a package script
      // that ignores the policy would.
      writeFileSync(
        join(bin, 'apt-get'),
        `#!/bin/sh\necho "apt-get $*" >>${log}\n[ "$1" = install ] || exit 0\nif [ -x ${policy} ]; then ${policy} rsyslog start; echo "policy-rc.d says $?" >>${log}; fi\ntouch ${state}/rsyslog\n`,
      );
      writeFileSync(join(bin, 'service'), `#!/bin/sh\ncase "$2" in status) [ -e ${state}/$1 ];; stop) echo "stop $1" >>${log}; rm -f ${state}/$1;; esac\n`);
      for (const f of ['dpkg-query', 'id', 'apt-get', 'service']) chmodSync(join(bin, f), 0o755);
      const r = spawnSync('bash', [join(REPO, 'scripts', 'test-deps.sh')], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TEST_DEPS_POLICY_RC_D: policy },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const lines = readFileSync(log, 'utf8').trim().split('\n');
      expect(lines).toContain('apt-get install -y -qq --no-install-recommends rsyslog openssh-server');
      expect(lines).toContain('policy-rc.d says 101');
      expect(lines).toContain('stop rsyslog');
      expect(lines).not.toContain('stop ssh');
      expect(existsSync(join(state, 'ssh'))).toBe(true);
      // The policy was there for the install only.
      expect(existsSync(policy)).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
      for (const f of ['apt-get', 'service']) rmSync(join(bin, f), { force: true });
    }
  });
});
