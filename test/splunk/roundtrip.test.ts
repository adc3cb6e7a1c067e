/**
 * DESIGN.md's round trip for Splunk. CyberTrace's regexps of this bundle (real PCRE) read what
 * the app forwards and what the lookup script sends; the detection and alert events rendered
 * with the bundle's formats are read back by the transforms.conf regexes of the generated app —
 * with Python `re` (the PCRE subset Splunk and the lookup script share) and with the TypeScript
 * port used by wire.parseEvent — to the same fields.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import { extractLikeCyberTrace } from '../../src/cybertrace/pcre.js';
import { exampleSite, fileText } from '../helpers/bundles.js';
import { parseConf } from '../../connectors/splunk/conf.js';
import { splunk } from '../../connectors/splunk/index.js';
import { lookupRequest, LOOKUP_PATTERN } from '../../connectors/splunk/contract.js';
import type { Indicator } from '../../src/model/events.js';
import { APP_ID, splunkBundle } from './helpers/app.js';

const site = exampleSite();
const bundle = await splunkBundle(site);
const settings = bundle.settings;

/** The search-time extractions exactly as the generated app declares them. */
function generatedTransforms(): Array<{ name: string; regex: string; format: string }> {
  const props = parseConf(fileText(bundle, `${APP_ID}/default/props.conf`)).stanzas.get('kaspersky:cybertrace')!;
  const transforms = parseConf(fileText(bundle, `${APP_ID}/default/transforms.conf`)).stanzas;
  const names = [...props.entries()].filter(([k]) => k.startsWith('REPORT-')).flatMap(([, v]) => v.split(/\s*,\s*/));
  return names.map((name) => {
    const t = transforms.get(name);
    if (!t) throw new Error(`props.conf names transform ${name}, which transforms.conf lacks`);
    return { name, regex: t.get('REGEX')!, format: t.get('FORMAT')! };
  });
}

/** Applies transforms the way Splunk does at search time, in Python: FORMAT name::$1 (first match), or $1::$2 for every match. */
const PY = `
import json, re, sys
data = json.load(sys.stdin)
out = []
for line in data["lines"]:
    fields = {}
    for t in data["transforms"]:
        rx = re.compile(t["regex"])
        name, value = t["format"].split("::", 1)
        if "$2" in t["format"]:
            for m in rx.finditer(line):
                fields.setdefault(name.replace("$1", m.group(1)), []).append(value.replace("$2", m.group(2)))
        else:
            m = rx.search(line)
            if m and m.group(1) is not None:
                fields[name] = value.replace("$1", m.group(1))
    out.append(fields)
json.dump(out, sys.stdout)
`;

function splunkExtract(lines: string[]): Array<Record<string, string | string[]>> {
  const r = spawnSync('python3', ['-c', PY], { input: JSON.stringify({ lines, transforms: generatedTransforms() }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const CONTEXT: Array<[string, string]> = [
  ['first_seen', '10.07.2015 23:53'],
  ['category', 'spam'],
  ['url', 'http://x/?a=1&b=c d'],
];

const CASES: Array<{
  indicator: Indicator;
  category: string;
  regexp: string;
  field: string;
  role: 'url' | 'dst_ip' | 'md5' | 'sha1' | 'sha256';
  expected: string;
}> = [
  {
    indicator: { type: 'url', value: 'http://fakess123.nu' },
    category: 'KL_Malicious_URL',
    regexp: 'RE_URL',
    field: 'url',
    role: 'url',
    expected: 'fakess123.nu',
  },
  {
    indicator: { type: 'url', value: 'test.phishing.example.com/psh/test?p=1&p=2' },
    category: 'KL_Phishing_URL',
    regexp: 'RE_URL',
    field: 'url',
    role: 'url',
    expected: 'test.phishing.example.com/psh/test?p=1&p=2',
  },
  { indicator: { type: 'ip', value: '192.0.2.0' }, category: 'KL_IP_Reputation', regexp: 'RE_IP', field: 'ip', role: 'dst_ip', expected: '192.0.2.0' },
  {
    indicator: { type: 'md5', value: 'C912705B4BBB14EC7E78FA8B370532C9' },
    category: 'KL_Malicious_Hash_MD5',
    regexp: 'RE_MD5',
    field: 'md5',
    role: 'md5',
    expected: 'C912705B4BBB14EC7E78FA8B370532C9',
  },
  {
    indicator: { type: 'sha1', value: '6AA0321FA9D82D652AB53882D7CF9E592B4439B8' },
    category: 'KL_APT_Hash_SHA1',
    regexp: 'RE_SHA1',
    field: 'sha1',
    role: 'sha1',
    expected: '6AA0321FA9D82D652AB53882D7CF9E592B4439B8',
  },
  {
    indicator: { type: 'sha256', value: 'AB'.repeat(32) },
    category: 'KL_APT_Hash_SHA256',
    regexp: 'RE_SHA256',
    field: 'sha256',
    role: 'sha256',
    expected: 'AB'.repeat(32),
  },
];

const extractAll = (event: string) => extractLikeCyberTrace(settings.input.regexps, event);

describe('Splunk: CyberTrace regexps read what the app forwards and what the lookup script sends', () => {
  it('the lookup pattern in bin/config.json is the one derived from the contract', () => {
    expect(JSON.parse(fileText(bundle, `${APP_ID}/bin/config.json`)).pattern).toBe(LOOKUP_PATTERN);
    expect(LOOKUP_PATTERN).toBe('ip=%IP% md5=%MD5% sha1=%SHA1% sha256=%SHA256% url=%URL%');
  });

  it.each(CASES)('$indicator.type: the lookup request line gives $regexp = $expected and nothing else', ({ indicator, regexp, expected }) => {
    const values = extractAll(lookupRequest(indicator));
    expect(values).toEqual({ [regexp]: expected });
  });

  it.each(CASES)('$indicator.type: the forwarded event gives $regexp, SRC_IP and RE_USERNAME', ({ indicator, regexp, expected }) => {
    const values = extractAll(splunk.wire.forwardedEvent(indicator, site));
    expect(values).toEqual({ [regexp]: expected, SRC_IP: '10.20.30.40', RE_USERNAME: 'ctconnect-verify' });
  });

  it('the same regexps give the same values with Python re (the lookup script and Splunk share that subset)', () => {
    const lines = CASES.map((c) => lookupRequest(c.indicator));
    const py = `
import json, re, sys
d = json.load(sys.stdin)
print(json.dumps([[m for r in d["rx"] for m in re.findall(r, l)] for l in d["lines"]]))`;
    const r = spawnSync('python3', ['-c', py], { input: JSON.stringify({ rx: settings.input.regexps.map((x) => x.pattern), lines }), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(CASES.map((c) => [c.expected]));
  });

  it('does not take keys inside other keys or values (xip=, a URL query "ip=")', () => {
    expect(extractAll('xip=192.0.2.1 ref=http://a.example/?ip=192.0.2.2 note=md5=C912705B4BBB14EC7E78FA8B370532C9')).toEqual({});
  });
});

describe('Splunk: CyberTrace events read back by the generated transforms.conf', () => {
  it.each(CASES)('$indicator.type detection round trip (Python re and wire.parseEvent agree)', ({ indicator, category, field, role, expected }) => {
    const values = extractAll(splunk.wire.forwardedEvent(indicator, site));
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: { ...values, Date: 'Apr 16 09:05:41', Category: category, MatchedIndicator: expected },
      context: CONTEXT,
    });
    const [py] = splunkExtract([line]);
    const want: Record<string, string | string[]> = {
      category,
      matchedIndicator: expected,
      [field]: expected,
      src: '10.20.30.40',
      usrName: 'ctconnect-verify',
      ctx_first_seen: ['10.07.2015 23:53'],
      ctx_category: ['spam'],
      ctx_url: ['http://x/?a=1&b=c d'],
    };
    expect(py).toEqual(want);

    const parsed = splunk.wire.parseEvent(line, site);
    expect(parsed.kind).toBe('detection');
    expect(parsed.fields).toEqual({
      category,
      indicator: expected,
      [role]: expected,
      src_ip: '10.20.30.40',
      user: 'ctconnect-verify',
      date: 'Apr 16 09:05:41',
    });
    expect(parsed.context).toEqual(CONTEXT);
  });

  it('service alerts: alert name and context, no detection fields', () => {
    const line = renderCyberTraceFormat(settings.output.alertFormat!, settings, {
      values: { Date: 'Apr 16 09:05:41', Alert: 'KL_ALERT_UpdatedFeed' },
      context: [
        ['feed', 'Phishing_URL_Data_Feed.json'],
        ['records', '200473'],
      ],
    });
    expect(line).toBe('Apr 16 09:05:41 alert=KL_ALERT_UpdatedFeed ctx_feed="Phishing_URL_Data_Feed.json" ctx_records="200473"');
    expect(splunkExtract([line])[0]).toEqual({ alert: 'KL_ALERT_UpdatedFeed', ctx_feed: ['Phishing_URL_Data_Feed.json'], ctx_records: ['200473'] });
    expect(splunk.wire.parseEvent(line, site)).toEqual({
      kind: 'alert',
      fields: { alert: 'KL_ALERT_UpdatedFeed', date: 'Apr 16 09:05:41' },
      context: [
        ['feed', 'Phishing_URL_Data_Feed.json'],
        ['records', '200473'],
      ],
    });
  });

  it('a field CyberTrace had no value for ("-") is not extracted, even when the context holds that key', () => {
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: { Category: 'KL_Malicious_URL', MatchedIndicator: 'a.example', RE_URL: 'a.example' },
      context: [['note', 'seen with ip=192.0.2.9']],
    });
    const [py] = splunkExtract([line]);
    expect(py.ip).toBeUndefined();
    expect(py.url).toBe('a.example');
    expect(splunk.wire.parseEvent(line, site).fields.dst_ip).toBeUndefined();
  });

  // Whether CyberTrace escapes a `"` inside a value is not documented: both ways, the value comes out whole
  // (an escaped quote keeps its backslash) and the next pair is read on its own.
  it.each([
    ['passed through raw', (v: string) => v],
    ['escaped as \\"', (v: string) => v.replace(/"/g, '\\"')],
  ])('a quote in a context value, %s, ends neither the value nor runs into the next pair', (_how, quote) => {
    const values = ['say "hi" now', '"quoted"', 'end"', '"', '', 'a" ctx_fake="b'].map(quote);
    const context: Array<[string, string]> = [...values.map((v, i) => [`q${i}`, v] as [string, string]), ['popularity', '1']];
    const line = renderCyberTraceFormat(settings.output.eventFormat, settings, {
      values: { Category: 'KL_Malicious_URL', MatchedIndicator: 'a.example', RE_URL: 'a.example' },
      context,
    });
    const [py] = splunkExtract([line]);
    // The last value is the one a quote cannot be told apart in: the text ` ctx_fake="` itself opens a pair.
    const whole = context.filter(([k]) => k !== 'q5');
    for (const [k, v] of whole) expect(py[`ctx_${k}`], k).toEqual([v]);
    expect(py.url).toBe('a.example');
    expect(splunk.wire.parseEvent(line, site).context.filter(([k]) => k !== 'q5' && k !== 'fake')).toEqual(whole);
  });

  it('rejects lines that are no CyberTrace event', () => {
    expect(() => splunk.wire.parseEvent('hello world', site)).toThrow(/not a CyberTrace event/);
  });
});
