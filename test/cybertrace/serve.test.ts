/**
 * `ctconnect cybertrace serve`: the CyberTrace stand-in users rehearse against answers `verify` as
 * the tests' server does (it is that server), over the input port and the HTTP lookup API, logs
 * what it received, listens on loopback unless told otherwise, and stops on Ctrl-C with exit 0.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO } from '../helpers/cli.js';
import { runCliAsync } from '../helpers/cli-async.js';
import { freePort } from '../helpers/net.js';
import { VERIFICATION_INDICATORS } from '../../src/cybertrace/indicators.js';

const dir = mkdtempSync(join(tmpdir(), 'ctc-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}
let running: Running[] = [];
afterEach(() => {
  for (const r of running) r.child.kill('SIGKILL');
  running = [];
});

/** Starts `ctconnect cybertrace serve …` and waits (with a deadline) until it says where it listens. */
async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = spawn(process.execPath, [CLI, 'cybertrace', 'serve', ...args], {
    env: { ...process.env, CTCONNECT_CONFIG: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const r: Running = { child, stdout: () => out, stderr: () => err, exited };
  running.push(r);
  await until(
    () => /Ctrl-C stops it/.test(err) || child.exitCode !== null,
    () => `serve did not start: ${err}`,
  );
  return r;
}

async function until(done: () => boolean, why: () => string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((r) => setTimeout(r, 25));
  }
}

function siteFile(name: string, extra: { inputPort?: number; httpApi?: boolean } = {}): string {
  let text = readFileSync(join(REPO, 'examples', 'site.yaml'), 'utf8');
  const lines: string[] = [];
  if (extra.inputPort) text = text.replace(/^  input_port: 9999 /m, `  input_port: ${extra.inputPort} `);
  if (extra.httpApi) lines.push('  http_api:', '    user_env: CT_API_USER', '    password_env: CT_API_PASSWORD');
  if (lines.length) text = text.replace(/^(  version: "4\.x".*)$/m, `$1\n${lines.join('\n')}`);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('ctconnect cybertrace serve', () => {
  it.each(['fortisiem', 'splunk', 'kuma'])(
    '%s: answers verify over the input port with the bundle settings, logs each event, stops on Ctrl-C',
    async (siem) => {
      const port = await freePort();
      const site = siteFile(`${siem}.yaml`);
      const s = await serve(['--siem', siem, '-c', site, '--listen', `127.0.0.1:${port}`]);
      expect(s.stderr()).toContain(`CyberTrace stand-in for ${siem} listening on 127.0.0.1:${port}`);
      const v = await runCliAsync(['verify', siem, '--tcp', '-c', site, '--to', `127.0.0.1:${port}`, '--json']);
      expect(v.code, v.stderr).toBe(0);
      expect(JSON.parse(v.stdout)).toMatchObject({ ok: true });
      for (const i of VERIFICATION_INDICATORS) expect(s.stdout()).toContain(i.value);
      expect(s.stdout()).toMatch(/ detection \(ReplyBack\): /);
      s.child.kill('SIGINT');
      expect(await s.exited).toBe(0);
      expect(s.stderr()).toContain('stopped (SIGINT)');
    },
  );

  it("listens on loopback and the site's input port by default; a port in use is a clear error", async () => {
    const port = await freePort();
    const s = await serve(['--siem', 'fortisiem', '-c', siteFile('default.yaml', { inputPort: port })]);
    expect(s.stderr()).toContain(`listening on 127.0.0.1:${port}`);
    expect(s.stderr()).not.toContain('other machines can reach');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(port, '127.0.0.1', () => r()));
    try {
      const clash = await serve(['--siem', 'fortisiem', '--listen', `127.0.0.1:${port}`]);
      expect(await clash.exited).toBe(1);
      expect(clash.stderr()).toContain(`--listen 127.0.0.1:${port}: the port is in use`);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('without ReplyBack, sends the detection to --output as CyberTrace sends it to the SIEM', async () => {
    const got: string[] = [];
    const sockets = new Set<Socket>();
    const receiver: Server = createServer((sock) => {
      sockets.add(sock);
      sock.on('data', (d) => got.push(...d.toString().split('\n').filter(Boolean)));
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const out = (receiver.address() as { port: number }).port;
    try {
      const port = await freePort();
      const s = await serve(['--siem', 'fortisiem', '--listen', `127.0.0.1:${port}`, '--output', `127.0.0.1:${out}`]);
      const client = connect({ host: '127.0.0.1', port });
      client.end('<134>Jan  1 00:00:00 fw CEF:0|Fortinet|FortiGate|7.0|13|traffic|3|src=10.0.0.1 dvc=10.0.0.2 request=http://fakess123.nu\n');
      await until(
        () => got.length > 0 && s.stdout().includes('detection →'),
        () => `nothing arrived at --output; serve said: ${s.stdout()} ${s.stderr()}`,
      );
      expect(got[0]).toMatch(/^CEF:0\|Kaspersky\|CyberTrace\|.*reason=KL_Malicious_URL/);
      expect(s.stdout()).toContain(`detection → 127.0.0.1:${out}: CEF:0|Kaspersky|CyberTrace|`);
    } finally {
      // The stand-in keeps its connection to the SIEM open, as the service does.
      for (const sock of sockets) sock.destroy();
      await new Promise((r) => receiver.close(r));
    }
  });

  it('--http --tls: the lookup API with Basic authentication, a fingerprint to pin, and a log of each request', async () => {
    const port = await freePort();
    const site = siteFile('http.yaml', { httpApi: true });
    const env = { CT_API_USER: 'kuma', CT_API_PASSWORD: 'stand-in-password' };
    const s = await serve(['--siem', 'fortisiem', '-c', site, '--http', '--tls', '--listen', `127.0.0.1:${port}`], env);
    expect(s.stderr()).toContain(`at https://127.0.0.1:${port} (Basic authentication as kuma)`);
    const fingerprint = /--fingerprint (SHA256:[0-9A-F:]+)/.exec(s.stderr())![1];
    const ok = await runCliAsync(
      ['verify', 'fortisiem', '--http', '-c', site, '--to', `https://127.0.0.1:${port}`, '--fingerprint', fingerprint, '--json'],
      env,
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ via: 'http', ok: true });
    const wrong = await runCliAsync(['verify', 'fortisiem', '--http', '-c', site, '--to', `https://127.0.0.1:${port}`, '--fingerprint', fingerprint], {
      ...env,
      CT_API_PASSWORD: 'wrong',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('401 Unauthorized');
    expect(s.stdout()).toMatch(/POST \/api\/1\.0\/lookup user kuma → 200: 8 objects, detected: http:\/\/fakess123\.nu/);
    expect(s.stdout()).toMatch(/POST \/api\/1\.0\/lookup user kuma → 401/);
    expect(s.stdout() + s.stderr()).not.toContain('stand-in-password');
  });

  it('refuses options that do not fit together and an unknown SIEM, exit 1', async () => {
    for (const [args, message] of [
      [['--siem', 'fortisiem', '--tls'], '--tls, --cert and --key apply to the HTTP lookup API only'],
      [['--siem', 'fortisiem', '--http', '--output', '127.0.0.1:1'], '--output applies to the input port only'],
      [['--siem', 'fortisplunk'], 'unknown SIEM "fortisplunk"'],
      [['--siem', 'fortisiem', '--listen', 'nowhere'], '--listen: must be HOST:PORT'],
    ] as const) {
      const r = await runCliAsync(['cybertrace', 'serve', ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(message);
    }
  });
});
