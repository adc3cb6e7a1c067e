/**
 * Hostile traffic through every registered connector's real path (test/traffic/paths.ts): every
 * field of each detection event comes out equal to what CyberTrace sent — invalid bytes replaced,
 * and only they. What still cannot pass unchanged is listed in LIMITS (and in the README's
 * "Limits" section); each listed case must still fail, so the list stays true.
 */
import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { allConnectors } from '../../connectors/registry.js';
import type { ParsedEvent } from '../../src/model/events.js';
import { exampleSite } from '../helpers/bundles.js';
import { expectedText, hostileEvents, INVALID_BYTES, SPECIAL_CHARACTERS, type HostileEvent } from './hostile-set.js';
import { decodeReplacing, trafficPath } from './paths.js';
import { httpLookup } from '../../src/verify/http-lookup.js';

const site = exampleSite();

/**
 * `<connector> <event name>` → why it cannot pass unchanged. The strict-reader entries are what a
 * SIEM following the CEF specification shows differently: CyberTrace writes values unescaped.
 */
const CEF_BACKSLASH = 'CyberTrace does not escape "\\": CEF readers take "\\n" in CORP\\nick for a line break';
const CEF_EQUALS = 'CyberTrace does not escape "=": a reader following the CEF specification does not read the value as written';
const LIMITS: Record<string, string> = {
  ...Object.fromEntries(
    ['fortisiem', 'arcsight'].flatMap((id) =>
      ['url', 'user', 'context'].flatMap((slot) => [
        [`${id} ${slot}: backslash`, CEF_BACKSLASH],
        [`${id} ${slot}: equals sign (strict reader)`, CEF_EQUALS],
      ]),
    ),
  ),
  'alienvault url: tab': 'rsyslog writes a received tab as #011 (it escapes control characters for every input of the appliance)',
  'alienvault context: tab': 'rsyslog writes a received tab as #011',
  'splunk url: tab': "the event's fields are separated by spaces and tabs; CyberTrace's URL regexp of the bundle never takes a tab either",
  'splunk user: tab': "the event's fields are separated by spaces and tabs; CyberTrace's user regexp of the bundle never takes a tab either",
};

function compare(ev: HostileEvent, got: ParsedEvent | { error: string }, replace: (b: Buffer) => string): string | undefined {
  if ('error' in got) return got.error;
  const want = expectedText(ev.value, replace);
  if (ev.slot === 'context') {
    const wanted: Array<[string, string]> = [
      ['first_seen', '10.07.2015 23:53'],
      ['note', want],
      ['popularity', '1'],
    ];
    return JSON.stringify(got.context) === JSON.stringify(wanted) ? undefined : `context ${JSON.stringify(got.context).slice(0, 300)}`;
  }
  const v = got.fields[ev.slot];
  return v === want ? undefined : `${ev.slot} ${JSON.stringify(v)}, sent ${JSON.stringify(want)}`;
}

describe.each(allConnectors().map((c) => [c.id, c] as const))('%s: hostile traffic through the real path', (id, c) => {
  it('every field comes out as sent (invalid bytes replaced, only they), except the listed limits', async () => {
    const events = hostileEvents(c, site);
    const path = trafficPath(c, site);
    const result = await path.run(events.map((e) => e.line));
    const failures: Record<string, string> = {};
    events.forEach((ev, i) => {
      const got = result.events[i];
      const why = got === undefined ? 'nothing came out' : compare(ev, got, path.replace);
      const strict = result.misreads?.[i] ?? [];
      if (why) failures[`${id} ${ev.name}`] = why;
      else if (strict.length > 0) failures[`${id} ${ev.name} (strict reader)`] = strict.join('; ');
    });
    // Events a path splits in two leave later results shifted: nothing may come out beyond what was sent.
    if (result.events.length !== events.length) failures[`${id} event count`] = `${result.events.length} events came out of ${events.length} sent`;
    const limits = Object.keys(LIMITS).filter((k) => k.startsWith(`${id} `));
    expect(
      Object.keys(failures)
        .filter((k) => !limits.includes(k))
        .map((k) => `${k}: ${failures[k]}`),
      path.describe,
    ).toEqual([]);
    expect(
      limits.filter((k) => !(k in failures)),
      'listed limits that now pass: remove them from LIMITS and the README',
    ).toEqual([]);
  }, 120_000);
});

/**
 * CyberTrace's HTTP lookup API (KUMA's cybertrace-http source kind, `verify --http`): the answer is
 * JSON, whose escapes carry every character; a byte that is not UTF-8 in the answer becomes U+FFFD.
 */
describe('CyberTrace HTTP lookup API reader: hostile context values', () => {
  it('every context value comes out as sent, invalid bytes replaced', async () => {
    const values = [...INVALID_BYTES, ...SPECIAL_CHARACTERS, { name: '60 KiB', pieces: ['x'.repeat(60 * 1024)] }];
    // Written by hand: JSON.stringify cannot put bytes that are not UTF-8 into the answer.
    const context = Buffer.concat(
      values.flatMap((v, i) => [
        Buffer.from(`${i === 0 ? '' : ','}"v${i}":"`),
        ...v.pieces.map((p) => (typeof p === 'string' ? Buffer.from(JSON.stringify(p).slice(1, -1)) : p)),
        Buffer.from('"'),
      ]),
    );
    const body = Buffer.concat([
      Buffer.from('[{"object":"fakess123.nu","result":"detected","categories":[{"category":"KL_Malicious_URL","detected_indicator":"fakess123.nu","context":{'),
      context,
      Buffer.from('}}]}]'),
    ]);
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
        res.end(body);
      });
    });
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
    try {
      const [answer] = await httpLookup({ url: new URL(`http://127.0.0.1:${port}`), timeoutMs: 5000 }, ['fakess123.nu']);
      expect(answer.categories[0].context).toEqual(Object.fromEntries(values.map((v, i) => [`v${i}`, expectedText(v.pieces, decodeReplacing)])));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
