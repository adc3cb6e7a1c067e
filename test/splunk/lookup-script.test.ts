/**
 * The lookup script (bin/kl_search.py) run with python3 against a server that speaks the
 * CyberTrace wire protocol and is configured with this bundle's regexps, formats and pinned
 * FinishedEventFormat text — under both readings of the mode header — from a shell and as
 * Splunk runs it (search command protocol v2: getinfo, then execute requests until finished).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_ID, run, serverFor, splunkBundle, writeBundle } from './helpers/app.js';
import { startSplunkd, type FakeSplunkd } from './helpers/splunkd.js';
import type { CyberTraceServer, CyberTraceServerOptions } from '../../src/cybertrace/server.js';
import { fileText } from '../helpers/bundles.js';
import { FEED_CHECK_INDICATORS } from '../../src/cybertrace/indicators.js';
import { DEFAULT_FINISHED_EVENT_TEXT } from '../../src/cybertrace/fragment.js';
import { MODE_HEADER } from '../../connectors/splunk/contract.js';

const bundle = await splunkBundle();
const dirs: string[] = [];
/** The app written to a temporary folder; `config` changes keys of its bin/config.json. */
function appCopy(config: Record<string, unknown> = {}): string {
  const dir = writeBundle(bundle);
  dirs.push(dir);
  if (Object.keys(config).length > 0) {
    const path = join(dir, APP_ID, 'bin', 'config.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(fileText(bundle, `${APP_ID}/bin/config.json`)), ...config }));
  }
  return join(dir, APP_ID, 'bin', 'kl_search.py');
}
const script = appCopy();
const PINNED = bundle.settings.output.finishedEventText!;

const FEED: CyberTraceServerOptions['feed'] = {
  'fakess123.nu': {
    category: 'KL_Malicious_URL',
    context: [
      ['first_seen', '10.07.2015 23:53'],
      ['popularity', '1'],
    ],
  },
  '192.0.2.0': {
    category: 'KL_IP_Reputation',
    context: [
      ['threat_score', '75'],
      ['category', 'spam'],
    ],
  },
  C912705B4BBB14EC7E78FA8B370532C9: { category: 'KL_Malicious_Hash_MD5', context: [['file_name', 'invoice 2024.exe']] },
  '198.51.100.9': {
    category: 'KL_IP_Reputation',
    context: [
      ['ip_whois', 'AS1 $one$'],
      ['ip_whois', 'AS2'],
      ['threat_score', '90'],
    ],
  },
};

let server: CyberTraceServer;
beforeAll(async () => {
  server = await serverFor(bundle, FEED);
});
afterAll(async () => {
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const shell = (s: CyberTraceServer, ...args: string[]) => run('python3', [script, '--host', s.host, '--port', String(s.port), ...args]);

describe('one definition for both halves', () => {
  it('the script waits for the FinishedEventFormat text the bundle pins, which is not the undocumented default', () => {
    const config = JSON.parse(fileText(bundle, `${APP_ID}/bin/config.json`));
    expect(config.finished_marker).toBe(PINNED);
    expect(config.mode_header).toBe(MODE_HEADER);
    expect(PINNED).not.toBe(DEFAULT_FINISHED_EVENT_TEXT);
    expect(fileText(bundle, 'cybertrace/kl_feed_service.fragment.xml')).toContain(`<FinishedEventFormat enabled="false">${PINNED}</FinishedEventFormat>`);
    expect(fileText(bundle, 'cybertrace/SETTINGS.md')).toContain(PINNED);
  });

  it('verification sends one indicator per feed, from the shared list', () => {
    const config = JSON.parse(fileText(bundle, `${APP_ID}/bin/config.json`));
    expect(config.verification).toEqual(FEED_CHECK_INDICATORS.map((v) => ({ type: v.type, value: v.value, feed: v.feed })));
    expect(new Set(FEED_CHECK_INDICATORS.map((v) => v.feed)).size).toBe(17);
  });
});

describe('the mode header test server', () => {
  /** A client that sends the header as its own line (what this script did before): wrong under the prefix reading. */
  async function headerLineClient(s: CyberTraceServer): Promise<string> {
    return new Promise((resolve, reject) => {
      const sock = connect(s.port, s.host);
      let got = '';
      sock.setEncoding('utf8');
      sock.on('error', reject);
      sock.on('data', (d: string) => {
        got += d;
        if (got.split('\n').filter((l) => l.startsWith(PINNED)).length >= 2) {
          sock.destroy();
          resolve(got);
        }
      });
      sock.write(`${MODE_HEADER}\nurl=fakess123.nu \n`);
    });
  }

  it('prefix reading: a header on its own line is answered as an empty event, so replies shift by one', async () => {
    const s = await serverFor(bundle, FEED, { headerMode: 'prefix' });
    try {
      const lines = (await headerLineClient(s)).trim().split('\n');
      expect(lines[0]).toBe(PINNED);
      expect(lines[1]).toContain('category=KL_Malicious_URL');
      expect(s.events).toEqual(['', 'url=fakess123.nu ']);
    } finally {
      await s.close();
    }
  });
});

describe.each(['message', 'prefix'] as const)('kl_search.py from a shell, header read as %s', (headerMode) => {
  let s: CyberTraceServer;
  beforeAll(async () => {
    s = await serverFor(bundle, FEED, { headerMode });
  });
  afterAll(async () => {
    await s.close();
  });

  it('sends the header as the vendor does, directly followed by the first request, and prints category and context', async () => {
    const r = await shell(s, 'url=http://fakess123.nu');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('url=http://fakess123.nu: KL_Malicious_URL (ctx_first_seen=10.07.2015 23:53, ctx_popularity=1)\n');
    expect(s.headers.at(-1)).toBe(MODE_HEADER);
    expect(s.events.at(-1)).toBe('url=http://fakess123.nu ');
  });

  it('answers each of several indicators on one connection with its own result', async () => {
    const before = s.headers.length;
    const r = await shell(s, 'ip=198.51.100.7|192.0.2.0', 'md5=c912705b4bbb14ec7e78fa8b370532c9', 'sha256=' + 'ab'.repeat(32), 'url=fakess123.nu');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'ip=198.51.100.7: not found in the CyberTrace feeds',
      'ip=192.0.2.0: KL_IP_Reputation (ctx_threat_score=75, ctx_category=spam)',
      'md5=c912705b4bbb14ec7e78fa8b370532c9: KL_Malicious_Hash_MD5 (ctx_file_name=invoice 2024.exe)',
      `sha256=${'ab'.repeat(32)}: not found in the CyberTrace feeds`,
      'url=fakess123.nu: KL_Malicious_URL (ctx_first_seen=10.07.2015 23:53, ctx_popularity=1)',
    ]);
    expect(s.headers.length).toBe(before + 1);
  });

  it('verification: one line per feed, OK or FALSE, and fails when a feed does not detect its indicator', async () => {
    const r = await shell(s, 'verification');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(FEED_CHECK_INDICATORS.length);
    expect(lines[0]).toBe('OK    url=http://fakess123.nu (Malicious URL): KL_Malicious_URL');
    expect(lines).toContain('OK    ip=192.0.2.0 (IP Reputation): KL_IP_Reputation');
    expect(lines).toContain('FALSE url=http://fakess123ap.nu (Phishing URL): not detected');
    expect(r.code).toBe(1);
  });
});

describe('kl_search.py from a shell: results and failures', () => {
  it('passes verification when every feed detects its indicator', async () => {
    const all = Object.fromEntries(
      FEED_CHECK_INDICATORS.map((v) => [v.type === 'url' ? v.value.replace(/^[a-z]+:\/\//, '') : v.value, { category: `Demo_${v.type}` }]),
    );
    const s = await serverFor(bundle, all, { headerMode: 'prefix' });
    try {
      const r = await shell(s, 'verification');
      expect(r.stdout.split('\n').filter((l) => l.startsWith('OK    '))).toHaveLength(FEED_CHECK_INDICATORS.length);
      expect(r.code).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('reads a finished event that carries statistics after the pinned text', async () => {
    const s = await serverFor(bundle, FEED, {
      finishedEvent: (st) =>
        `${PINNED} sent_events=${st.events} ${Object.entries(st.detections)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
    });
    try {
      const r = await shell(s, 'url=fakess123.nu', 'ip=192.0.2.0');
      expect(r.stdout.trim().split('\n')).toEqual([
        'url=fakess123.nu: KL_Malicious_URL (ctx_first_seen=10.07.2015 23:53, ctx_popularity=1)',
        'ip=192.0.2.0: KL_IP_Reputation (ctx_threat_score=75, ctx_category=spam)',
      ]);
    } finally {
      await s.close();
    }
  });

  it('does not take the undocumented default text for the finished event: a service left at it times out clearly', async () => {
    const s = await serverFor(bundle, FEED, { finishedEvent: () => DEFAULT_FINISHED_EVENT_TEXT });
    try {
      const r = await shell(s, '--timeout', '1', 'url=fakess123.nu');
      expect(r.stdout).toMatch(
        /^url=fakess123\.nu: error: no finished event from CyberTrace at 127\.0\.0\.1:\d+ within 1s \(timed out; is FinishedEventFormat set as in the bundle\?\)\n$/,
      );
      expect(r.code).toBe(1);
    } finally {
      await s.close();
    }
  });

  it.each([
    ['refuse', /^url=http:\/\/x\.example: error: CyberTrace at 127\.0\.0\.1:\d+ refused the connection/],
    ['hang', /^url=http:\/\/x\.example: error: no finished event from CyberTrace at 127\.0\.0\.1:\d+ within 1s \(timed out/],
    // Bytes that are not UTF-8 are read as U+FFFD (a reply is not lost for one bad byte): a service
    // that sends nothing but such lines never sends the finished event either.
    ['garbage', /^url=http:\/\/x\.example: error: no finished event from CyberTrace at 127\.0\.0\.1:\d+ within 1s \(timed out/],
    ['close', /^url=http:\/\/x\.example: error: CyberTrace at 127\.0\.0\.1:\d+ closed the connection before the finished event$/],
  ] as const)('gives one clear error line, no traceback, when the service does "%s"', async (behaviour, expected) => {
    const s = await serverFor(bundle, FEED, { behaviour });
    try {
      const r = await shell(s, '--timeout', '1', 'url=http://x.example', 'ip=192.0.2.0');
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(expected);
      expect(r.stderr).not.toContain('Traceback');
      expect(r.code).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('refuses bad arguments with a usage message and sends nothing', async () => {
    const before = server.events.length;
    for (const args of [['domain=example.com'], ['url='], [], ['ip=1.2.3.4', '--port', 'x'], ['ip=1.2.3.4', '--timeout', '301']]) {
      const r = await shell(server, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^kl_search: /);
      expect(r.stderr).not.toContain('Traceback');
    }
    expect(server.events.length).toBe(before);
  });
});

/** Splunk's side of the search command protocol v2: each request a `chunked 1.0,<meta>,<body>` frame. */
function chunk(meta: object, body = ''): string {
  const m = JSON.stringify(meta);
  return `chunked 1.0,${Buffer.byteLength(m)},${Buffer.byteLength(body)}\n${m}${body}`;
}

function readChunks(out: string): Array<{ meta: Record<string, unknown>; body: string }> {
  const chunks: Array<{ meta: Record<string, unknown>; body: string }> = [];
  let rest = Buffer.from(out);
  while (rest.length > 0) {
    const nl = rest.indexOf(10);
    const m = /^chunked 1\.0,(\d+),(\d+)$/.exec(rest.subarray(0, nl).toString());
    if (!m) throw new Error(`bad chunk header: ${rest.subarray(0, 80).toString()}`);
    const ml = Number(m[1]);
    const bl = Number(m[2]);
    chunks.push({ meta: JSON.parse(rest.subarray(nl + 1, nl + 1 + ml).toString()), body: rest.subarray(nl + 1 + ml, nl + 1 + ml + bl).toString() });
    rest = rest.subarray(nl + 1 + ml + bl);
  }
  return chunks;
}

/** RFC 4180 CSV as the script writes it (quoted values may hold commas, quotes and line feeds). */
function csvRows(body: string): Array<Record<string, string>> {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && body[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      field = '';
      record = [];
      i++;
    } else field += c;
  }
  const [head, ...rows] = records;
  return rows.map((r) => Object.fromEntries(r.map((v, i) => [head[i], v])));
}

describe('klsearch as a Splunk search command (protocol v2, chunked = true)', () => {
  let splunkd: FakeSplunkd;
  beforeAll(async () => {
    splunkd = await startSplunkd({
      app: APP_ID,
      sessionKey: 'test-session-key',
      records: [{ _key: 'cybertrace', KTCHost: server.host, KTCPort: server.port }],
    });
  });
  afterAll(async () => {
    await splunkd.close();
  });

  /** getinfo, then `executes` execute requests, as splunkd sends them; maxresultrows as in limits.conf. */
  async function search(args: string[], opts: { executes?: number; maxresultrows?: number; splunkd?: FakeSplunkd; script?: string } = {}) {
    const d = opts.splunkd ?? splunkd;
    const searchinfo = { args, app: 'search', splunkd_uri: d.uri, session_key: d.sessionKey, maxresultrows: opts.maxresultrows ?? 50000, username: 'analyst' };
    let input = chunk({ action: 'getinfo', preview: false, searchinfo });
    for (let i = 0; i < (opts.executes ?? 1); i++) input += chunk({ action: 'execute', finished: true });
    const r = await run('python3', [opts.script ?? script], input);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain(d.sessionKey);
    const chunks = readChunks(r.stdout);
    expect(chunks[0].meta).toEqual({ type: 'events', generating: true });
    return chunks.slice(1).map((c) => ({ meta: c.meta, rows: c.body ? csvRows(c.body) : [] }));
  }

  it("reads the admin's CyberTrace address from the KV store with the search's session and returns one row per detection", async () => {
    const before = splunkd.requests.length;
    const replies = await search(['url=http://fakess123.nu|http://clean.example']);
    expect(replies).toHaveLength(1);
    expect(replies[0].meta).toEqual({ finished: true });
    const rows = replies[0].rows;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      LookupIndicator: 'url=http://fakess123.nu',
      LookupStatus: 'found',
      category: 'KL_Malicious_URL',
      matchedIndicator: 'fakess123.nu',
      url: 'fakess123.nu',
      ctx_first_seen: '10.07.2015 23:53',
    });
    expect(rows[0]._raw).toContain('category=KL_Malicious_URL');
    expect(rows[1]).toMatchObject({ LookupIndicator: 'url=http://clean.example', LookupStatus: 'not found' });
    expect(Number(rows[0]._time)).toBeGreaterThan(0);
    expect(splunkd.requests.slice(before)).toEqual([
      { path: `/servicesNS/nobody/${APP_ID}/storage/collections/data/kl_cybertrace_settings?output_mode=json`, authorization: 'Splunk test-session-key' },
    ]);
  });

  it.each(['message', 'prefix'] as const)(
    'header read as %s: several execute requests, at most maxresultrows rows each, the last one finished',
    async (headerMode) => {
      const s = await serverFor(bundle, FEED, { headerMode });
      const d = await startSplunkd({ app: APP_ID, sessionKey: 'k2', records: [{ _key: 'cybertrace', KTCHost: s.host, KTCPort: s.port }] });
      try {
        const replies = await search(['ip=192.0.2.0|198.51.100.7', 'url=fakess123.nu', 'md5=C912705B4BBB14EC7E78FA8B370532C9', 'sha1=' + 'cd'.repeat(20)], {
          executes: 3,
          maxresultrows: 2,
          splunkd: d,
        });
        expect(replies.map((r) => r.meta.finished)).toEqual([false, false, true]);
        expect(replies.map((r) => r.rows.length)).toEqual([2, 2, 1]);
        expect(replies.flatMap((r) => r.rows.map((x) => `${x.LookupIndicator} ${x.LookupStatus} ${x.category || '-'}`))).toEqual([
          'ip=192.0.2.0 found KL_IP_Reputation',
          'ip=198.51.100.7 not found -',
          'url=fakess123.nu found KL_Malicious_URL',
          'md5=C912705B4BBB14EC7E78FA8B370532C9 found KL_Malicious_Hash_MD5',
          `sha1=${'cd'.repeat(20)} not found -`,
        ]);
        expect(s.headers).toEqual([MODE_HEADER]);
      } finally {
        await d.close();
        await s.close();
      }
    },
  );

  it('a context name repeated in one detection becomes a multivalue field', async () => {
    const [reply] = await search(['ip=198.51.100.9']);
    expect(reply.rows[0]).toMatchObject({ ctx_ip_whois: 'AS1 $one$\nAS2', __mv_ctx_ip_whois: '$AS1 $$one$$$;$AS2$', ctx_threat_score: '90' });
  });

  it('verification: one row per feed with OK or FALSE, and a warning when some feed misses', async () => {
    const [reply] = await search(['verification']);
    expect(reply.rows).toHaveLength(FEED_CHECK_INDICATORS.length);
    expect(reply.rows.map((r) => r.LookupFeed)).toEqual(FEED_CHECK_INDICATORS.map((v) => v.feed));
    expect(reply.rows[0]).toMatchObject({ LookupStatus: 'OK', LookupFeed: 'Malicious URL', category: 'KL_Malicious_URL' });
    expect(reply.rows[1]).toMatchObject({ LookupStatus: 'FALSE', LookupFeed: 'Phishing URL' });
    expect(reply.meta.inspector).toEqual({ messages: [['WARN', expect.stringMatching(/^klsearch verification: 14 of 17 feeds did not detect/)]] });
  });

  it.each([
    ['refuse', /refused the connection/],
    ['hang', /no finished event from CyberTrace at 127\.0\.0\.1:\d+ within 1s/],
    ['garbage', /no finished event from CyberTrace at 127\.0\.0\.1:\d+ within 1s/],
  ] as const)('CyberTrace doing "%s" is an inspector ERROR (a banner in Splunk), not only an error row', async (behaviour, expected) => {
    const s = await serverFor(bundle, FEED, { behaviour });
    const d = await startSplunkd({ app: APP_ID, sessionKey: 'k3', records: [{ _key: 'cybertrace', KTCHost: s.host, KTCPort: s.port }] });
    try {
      const [reply] = await search(['url=fakess123.nu', 'timeout=1'], { splunkd: d });
      expect(reply.meta).toEqual({ finished: true, inspector: { messages: [['ERROR', expect.stringMatching(expected)]] } });
      expect(reply.rows[0]).toMatchObject({ LookupStatus: 'error' });
    } finally {
      await d.close();
      await s.close();
    }
  });

  it('a service left at the default finished text is an inspector ERROR after the timeout', async () => {
    const s = await serverFor(bundle, FEED, { finishedEvent: () => DEFAULT_FINISHED_EVENT_TEXT });
    const d = await startSplunkd({ app: APP_ID, sessionKey: 'k4', records: [{ _key: 'cybertrace', KTCHost: s.host, KTCPort: s.port }] });
    try {
      const [reply] = await search(['url=fakess123.nu', 'timeout=1'], { splunkd: d });
      expect(reply.meta.inspector).toEqual({ messages: [['ERROR', expect.stringContaining('is FinishedEventFormat set as in the bundle?')]] });
    } finally {
      await d.close();
      await s.close();
    }
  });

  it('users cannot point the lookup elsewhere: host= and port= are refused and nothing is sent', async () => {
    const before = server.events.length;
    for (const arg of [`host=${server.host}`, `port=${server.port}`]) {
      const [reply] = await search(['url=fakess123.nu', arg]);
      expect(reply.meta).toEqual({
        finished: true,
        inspector: { messages: [['ERROR', expect.stringContaining('is not a search option: an admin sets the CyberTrace address')]] },
      });
      expect(reply.rows[0]).toMatchObject({ LookupStatus: 'error' });
    }
    expect(server.events.length).toBe(before);
  });

  it('without a stored setting, config.json (the deploy-time default) is used; an unreadable KV store is a warning', async () => {
    const local = appCopy({ service_addr: server.host, service_port: server.port });
    const empty = await startSplunkd({ app: APP_ID, sessionKey: 'k5', records: [] });
    const broken = await startSplunkd({ app: APP_ID, sessionKey: 'k6', records: [], status: 503 });
    try {
      const [a] = await search(['url=fakess123.nu'], { splunkd: empty, script: local });
      expect(a.meta).toEqual({ finished: true });
      expect(a.rows[0]).toMatchObject({ LookupStatus: 'found', category: 'KL_Malicious_URL' });
      const [b] = await search(['url=fakess123.nu'], { splunkd: broken, script: local });
      expect(b.meta.inspector).toEqual({
        messages: [
          [
            'WARN',
            expect.stringMatching(
              /^klsearch: cannot read the CyberTrace settings \(KV-store collection kl_cybertrace_settings\): .*; using the address in config\.json$/,
            ),
          ],
        ],
      });
      expect(b.rows[0]).toMatchObject({ LookupStatus: 'found' });
    } finally {
      await empty.close();
      await broken.close();
    }
  });

  it('a bad argument is an error row and an inspector ERROR', async () => {
    const [reply] = await search(['domain=example.com']);
    expect(reply.meta).toMatchObject({ finished: true, inspector: { messages: [['ERROR', expect.stringContaining('unknown indicator type')]] } });
    expect(reply.rows[0]).toMatchObject({ LookupStatus: 'error' });
  });

  it('an unexpected exception after getinfo still ends with a valid, finished execute reply', async () => {
    const broken = appCopy({ verification: [{ feed: 'no type nor value' }] });
    const [reply] = await search(['verification'], { script: broken });
    expect(reply).toEqual({
      meta: { finished: true, inspector: { messages: [['ERROR', expect.stringMatching(/^klsearch: internal error: KeyError: /)]] } },
      rows: [],
    });
  });
});
