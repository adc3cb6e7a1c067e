/** A known_hosts path that is a folder is the user's mistake: exit 1 naming the file, not an internal error. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployBundle } from '../../src/deploy/deploy.js';
import { makeKeyPair, startSshd, type KeyPair, type SshServer } from '../helpers/sshd.js';
import { bundleOf, siteWith } from './fixtures.js';

let work: string;
let clientKey: KeyPair;
let server: SshServer;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ctc-khdir-'));
  clientKey = makeKeyPair(work, 'client');
  server = await startSshd({ authorizedKeys: [clientKey.publicKeyLine] });
});

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('known_hosts that is a folder', () => {
  it.each([false, true])('fails the target with exit 1 and says what is wrong (accept_new_host_key: %s)', async (acceptNew) => {
    const folder = join(work, `kh-${acceptNew}`);
    mkdirSync(folder);
    const stage = mkdtempSync(join(work, 'stage-'));
    const file = { path: 'x/app.conf', content: 'a=1\n', mode: 0o644, install: { role: 'cybertrace', path: '/etc/app.conf', mode: 0o644 } };
    const r = await deployBundle(
      bundleOf([file]),
      siteWith([
        { name: 'ct1', port: server.port, identity_file: clientKey.privateKeyFile, root_prefix: stage, known_hosts: folder, accept_new_host_key: acceptNew },
      ]),
      { secrets: { env: {} } },
    );
    expect(r.exitCode).toBe(1);
    expect(r.hosts[0].error!.message).toBe(`known_hosts ${folder}: is a folder, not a file`);
    expect(readdirSync(stage)).toEqual([]);
  });
});
