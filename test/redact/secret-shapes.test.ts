/**
 * Secrets in the shapes config files, scripts and servers write them, through every output channel:
 * plain text (step output), --json, --diff and error messages. And the secrets the run itself
 * knows (a password it read or sent) hidden in whatever shape they come back.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { redactedUnifiedDiff, redactJson, redactText } from '../../src/kernel/redact.js';
import { rememberSecret } from '../../src/kernel/run-secrets.js';
import { reportError } from '../../src/cli/run.js';
import { UserError } from '../../src/kernel/errors.js';
import { runCliAsync } from '../helpers/cli-async.js';

const SHAPES: Array<[string, string]> = [
  ['--password=X', '--password=Shape-Secret-1'],
  ['-pX (MySQL)', 'mysql -u root -pShape-Secret-2 ossim'],
  ['URL with "@" in the password', 'https://admin:p@ss@Shape-Secret-3@siem.example/api'],
  ['<add key="Password" value="X"/>', '<add key="Password" value="Shape-Secret-4"/>'],
  ['Password X', 'Password Shape-Secret-5'],
  ['set $db_password "X"', 'set $db_password "Shape-Secret-6";'],
  ['token X', 'token Shape-Secret-7'],
];
const secretOf = (line: string) => /Shape-Secret-\d|p@ss@Shape-Secret-3/.exec(line)![0];

describe.each(SHAPES)('%s', (_name, line) => {
  const secret = secretOf(line);
  it('is hidden in text, --json and --diff', () => {
    expect(redactText(`before\n  ${line}\nafter\n`)).not.toContain(secret);
    const json = JSON.stringify(redactJson({ hosts: [{ steps: [{ output: `  ${line}\n` }] }] }));
    expect(json).not.toContain(secret);
    const diff = redactedUnifiedDiff('a', 'b', 'x\n', `x\n${line}\n`);
    expect(diff).toContain('+');
    expect(diff).not.toContain(secret);
  });

  it('is hidden in an error message once the run knows it', async () => {
    rememberSecret(secret);
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (s: string) => (written.push(String(s)), true);
    try {
      expect(await reportError(new UserError(`the step failed: ${line}`, [`output: ${line}`]))).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    expect(written.join('')).not.toContain(secret);
  });
});

describe('what the run knows is secret', () => {
  it('is hidden in its echoed shapes: base64, JSON-escaped, URL-encoded', () => {
    const pw = 'Known "pass"/word+1';
    rememberSecret(pw);
    const echoed = [pw, Buffer.from(pw).toString('base64'), JSON.stringify(pw).slice(1, -1), encodeURIComponent(pw)];
    for (const e of echoed) expect(redactText(`server said: ${e}`, [], { prose: true })).not.toContain(e);
  });
});

describe('verify --http hides what it sent when the server echoes it', () => {
  const work = mkdtempSync(join(tmpdir(), 'ctc-secret-shapes-'));
  let server: Server | undefined;
  afterAll(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    rmSync(work, { recursive: true, force: true });
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<number> {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return (server.address() as { port: number }).port;
  }

  function site(): string {
    const file = join(work, 'site.yaml');
    writeFileSync(
      file,
      stringify({
        cybertrace: { address: '127.0.0.1', http_api: { url: 'http://127.0.0.1:1', user_env: 'CT_HTTP_USER_1', password_env: 'CT_HTTP_PASS_1' } },
        siems: { kuma: {} },
      }),
    );
    return file;
  }

  it('in the 401 message and in --json, whatever the variable is called', async () => {
    const password = 'Echoed-Pw-42';
    const port = await serve((req, res) => {
      const basic = (req.headers.authorization ?? '').replace(/^Basic /, '');
      res.writeHead(401, { 'Content-Type': 'text/plain' });
      res.end(`denied ${basic} (${Buffer.from(basic, 'base64').toString()}) ${password}`);
    });
    const env = { CT_HTTP_USER_1: 'kuma', CT_HTTP_PASS_1: password };
    for (const json of [[], ['--json']]) {
      const r = await runCliAsync(['verify', 'kuma', '--http', '--to', `http://127.0.0.1:${port}`, '--allow-plain-http', '-c', site(), ...json], env);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('401');
      const all = r.stdout + r.stderr;
      expect(all).not.toContain(password);
      expect(all).not.toContain(Buffer.from(`kuma:${password}`).toString('base64'));
    }
  });

  it('an endless answer body is cut at its bound with a user error', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(1 << 20, 'a');
      const pump = () => {
        while (res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('error', () => undefined);
      pump();
    });
    const r = await runCliAsync(['verify', 'kuma', '--http', '--to', `http://127.0.0.1:${port}`, '--allow-plain-http', '-c', site()], {
      CT_HTTP_USER_1: 'kuma',
      CT_HTTP_PASS_1: 'x-y-z',
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the answer is larger than 16 MiB and was cut/);
    expect(r.stderr).not.toMatch(/internal error|RangeError/);
  }, 120_000);
});
