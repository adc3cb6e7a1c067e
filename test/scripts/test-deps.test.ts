/**
 * scripts/test-deps.sh, which `npm test` and .ci/run start with: without root it names exactly the
 * missing Debian packages and the command that installs them, and stops. The machine's state
 * (which packages are installed, who we are) comes from stand-ins for dpkg-query and id.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
});
