/**
 * `verify` against a CyberTrace-compatible test server (real PCRE regexps, the bundle's own
 * formats) for every connector; a deliberately mismatched output format must be caught.
 * `verify --http` against the test server of CyberTrace's HTTP lookup API, over plain HTTP and
 * over HTTPS with a self-signed certificate made by openssl.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { allConnectors, getConnector } from '../../connectors/registry.js';
import type { Connector } from '../../src/connector/contract.js';
import { exampleSite } from '../helpers/bundles.js';
import { serverOptionsFor, startCyberTraceServer, type CyberTraceServer } from '../../src/cybertrace/server.js';
import { demoFeed } from '../../src/verify/demo-feed.js';
import { verifyConnector } from '../../src/verify/verify.js';
import { VERIFICATION_INDICATORS } from '../../src/cybertrace/indicators.js';
import { runCliAsync } from '../helpers/cli-async.js';
import { httpCredentials } from '../../src/verify/http-credentials.js';
import {
  certificateFingerprint,
  selfSignedCertificate,
  startCyberTraceHttpServer,
  type CyberTraceHttpServer,
  type CyberTraceHttpServerOptions,
} from '../../src/cybertrace/http-server.js';

const site = exampleSite();

let server: CyberTraceServer | undefined;
/** A TCP server a test puts in front of the CyberTrace test server (or in its place), and its sockets. */
let gate: Server | undefined;
const gateSockets = new Set<Socket>();
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const s of gateSockets) s.destroy();
  gateSockets.clear();
  if (gate) await new Promise((r) => gate!.close(r));
  gate = undefined;
});

/** Starts the gate on a free loopback port; `handle` gets each client connection. */
async function startGate(handle: (client: Socket) => void): Promise<number> {
  gate = createServer((client) => {
    gateSockets.add(client);
    client.on('error', () => {});
    handle(client);
  });
  return new Promise<number>((r) => gate!.listen(0, '127.0.0.1', () => r((gate!.address() as { port: number }).port)));
}

/** A connection from the gate to the CyberTrace test server, closed with the gate. */
function upstreamOf(srv: CyberTraceServer, client: Socket, onConnect?: () => void): Socket {
  const up = connect({ host: srv.host, port: srv.port }, onConnect);
  gateSockets.add(up);
  up.on('error', () => client.destroy());
  client.on('close', () => up.destroy());
  return up;
}

async function serverFor(
  c: Connector,
  eventFormatOf: Connector = c,
  behaviour: 'normal' | 'hang' | 'refuse' = 'normal',
  headerMode: 'message' | 'prefix' = 'message',
): Promise<CyberTraceServer> {
  const settings = c.cybertrace(site);
  const out = eventFormatOf.cybertrace(site);
  // What `ctconnect cybertrace serve` answers with; the output formats may be another connector's.
  return startCyberTraceServer({
    ...serverOptionsFor({ ...settings, output: { ...out.output, finishedEventText: settings.output.finishedEventText } }),
    feed: demoFeed(),
    behaviour,
    headerMode,
  });
}

describe('ctconnect verify', () => {
  // Whether CyberTrace reads the mode header as a line of its own or as the prefix of the first event is not documented: both.
  it.each(allConnectors().flatMap((c) => (['message', 'prefix'] as const).map((mode) => [c.id, mode] as const)))(
    '%s (header read as %s): every test indicator is detected and parsed by the SIEM side',
    async (id, mode) => {
      const c = getConnector(id);
      server = await serverFor(c, c, 'normal', mode);
      const rows = await verifyConnector(c, site, { host: server.host, port: server.port, timeoutMs: 5000 });
      // One connection per indicator, each opened with the mode header; each event sent once.
      expect(server.headers).toEqual(VERIFICATION_INDICATORS.map(() => 'X-KF-SendFinishedEventX-KF-ReplyBack'));
      expect([...server.events].sort()).toEqual(VERIFICATION_INDICATORS.map((i) => c.wire.forwardedEvent(i, site)).sort());
      expect(rows.filter((r) => !r.ok)).toEqual([]);
      expect(rows).toHaveLength(VERIFICATION_INDICATORS.length);
      for (const r of rows) {
        expect(r.category).toMatch(/^KL_/);
        expect(r.contextPairs).toBeGreaterThan(0);
      }
    },
  );

  it('reads CEF replies with a strict reader too and reports each field only a lenient reader gets right; the rows stay OK', async () => {
    for (const c of allConnectors()) {
      server = await serverFor(c);
      const rows = await verifyConnector(c, site, { host: server.host, port: server.port, timeoutMs: 5000 });
      await server.close();
      server = undefined;
      expect(rows.every((r) => r.ok)).toBe(true);
      const phishing = rows.find((r) => r.indicator.includes('?p=1&p=2'))!;
      const quoted = rows.at(-1)!;
      if (!c.wire.strictMisreads) {
        expect(rows.filter((r) => r.warnings)).toEqual([]);
        continue;
      }
      // CyberTrace writes the URL's query and the user name unescaped.
      expect(phishing.warnings!.join('\n')).toMatch(
        /^request \(url\): breaks the CEF escaping rules \(unescaped "=" inside the value of request \(CEF requires "\\="\)\); only a lenient reader is sure to show "test\.phishing\.example\.com\/psh\/test\?p=1&p=2"$/m,
      );
      expect(quoted.warnings!.join('\n')).toMatch(
        /^suser \(user\): breaks the CEF escaping rules \("\\o" in the value of suser is not a CEF escape\); only a lenient reader is sure to show "CORP\\\\o\\"brien"$/m,
      );
      // A quote is no CEF special character: the context with one is read alike by both.
      expect(quoted.warnings!.join('\n')).not.toMatch(/invoice/);
    }
  });

  it('catches a CyberTrace output format that does not match the SIEM side', async () => {
    const fsm = getConnector('fortisiem');
    const other = allConnectors().find((c) => c.id !== 'fortisiem')!;
    server = await serverFor(fsm, other);
    const rows = await verifyConnector(fsm, site, { host: server.host, port: server.port, timeoutMs: 5000 });
    expect(rows.every((r) => !r.ok)).toBe(true);
    expect(rows[0].problem).toMatch(/FortiSIEM parser cannot read the reply/);
  });

  it('a detection with another category than the documented one is not OK', async () => {
    const fsm = getConnector('fortisiem');
    const out = fsm.cybertrace(site);
    const feed = demoFeed();
    for (const k of Object.keys(feed)) if (k.includes('fakess123bn.nu')) feed[k] = { ...feed[k], category: 'KL_Malicious_URL' };
    server = await startCyberTraceServer({
      regexps: out.input.regexps,
      feed,
      eventFormat: out.output.eventFormat,
      recordFieldContextFormat: out.output.recordFieldContextFormat,
    });
    const rows = await verifyConnector(fsm, site, { host: server.host, port: server.port, timeoutMs: 5000 });
    const bad = rows.filter((r) => !r.ok);
    expect(bad.map((r) => r.indicator)).toEqual(['http://fakess123bn.nu/']);
    expect(bad[0]).toMatchObject({ detected: true, category: 'KL_Malicious_URL' });
    expect(bad[0].problem).toMatch(/detected as KL_Malicious_URL, expected KL_BotnetCnC_URL/);
  });

  it('says when nothing answers before the timeout', async () => {
    const fsm = getConnector('fortisiem');
    server = await serverFor(fsm, fsm, 'hang');
    const rows = await verifyConnector(fsm, site, { host: server.host, port: server.port, timeoutMs: 300, indicators: VERIFICATION_INDICATORS.slice(0, 1) });
    expect(rows[0]).toMatchObject({ ok: false, detected: false, problem: 'no answer before the timeout' });
  });

  it('looks the indicators up at the same time and reports rows in indicator order', async () => {
    // A gate in front of the server passes nothing on until every lookup has sent its event:
    // lookups made one after another would never get past it.
    const fsm = getConnector('fortisiem');
    server = await serverFor(fsm);
    const upstream = server;
    const n = VERIFICATION_INDICATORS.length;
    const waiting: Array<() => void> = [];
    const port = await startGate((client) => {
      client.once('data', (first) => {
        client.pause();
        waiting.push(() => {
          const up = upstreamOf(upstream, client, () => {
            up.write(first);
            client.pipe(up);
            up.pipe(client);
            client.resume();
          });
        });
        if (waiting.length === n) for (const go of waiting) go();
      });
    });
    const progress: Array<[string, number, number]> = [];
    const rows = await verifyConnector(fsm, site, {
      host: '127.0.0.1',
      port,
      timeoutMs: 20_000,
      onRow: (r, i, total) => progress.push([r.indicator, i, total]),
    });
    expect(rows.filter((r) => !r.ok)).toEqual([]);
    expect(rows.map((r) => r.indicator)).toEqual(VERIFICATION_INDICATORS.map((i) => i.value));
    expect(progress).toEqual(VERIFICATION_INDICATORS.map((ind, i) => [ind.value, i, n]));
  });

  it('whatever pieces the service writes its answer in, each row gets its own detection', async () => {
    // Detections and the finished event arrive split mid-line, byte by byte, and together.
    const fsm = getConnector('fortisiem');
    server = await serverFor(fsm);
    const upstream = server;
    const port = await startGate((client) => {
      const up = upstreamOf(upstream, client);
      client.pipe(up);
      let pieces = 0;
      up.on('data', (d: Buffer) => {
        // Alternate: one byte at a time, then the next chunk in one write.
        if (pieces++ % 2 === 0) for (const b of d) client.write(Buffer.from([b]));
        else client.write(d);
      });
    });
    const rows = await verifyConnector(fsm, site, { host: '127.0.0.1', port, timeoutMs: 20_000 });
    expect(rows.filter((r) => !r.ok)).toEqual([]);
    for (const r of rows) expect(r.replies.length).toBeGreaterThan(0);
  });

  it('lookups without a finished event all fail at one deadline, not one per indicator', async () => {
    // A service that reads every event and never answers. The clock is fake: once every event is
    // in, advancing it by the timeout once must end every lookup.
    const n = VERIFICATION_INDICATORS.length;
    let lines = 0;
    let allIn!: () => void;
    const everyEventIn = new Promise<void>((r) => (allIn = r));
    const port = await startGate((c) => {
      c.on('data', (d: Buffer) => {
        for (const b of d) if (b === 10 && ++lines === n) allIn();
      });
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const verifying = verifyConnector(getConnector('fortisiem'), site, { host: '127.0.0.1', port, timeoutMs: 60_000 });
      await everyEventIn;
      vi.advanceTimersByTime(60_000);
      const rows = await verifying;
      expect(rows).toHaveLength(n);
      for (const r of rows) expect(r).toMatchObject({ ok: false, detected: false, problem: 'no answer before the timeout' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports a refused connection clearly', async () => {
    const fsm = getConnector('fortisiem');
    server = await serverFor(fsm, fsm, 'refuse');
    await expect(verifyConnector(fsm, site, { host: server.host, port: server.port, timeoutMs: 2000 })).rejects.toThrow(/connection refused/);
  });

  it('CLI: prints a table, exits 0 when all is well and 1 when the formats disagree', async () => {
    const fsm = getConnector('fortisiem');
    server = await serverFor(fsm);
    const ok = await runCliAsync(['verify', 'fortisiem', '--to', `127.0.0.1:${server.port}`]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('fakess123.nu');
    expect(ok.stdout).toContain(`verify fortisiem: all ${VERIFICATION_INDICATORS.length} indicators detected and parsed`);
    // Fields only a lenient CEF reader gets right are warnings under the table; the traffic row is told apart by its user.
    expect(ok.stdout).toMatch(/^warning: http:\/\/test\.phishing\.example\.com\/psh\/test\?p=1&p=2: request \(url\): breaks the CEF escaping rules/m);
    expect(ok.stdout).toMatch(/^warning: C912705B4BBB14EC7E78FA8B370532C9 \(user CORP\\o"brien\): suser \(user\): /m);
    await server.close();
    server = await serverFor(
      fsm,
      allConnectors().find((c) => c.id !== 'fortisiem'),
    );
    const bad = await runCliAsync(['verify', 'fortisiem', '--to', `127.0.0.1:${server.port}`, '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).ok).toBe(false);
  });
});

describe('ctconnect verify --http (CyberTrace HTTP lookup API)', () => {
  let dir: string;
  let http: CyberTraceHttpServer | undefined;
  let tls: { key: string; cert: string; fingerprint: string };
  const USERS = { kuma: 'pässword:with colon' };
  const CREDS = { CT_API_USER: 'kuma', CT_API_PASSWORD: USERS.kuma };

  /** The example site with the API credentials named; optionally KUMA 4.x, whose rule uses cybertrace-http. */
  function writeSite(name: string, opts: { kuma4?: boolean; namedCredentials?: boolean } = {}): string {
    let text = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'site.yaml'), 'utf8');
    if (opts.namedCredentials !== false) {
      text = text.replace(/^(  version: "4\.x".*)$/m, '$1\n  http_api:\n    user_env: CT_API_USER\n    password_env: CT_API_PASSWORD');
    }
    if (opts.kuma4)
      text = text
        .replace('version: "3.x"             # KUMA', 'version: "4.x"             # KUMA')
        .replace('source_kind: cybertrace  #', 'source_kind: cybertrace-http  #');
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  }

  async function start(opts: Partial<CyberTraceHttpServerOptions> = {}): Promise<CyberTraceHttpServer> {
    http = await startCyberTraceHttpServer({ feed: demoFeed(), users: USERS, ...opts });
    return http;
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ctconnect-verify-http-'));
    const made = selfSignedCertificate('cybertrace.test', 2);
    tls = { ...made, fingerprint: certificateFingerprint(made.cert) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  it('sends every documented indicator with Basic authentication from the named variables and checks each category', async () => {
    const server = await start();
    const r = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url, '--allow-plain-http', '-c', writeSite('site.yaml'), '--json'], CREDS);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ via: 'http', ok: true });
    const asked = VERIFICATION_INDICATORS.filter((i) => i.user === undefined);
    expect(out.rows.map((x: { category: string }) => x.category)).toEqual(asked.map((i) => i.category));
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/api/1.0/lookup', body: asked.map((i) => ({ object: i.value })) });
    expect(server.requests[0].authorization).toBe(`Basic ${Buffer.from(`kuma:${USERS.kuma}`).toString('base64')}`);
    // The password is never printed.
    expect(r.stdout + r.stderr).not.toContain(USERS.kuma);
  });

  it('a detection with another category than the documented one is not OK', async () => {
    const feed = demoFeed();
    feed['http://fakess123bn.nu/'] = { category: 'KL_Malicious_URL', context: [['mask', 'fakess123bn.nu']] };
    const server = await start({ feed, users: undefined });
    const r = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url, '--json']);
    expect(r.code).toBe(1);
    const bad = JSON.parse(r.stdout).rows.filter((x: { ok: boolean }) => !x.ok);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ indicator: 'http://fakess123bn.nu/', detected: true, category: 'KL_Malicious_URL' });
    expect(bad[0].problem).toMatch(/expected KL_BotnetCnC_URL/);
  });

  it('with no credentials named and no terminal, sends no Authorization header', async () => {
    const server = await start({ users: undefined });
    const r = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests[0].authorization).toBeUndefined();
  });

  it('401: says which setting to fix, exit 1', async () => {
    const server = await start();
    const none = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/401 Unauthorized .*needs a user and password.*cybertrace\.http_api\.user_env/);
    const wrong = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url, '--allow-plain-http', '-c', writeSite('site.yaml')], {
      ...CREDS,
      CT_API_PASSWORD: 'wrong',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/401 Unauthorized .*password does not match/);
    expect(wrong.stderr).not.toContain('wrong\n');
  });

  it('named variables that are not set, without a terminal: a clear error before anything is sent', async () => {
    const server = await start();
    const r = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url, '--allow-plain-http', '-c', writeSite('site.yaml')], {
      CT_API_USER: 'kuma',
      CT_API_PASSWORD: '',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CT_API_PASSWORD \(named by cybertrace\.http_api\.password_env\) is not set/);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ['refuse', /connection refused .*HTTPServer > ConnectionString/],
    ['hang', /no answer within 1s/],
    ['html', /HTTP 200\. The server answered with an HTML page titled "Sign in", not CyberTrace's JSON/],
  ] as const)('%s: clear error, exit 1', async (behaviour, message) => {
    const server = await start({ behaviour, users: undefined });
    const r = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url, '--timeout', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('HTTPS: a self-signed certificate is refused by default and nothing is sent', async () => {
    const server = await start({ tls, users: undefined });
    const r = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/certificate not trusted .*--ca FILE.*--fingerprint SHA256/);
    expect(server.requests).toHaveLength(0);
  });

  it('HTTPS: --ca with the certificate accepts it', async () => {
    const server = await start({ tls });
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, tls.cert);
    const r = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url, '--ca', ca, '-c', writeSite('site.yaml')], CREDS);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests).toHaveLength(1);
  });

  it('HTTPS: --fingerprint accepts exactly that certificate; another fingerprint is refused before anything is sent', async () => {
    const server = await start({ tls, users: undefined });
    const ok = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url, '--fingerprint', tls.fingerprint]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(server.requests).toHaveLength(1);
    const other = `SHA256:${'AB:'.repeat(31)}AB`;
    const bad = await runCliAsync(['verify', 'fortisiem', '--http', '--to', server.url, '--fingerprint', other]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not the --fingerprint given/);
    expect(bad.stderr).toContain(tls.fingerprint.replace(/^SHA256:/, ''));
    expect(server.requests).toHaveLength(1);
  });

  it('KUMA with cybertrace-http: the HTTP API is the default; --tcp asks the input port instead', async () => {
    const server = await start();
    const site4 = writeSite('kuma4.yaml', { kuma4: true });
    const r = await runCliAsync(['verify', 'kuma', '--to', server.url, '--allow-plain-http', '-c', site4, '--json'], CREDS);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ siem: 'kuma', via: 'http', ok: true });
    expect(server.requests).toHaveLength(1);
    // --tcp asks the input port, as the cybertrace source kind does.
    const kuma = getConnector('kuma');
    const tcpServer = await serverFor(kuma);
    try {
      const tcp = await runCliAsync(['verify', 'kuma', '--tcp', '--to', `127.0.0.1:${tcpServer.port}`, '-c', site4, '--json']);
      expect(tcp.code, tcp.stderr).toBe(0);
      expect(JSON.parse(tcp.stdout)).toMatchObject({ via: 'tcp', ok: true });
      expect(tcpServer.events).toHaveLength(VERIFICATION_INDICATORS.length);
    } finally {
      await tcpServer.close();
    }
    expect(server.requests).toHaveLength(1);
  });

  it('credentials: the named variables first, else the terminal prompt (an empty user sends none), never half a pair', async () => {
    const api = (http_api: Record<string, string>) => ({ ...site, cybertrace: { ...site.cybertrace, http_api } });
    const named = api({ user_env: 'U', password_env: 'P' });
    const asked: string[] = [];
    const prompt = async (q: string) => {
      asked.push(q);
      return q.startsWith('CyberTrace API user') ? 'analyst' : 'typed';
    };
    expect(await httpCredentials(named, { U: 'kuma', P: 'pw' }, prompt)).toEqual({ user: 'kuma', password: 'pw' });
    expect(asked).toEqual([]);
    expect(await httpCredentials(named, { U: 'kuma' }, prompt)).toEqual({ user: 'kuma', password: 'typed' });
    expect(asked).toEqual(['password of CyberTrace API user kuma: ']);
    expect(await httpCredentials(site, {}, prompt)).toEqual({ user: 'analyst', password: 'typed' });
    expect(await httpCredentials(site, {}, async () => '')).toBeUndefined();
    expect(await httpCredentials(site, {}, undefined)).toBeUndefined();
    await expect(httpCredentials(api({ user_env: 'U' }), { U: 'kuma' }, undefined)).rejects.toThrow(/name both/);
  });

  it('a site whose http_api.url or variable name is not usable is refused with the field and its position', async () => {
    const file = join(dir, 'bad.yaml');
    const text = readFileSync(writeSite('ok.yaml'), 'utf8').replace(
      '    user_env: CT_API_USER',
      '    url: https://192.0.2.10:70000\n    user_env: "CT API USER"',
    );
    writeFileSync(file, text);
    const r = await runCliAsync(['verify', 'fortisiem', '--http', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: cybertrace\.http_api\.url: must be https:\/\/HOST:PORT/);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: cybertrace\.http_api\.user_env: must be the name of an environment variable/);
  });

  it('refuses a URL with a path or credentials, and --ca/--fingerprint without HTTPS', async () => {
    const withPath = await runCliAsync(['verify', 'fortisiem', '--http', '--to', 'https://127.0.0.1:9/api/1.0/lookup']);
    expect(withPath.stderr).toMatch(/only scheme, host and port/);
    const withUser = await runCliAsync(['verify', 'fortisiem', '--http', '--to', 'https://u:p@127.0.0.1:9']);
    expect(withUser.stderr).toMatch(/no user or password in the URL/);
    const plain = await runCliAsync(['verify', 'fortisiem', '--http', '--to', 'http://127.0.0.1:9', '--fingerprint', tls.fingerprint]);
    expect(plain.stderr).toMatch(/apply to https:\/\/ only/);
    for (const r of [withPath, withUser, plain]) expect(r.code).toBe(1);
  });
});
