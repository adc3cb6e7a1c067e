/**
 * Redaction by structure: a table of secrets planted in every file format the project writes or
 * patches (ini/.conf, kl_feed_service.conf XML, rsyslog, YAML, JSON, SQL, shell, Splunk .conf),
 * each of which must vanish while the rest of the file stays readable; every golden file (real
 * generated output, no secrets) passes through unchanged; and the commands that print files or
 * diffs (`cybertrace patch`, error messages) print no secret.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, runCli } from '../helpers/cli.js';
import { isSecretName, REDACTED, redactedUnifiedDiff, redactJson, redactText, secretEnvValues } from '../../src/kernel/redact.js';

interface Case {
  format: string;
  text: string;
  /** Values that must not survive. */
  secrets: string[];
  /** Lines that must survive unchanged (ordinary configuration). */
  kept: string[];
}

const CASES: Case[] = [
  {
    format: 'ini / ossim plugin .cfg',
    text: '[config]\ntype=detector\nlocation=/var/log/x.log\ndb_pass = Hunter2!\napi_key=AK-123456\nprivateKey = PK-SECRET-1\nauth_header = Bearer eyJhbGciOi.abc\nbypass=1\n',
    secrets: ['Hunter2!', 'AK-123456', 'PK-SECRET-1', 'Bearer eyJhbGciOi.abc', 'eyJhbGciOi'],
    kept: ['type=detector', 'location=/var/log/x.log', 'bypass=1'],
  },
  {
    format: 'XML kl_feed_service.conf',
    text: [
      '<Configuration>',
      '  <InputSettings><ConnectionString>0.0.0.0:9999</ConnectionString></InputSettings>',
      '  <Password>p&amp;ss&lt;w0rd&gt;</Password>',
      '  <password>',
      '    multi-line-secret-1',
      '    multi-line-secret-2',
      '  </password>',
      '  <ApiKey>XK-998877</ApiKey>',
      '  <Credentials><User>svc</User><Pass>CredPass9</Pass></Credentials>',
      '  <Proxy url="http://svc:ProxyPass7@proxy.example.com:3128" sslPassword="SslPw55"/>',
      '  <Source id="default" ip="10.0.0.1"/>',
      '</Configuration>',
    ].join('\n'),
    secrets: ['p&amp;ss', 'multi-line-secret-1', 'multi-line-secret-2', 'XK-998877', 'CredPass9', 'svc</User>', 'ProxyPass7', 'SslPw55'],
    kept: ['  <InputSettings><ConnectionString>0.0.0.0:9999</ConnectionString></InputSettings>', '  <Source id="default" ip="10.0.0.1"/>', '<Configuration>'],
  },
  {
    format: 'rsyslog',
    text: 'module(load="omhttp")\naction(type="omhttp" server="siem.example.com" pwd="RsPw-42" uid="svc")\nif $msg contains "KL_" then @@192.0.2.10:9999\n',
    secrets: ['RsPw-42'],
    kept: ['module(load="omhttp")', 'if $msg contains "KL_" then @@192.0.2.10:9999'],
  },
  {
    format: 'YAML',
    text: 'cybertrace:\n  address: 192.0.2.10\ndb:\n  password: "YamlPw#1"\n  token: |\n    block-token-line-1\n    block-token-line-2\n  credentials:\n    user: admin\n    secret: NestedS3\nname: site\n',
    secrets: ['YamlPw#1', 'block-token-line-1', 'block-token-line-2', 'NestedS3', 'admin'],
    kept: ['  address: 192.0.2.10', 'name: site', 'cybertrace:'],
  },
  {
    format: 'JSON',
    text: '{\n  "name": "rule",\n  "apiKey": "JsonKey-7",\n  "auth": {"user": "u1", "pass": "JsonPass-8"},\n  "secrets": ["s-one-1", "s-two-2"],\n  "hostKey": "SHA256:abc",\n  "url": "https://u:UrlPw-9@kuma.example.com:7223/api"\n}\n',
    secrets: ['JsonKey-7', 'JsonPass-8', 's-one-1', 's-two-2', 'UrlPw-9'],
    kept: ['  "name": "rule",', '  "hostKey": "SHA256:abc",'],
  },
  {
    format: 'SQL',
    text: "CREATE USER 'ossim'@'%' IDENTIFIED BY 'SqlPw-1';\nSET PASSWORD FOR 'x'@'%' = PASSWORD('SqlPw-2');\nINSERT INTO plugin_sid (plugin_id, sid, name) VALUES (23021992, 1, 'Kaspersky CyberTrace - x');\n",
    secrets: ['SqlPw-1', 'SqlPw-2'],
    kept: ["INSERT INTO plugin_sid (plugin_id, sid, name) VALUES (23021992, 1, 'Kaspersky CyberTrace - x');"],
  },
  {
    format: 'shell',
    text: '#!/bin/sh\nexport API_TOKEN=\'ShTok-1\'\nDB_PASSWORD=ShPw-2 mysql -u root alienvault\ncurl -H "Authorization: Basic c2VjcmV0" https://a.example.com/x\ncurl --user admin:CurlPw-3 https://b.example.com\n/etc/init.d/ossim-server restart\n',
    secrets: ['ShTok-1', 'ShPw-2', 'c2VjcmV0', 'CurlPw-3'],
    kept: ['#!/bin/sh', '/etc/init.d/ossim-server restart'],
  },
  {
    format: 'Splunk .conf',
    text: '[general]\npass4SymmKey = SplKey-1\n[sslConfig]\nsslPassword = SplSsl-2\n[transforms]\nSOURCE_KEY = field:raw\nDEST_KEY = _raw\n[tcpout]\nserver = 127.0.0.1:9997\n',
    secrets: ['SplKey-1', 'SplSsl-2'],
    kept: ['SOURCE_KEY = field:raw', 'DEST_KEY = _raw', 'server = 127.0.0.1:9997', '[general]'],
  },
  {
    format: 'PEM in any file',
    text: 'tls_key = """\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"""\nca = ok\n',
    secrets: ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'BKcwggSjAgEAAoIBAQC7'],
    kept: ['-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----', 'ca = ok'],
  },
];

describe('redaction by structure', () => {
  it.each(CASES.map((c) => [c.format, c] as const))('%s: planted secrets vanish, the rest stays', (_f, c) => {
    const out = redactText(c.text);
    for (const s of c.secrets) expect(out, out).not.toContain(s);
    const lines = out.split('\n');
    for (const k of c.kept) expect(lines, out).toContain(k);
    expect(out).toContain(REDACTED);
    // Line structure is kept (diffs are shown redacted line by line).
    expect(lines).toHaveLength(c.text.split('\n').length);
  });

  it('hides the values of the environment variables the site names, wherever they appear', () => {
    // PWD/OLDPWD end in "pwd" but hold the shell's folders, which reports print as paths.
    const env = {
      CT1_SUDO: 'plain-looking-value',
      HOME: '/root',
      MY_DB_PASSWORD: 'from-a-secret-name',
      SSH_AUTH_SOCK: '/tmp/agent.1',
      KEY_TYPE: 'ed25519',
      PWD: '/srv/site',
      OLDPWD: '/srv',
    };
    const values = secretEnvValues(env, ['CT1_SUDO']);
    expect(values.sort()).toEqual(['from-a-secret-name', 'plain-looking-value']);
    expect(redactText('echo plain-looking-value; ls /root; x from-a-secret-name', values)).toBe(`echo ${REDACTED}; ls /root; x ${REDACTED}`);
  });

  it('knows which names denote secrets', () => {
    for (const n of [
      'password',
      'DB_PASSWD',
      'db_pass',
      'pwd',
      'sslPassword',
      'pass4SymmKey',
      'apikey',
      'ApiKey',
      'api_key',
      'privateKey',
      'PRIVATE_KEY',
      'Credentials',
      'auth_header',
      'Authorization',
      'KTCSecret',
      'SPLUNK_TOKEN',
      'sslKey',
    ]) {
      expect(isSecretName(n), n).toBe(true);
    }
    for (const n of [
      'bypass',
      'Passthrough',
      'compass',
      'author',
      'hostKey',
      'host_key_sha256',
      'SOURCE_KEY',
      'DEST_KEY',
      'cef_key',
      'name',
      'address',
      'monkey',
      'keyboard',
      'key',
    ]) {
      expect(isSecretName(n), n).toBe(false);
    }
  });

  it('a diff shows a changed secret as a changed line, never its value, even inside a multi-line element', () => {
    const before = '<a>\n  <Password>\n    old-one\n  </Password>\n  <Port>1</Port>\n</a>\n';
    const after = '<a>\n  <Password>\n    new-one\n  </Password>\n  <Port>2</Port>\n</a>\n';
    const d = redactedUnifiedDiff('x (target)', 'x (bundle)', before, after);
    expect(d).not.toMatch(/old-one|new-one/);
    expect(
      d
        .split('\n')
        .filter((l) => /^[+-][^+-]/.test(l))
        .sort(),
    ).toEqual([`+    ${REDACTED}`, '+  <Port>2</Port>', `-    ${REDACTED}`, '-  <Port>1</Port>']);
  });

  it('--json documents: string values redacted, values under secret keys replaced, structure kept', () => {
    const doc = {
      hosts: [
        {
          hostKey: 'SHA256:abc',
          error: { message: 'x', details: ['stderr| password=Leak-1', 'ok'] },
          auth: { user: 'u', pw: 'Leak-2' },
          tokens: ['Leak-3', { v: 'Leak-4' }],
          pin_secret: 98765,
        },
      ],
    };
    const out = redactJson(doc, []);
    expect(JSON.stringify(out)).not.toMatch(/Leak-\d|98765/);
    expect(out.hosts[0].hostKey).toBe('SHA256:abc');
    expect(out.hosts[0].error.details).toEqual([`stderr| password=${REDACTED}`, 'ok']);
  });
});

/** Every file under the golden folders: real generated output, with no secret in it. */
function goldenFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(join(REPO, 'test', 'golden'));
  return out;
}

/** Lines of generated files that redaction masks although they hold no secret, and why that is accepted. */
const ACCEPTED_MASKS: Record<string, string> = {
  // Python code assigning to a variable called "token": a --diff of the script hides the right-hand side.
  '    token = "%" + itype.upper() + "%"': 'kl_search.py',
  // Python code building an Authorization header from the search's session key.
  '    request = urllib.request.Request(url, headers={"Authorization": "Splunk " + key})': 'kl_search.py',
  // SPL assigning the KV-store record key `_key` (no secret, but named like one).
  '          <query>| makeresults | eval KTCHost=$host|s$, KTCPort=tonumber($port|s$) | where match(KTCHost, "^[A-Za-z0-9._:-]+$") AND KTCPort&gt;=1 AND KTCPort&lt;=65535 AND KTCPort=floor(KTCPort) | eval _key="cybertrace" | outputlookup append=true key_field=_key kl_cybertrace_settings_lookup | eval result="saved: the next searches use ".KTCHost.":".KTCPort | appendpipe [ stats count | where count=0 | eval result="not saved: the address must be a host name or IP address and the port 1-65535" ] | table result</query>':
    'kl_cybertrace_settings.xml',
};

describe('no false alarms on what the project generates', () => {
  it.each(goldenFiles().map((f) => [f.slice(REPO.length + 1), f] as const))('%s passes through unchanged', (_name, file) => {
    const bytes = readFileSync(file);
    if (bytes.includes(0)) return;
    const text = bytes.toString('utf8');
    const lines = text.split('\n');
    const changed = redactText(text)
      .split('\n')
      .map((l, i) => (l === lines[i] ? undefined : lines[i]))
      .filter((l): l is string => l !== undefined && !(l in ACCEPTED_MASKS));
    expect(changed).toEqual([]);
  });
});

describe('commands print no secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctc-redact-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('cybertrace patch: the diff hides the <Password> of the file it patches', () => {
    const file = join(dir, 'kl_feed_service.conf');
    copyFileSync(join(REPO, 'test', 'cybertrace', 'fixtures', 'kl_feed_service.conf'), file);
    expect(readFileSync(file, 'utf8')).toContain('<Password>p&amp;ss&lt;w0rd&gt;</Password>');
    const r = runCli(['cybertrace', 'patch', '-c', 'examples/site.yaml', '--in', file, '--siem', 'fortisiem', '--out', join(dir, 'out.conf')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('<ConnectionString>');
    expect(r.stdout + r.stderr).not.toContain('p&amp;ss');
  });

  it('messages keep their wording ("password: set …") but hide name=value secrets and headers', () => {
    const m = 'no database password: set CTCONNECT_DB_PASSWORD\nstderr| db_password=Leak-3\nstderr| Authorization: Basic Leak-4';
    expect(redactText(m, [], { prose: true })).toBe(
      `no database password: set CTCONNECT_DB_PASSWORD\nstderr| db_password=${REDACTED}\nstderr| Authorization: ${REDACTED}`,
    );
  });

  it('error messages hide the values of secret environment variables', () => {
    const r = runCli(['validate', '-c', join(dir, 'TopS3cret-value.yaml')], { env: { CTCONNECT_DB_PASSWORD: 'TopS3cret-value' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read the site file');
    expect(r.stderr).not.toContain('TopS3cret-value');
  });
});
