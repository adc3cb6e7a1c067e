/**
 * `ctconnect deploy --diff` and `--json` through the built CLI against a real sshd: the patched
 * kl_feed_service.conf holds a <Password>, the restart step prints secrets and fails, and the site
 * names an environment variable whose value must not show either. None of it may be printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO } from '../helpers/cli.js';
import { runCliAsync } from '../helpers/cli-async.js';
import { makeKeyPair, startSshd, type KeyPair, type SshServer } from '../helpers/sshd.js';

const SITE_NAMED = 'EnvNamed-Value-31';
const FILE_SECRET = 'p&amp;ss&lt;w0rd&gt;';
const PRINTED = 'Printed-Secret-77';

let work: string;
let clientKey: KeyPair;
let server: SshServer;
let siteFile: string;
let config: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ctc-redact-deploy-'));
  const installDir = join(work, 'ktfs');
  mkdirSync(join(installDir, 'etc/init.d'), { recursive: true });
  // The restart step: prints what a misbehaving service script might, then fails.
  writeFileSync(join(installDir, 'etc/init.d/kl_feed_service'), `#!/bin/sh\necho "db_password=${PRINTED}"\necho "login with ${SITE_NAMED}" >&2\nexit 1\n`);
  chmodSync(join(installDir, 'etc/init.d/kl_feed_service'), 0o755);
  config = join(installDir, 'etc/kl_feed_service.conf');
  clientKey = makeKeyPair(work, 'client');
  server = await startSshd({ authorizedKeys: [clientKey.publicKeyLine] });
  const knownHosts = join(work, 'known_hosts');
  writeFileSync(knownHosts, `${server.knownHostsLine}\n`);
  siteFile = join(work, 'site.yaml');
  writeFileSync(
    siteFile,
    stringify({
      cybertrace: { address: '192.0.2.10', install_dir: installDir },
      siems: { fortisiem: { address: '192.0.2.30' } },
      targets: [
        {
          name: 'ct',
          host: '127.0.0.1',
          port: server.port,
          user: 'root',
          roles: ['cybertrace'],
          identity_file: clientKey.privateKeyFile,
          known_hosts: knownHosts,
          password_env: 'CTC_REDACT_TEST_PW',
        },
      ],
    }),
  );
  // Inherited by the CLI processes: the variable the site names.
  process.env.CTC_REDACT_TEST_PW = SITE_NAMED;
});

afterAll(async () => {
  delete process.env.CTC_REDACT_TEST_PW;
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('deploy output hides secrets', () => {
  it.each([
    ['text with --diff', ['--diff']],
    ['--json with --diff', ['--diff', '--json']],
  ])('%s', async (_what, flags) => {
    writeFileSync(config, readFileSync(join(REPO, 'test/cybertrace/fixtures/kl_feed_service.conf')));
    const r = await runCliAsync(['deploy', 'fortisiem', '--config', siteFile, ...flags]);
    expect(r.code, r.stderr).toBe(1);
    const all = r.stdout + r.stderr;
    // The run did show the diff around the password and the step's output, redacted.
    expect(all).toContain('<Password>********</Password>');
    expect(all).toContain('db_password=********');
    for (const s of [FILE_SECRET, PRINTED, SITE_NAMED]) expect(all).not.toContain(s);
    if (flags.includes('--json')) expect(() => JSON.parse(r.stdout)).not.toThrow();
  });
});
