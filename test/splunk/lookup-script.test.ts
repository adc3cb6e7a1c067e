/**
 * The lookup script (bin/kl_search.py) run with python3 against a server that speaks the
 * CyberTrace wire protocol and is configured with this bundle's regexps and formats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { APP_ID, run, serverFor, splunkBundle, writeBundle } from './helpers/app.js';
import type { CyberTraceServer } from '../helpers/cybertrace-server.js';
import { VERIFICATION_INDICATORS } from '../../connectors/splunk/contract.js';

const bundle = (await splunkBundle());
const dir = writeBundle(bundle);
const script = join(dir, APP_ID, 'bin', 'kl_search.py');

const FEED = {
  'fakess123.nu': { category: 'KL_Malicious_URL', context: [['first_seen', '10.07.2015 23:53'], ['popularity', '1']] as Array<[string, string]> },
  '192.0.2.0': { category: 'KL_IP_Reputation', context: [['threat_score', '75'], ['category', 'spam']] as Array<[string, string]> },
  C912705B4BBB14EC7E78FA8B370532C9: { category: 'KL_Malicious_Hash_MD5', context: [['file_name', 'invoice 2024.exe']] as Array<[string, string]> },
};

let server: CyberTraceServer;
beforeAll(async () => {
  server = await serverFor(bundle, FEED);
});
afterAll(async () => {
  await server.close();
});

const lookup = (...args: string[]) => run('python3', [script, '--host', server.host, '--port', String(server.port), ...args]);

describe('kl_search.py from a shell', () => {
  it('prints the category and context of a detected URL, one line per indicator', async () => {
    const r = await lookup('url=http://fakess123.nu');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('url=http://fakess123.nu: KL_Malicious_URL (first_seen=10.07.2015 23:53, popularity=1)\n');
    expect(server.headers.at(-1)).toBe('X-KF-SendFinishedEventX-KF-ReplyBack');
    expect(server.events.at(-1)).toBe('url=http://fakess123.nu ');
  });

  it('looks up several values and types at once and says what was not found', async () => {
    const r = await lookup('ip=192.0.2.0|198.51.100.7', 'md5=c912705b4bbb14ec7e78fa8b370532c9', 'sha256=' + 'ab'.repeat(32));
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'ip=192.0.2.0: KL_IP_Reputation (threat_score=75, category=spam)',
      'ip=198.51.100.7: not found in the CyberTrace feeds',
      'md5=c912705b4bbb14ec7e78fa8b370532c9: KL_Malicious_Hash_MD5 (file_name=invoice 2024.exe)',
      `sha256=${'ab'.repeat(32)}: not found in the CyberTrace feeds`,
    ]);
  });

  it('marks each verification indicator OK or FALSE and fails when one is not detected', async () => {
    const r = await lookup('verification');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(VERIFICATION_INDICATORS.length);
    expect(lines[0]).toBe('OK    url=http://fakess123.nu (Malicious URL Data Feed): KL_Malicious_URL');
    expect(lines).toContain('OK    ip=192.0.2.0 (IP Reputation Data Feed): KL_IP_Reputation');
    expect(lines).toContain('FALSE url=http://fakess123bn.nu/ (Botnet CnC URL Data Feed): not detected');
    expect(r.code).toBe(1);
  });

  it('passes verification when every test indicator is in the feeds', async () => {
    const all = Object.fromEntries(
      VERIFICATION_INDICATORS.map((v) => [v.type === 'url' ? v.value.replace(/^[a-z]+:\/\//, '') : v.value, { category: `Demo_${v.type}` }]),
    );
    const s = await serverFor(bundle, all);
    try {
      const r = await run('python3', [script, '--host', s.host, '--port', String(s.port), 'verification']);
      expect(r.stdout.split('\n').filter((l) => l.startsWith('OK    '))).toHaveLength(VERIFICATION_INDICATORS.length);
      expect(r.code).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('reads a finished event that carries statistics', async () => {
    const s = await serverFor(bundle, FEED, { finishedEvent: (st) => `LookupFinished sent_events=${st.events} ${Object.entries(st.detections).map(([k, v]) => `${k}=${v}`).join(' ')}` });
    try {
      const r = await run('python3', [script, '--host', s.host, '--port', String(s.port), 'url=fakess123.nu']);
      expect(r.stdout).toBe('url=fakess123.nu: KL_Malicious_URL (first_seen=10.07.2015 23:53, popularity=1)\n');
    } finally {
      await s.close();
    }
  });

  it.each([
    ['refuse', /^url=http:\/\/x\.example: error: CyberTrace at 127\.0\.0\.1:\d+ refused the connection/],
    ['hang', /^url=http:\/\/x\.example: error: no finished event from CyberTrace at 127\.0\.0\.1:\d+ within 1s \(timed out\)$/],
    ['garbage', /^url=http:\/\/x\.example: error: unreadable reply from CyberTrace at 127\.0\.0\.1:\d+: not UTF-8 text$/],
    ['close', /^url=http:\/\/x\.example: error: CyberTrace at 127\.0\.0\.1:\d+ closed the connection before the finished event$/],
  ] as const)('gives one clear error line, no traceback, when the service does "%s"', async (behaviour, expected) => {
    const s = await serverFor(bundle, FEED, { behaviour });
    try {
      const r = await run('python3', [script, '--host', s.host, '--port', String(s.port), '--timeout', '1', 'url=http://x.example', 'ip=192.0.2.0']);
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
    for (const args of [['domain=example.com'], ['url='], [], ['ip=1.2.3.4', '--port', 'x']]) {
      const r = await lookup(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^kl_search: /);
      expect(r.stderr).not.toContain('Traceback');
    }
    expect(server.events.length).toBe(before);
  });

});

/** Splunk's side of the search command protocol v2: getinfo, then execute, each a `chunked 1.0,<meta>,<body>` frame. */
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

function csvRows(body: string): Array<Record<string, string>> {
  // Test data holds no quotes or commas inside values except where quoted; a tiny CSV reader is enough.
  const parse = (line: string): string[] => {
    const out: string[] = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (q) {
        if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
        else if (c === '"') q = false;
        else cur += c;
      } else if (c === '"') q = true;
      else if (c === ',') out.push(cur), (cur = '');
      else cur += c;
    }
    out.push(cur);
    return out;
  };
  const [head, ...lines] = body.split('\r\n').filter((l) => l !== '');
  const cols = parse(head);
  return lines.map((l) => Object.fromEntries(parse(l).map((v, i) => [cols[i], v])));
}

describe('klsearch as a Splunk search command (protocol v2, chunked = true)', () => {
  async function search(args: string[]) {
    const all = [...args, `host=${server.host}`, `port=${server.port}`];
    return run('python3', [script], chunk({ action: 'getinfo', preview: false, searchinfo: { args: all, app: APP_ID } }) + chunk({ action: 'execute', finished: true }));
  }

  it('answers getinfo as a generating command and returns one row per detection', async () => {
    const r = await search(['url=http://fakess123.nu|http://clean.example']);
    expect(r.stderr).toBe('');
    const chunks = readChunks(r.stdout);
    expect(chunks[0].meta).toEqual({ type: 'events', generating: true });
    expect(chunks[1].meta).toEqual({ finished: true });
    const rows = csvRows(chunks[1].body);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ LookupIndicator: 'url=http://fakess123.nu', LookupStatus: 'found', category: 'KL_Malicious_URL', matchedIndicator: 'fakess123.nu', url: 'fakess123.nu', ctx_first_seen: '10.07.2015 23:53' });
    expect(rows[0]._raw).toContain('category=KL_Malicious_URL');
    expect(rows[1]).toMatchObject({ LookupIndicator: 'url=http://clean.example', LookupStatus: 'not found' });
    expect(Number(rows[0]._time)).toBeGreaterThan(0);
  });

  it('turns a bad argument into an error row and an inspector message', async () => {
    const r = await search(['domain=example.com']);
    const chunks = readChunks(r.stdout);
    expect(chunks[1].meta).toMatchObject({ finished: true, inspector: { messages: [['ERROR', expect.stringContaining('unknown indicator type')]] } });
    expect(csvRows(chunks[1].body)[0]).toMatchObject({ LookupStatus: 'error' });
  });
});
