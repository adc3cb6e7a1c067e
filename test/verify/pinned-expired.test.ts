/**
 * `verify --http --fingerprint` pins one certificate instead of trusting CAs; it does not make an
 * expired certificate acceptable. A CyberTrace HTTP API stand-in on 127.0.0.1 with a certificate whose
 * validity ended in 2021 (made with `openssl ca`, which can set past dates).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliAsync } from '../helpers/cli-async.js';
import { demoFeed } from '../../src/verify/demo-feed.js';
import { startCyberTraceHttpServer } from '../../src/cybertrace/http-server.js';

let dir: string;
let tls: { key: string; cert: string; fingerprint: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctconnect-pinned-expired-'));
  const at = (n: string) => join(dir, n);
  writeFileSync(at('index.txt'), '');
  writeFileSync(at('serial'), '01\n');
  writeFileSync(
    at('ca.cnf'),
    [
      '[ca]',
      'default_ca = d',
      '[d]',
      `database = ${at('index.txt')}`,
      `serial = ${at('serial')}`,
      `new_certs_dir = ${dir}`,
      'default_md = sha256',
      'policy = p',
      '[p]',
      'commonName = supplied',
      '[ext]',
      'subjectAltName = IP:127.0.0.1',
      '',
    ].join('\n'),
  );
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      at('key.pem'),
      '-subj',
      '/CN=cybertrace.test',
      '-out',
      at('req.pem'),
    ],
    { stdio: 'pipe' },
  );
  execFileSync(
    'openssl',
    [
      'ca',
      '-batch',
      '-selfsign',
      '-config',
      at('ca.cnf'),
      '-extensions',
      'ext',
      '-keyfile',
      at('key.pem'),
      '-in',
      at('req.pem'),
      '-out',
      at('cert.pem'),
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20210101000000Z',
    ],
    { stdio: 'pipe' },
  );
  const fp = execFileSync('openssl', ['x509', '-in', at('cert.pem'), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  tls = { key: readFileSync(at('key.pem'), 'utf8'), cert: readFileSync(at('cert.pem'), 'utf8'), fingerprint: `SHA256:${fp.split('=')[1].trim()}` };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('verify --http --fingerprint', () => {
  it('refuses an expired certificate even when its fingerprint matches; nothing is sent', async () => {
    const server = await startCyberTraceHttpServer({ feed: demoFeed(), tls });
    try {
      const r = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url, '--fingerprint', tls.fingerprint]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /the pinned certificate expired on 2021-01-01T00:00:00\.000Z .*--fingerprint does not make it acceptable: renew the CyberTrace certificate/,
      );
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});
