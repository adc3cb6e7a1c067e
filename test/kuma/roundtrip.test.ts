/**
 * The round trip of DESIGN.md for KUMA: events rendered with the bundle's CyberTrace formats are
 * read back with the KUMA-side parser (built from the same contracts), and the requests KUMA
 * sends are read by the bundle's regexps in a real PCRE engine (pcre2grep).
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { getConnector } from '../../connectors/registry.js';
import { renderCyberTraceFormat } from '../../src/cybertrace/render-event.js';
import { parseKumaEvent } from '../../connectors/kuma/parse.js';
import { splitPairs } from '../../src/cybertrace/parse-event.js';
import { detectionEvent } from '../../connectors/kuma/contract.js';
import { exampleSite } from '../helpers/bundles.js';
import type { Indicator } from '../../src/model/events.js';

const site = exampleSite();
const kuma = getConnector('kuma');
const settings = kuma.cybertrace(site);

const detection = (category: string, indicator: string, context: Array<[string, string]>): string =>
  renderCyberTraceFormat(settings.output.eventFormat, settings, { values: { Category: category, MatchedIndicator: indicator }, context });

describe('KUMA CyberTrace settings (the Kaspersky CyberTrace–KUMA integration guide)', () => {
  it('are exactly the values of the KUMA help, built from the contracts', () => {
    expect(settings.input.connectionString).toBe(`0.0.0.0:${site.cybertrace.input_port}`);
    expect(settings.output.connectionString).toBe(`127.0.0.1:${site.cybertrace.return_port}`);
    expect(settings.output.alertFormat).toBe('%Date% alert=%Alert%%RecordContext%');
    expect(settings.output.eventFormat).toBe('Category=%Category%|MatchedIndicator=%MatchedIndicator%%RecordContext%');
    expect(settings.output.recordFieldContextFormat).toBe('|%ParamName%=%ParamValue%');
    expect(settings.output.actionableFieldContextFormat).toBe('%ParamName%:%ParamValue%');
  });

  it('follow the site ports', () => {
    const other = { ...site, cybertrace: { ...site.cybertrace, input_port: 10999, return_port: 10998 } };
    const s = kuma.cybertrace(other);
    expect(s.input.connectionString).toBe('0.0.0.0:10999');
    expect(s.output.connectionString).toBe('127.0.0.1:10998');
  });
});

describe('detection events round-trip through the KUMA-side parser', () => {
  it('keeps category, indicator and a multi-field context with spaces, "=" and ":"', () => {
    const context: Array<[string, string]> = [
      ['first_seen', '10.07.2015 23:53'],
      ['last_seen', '04.10.2019 06:25'],
      ['threat_score', '75'],
      ['url', 'http://example.com/path?a=1&b=2'],
      ['note', 'key=value: with spaces'],
      ['empty', ''],
      ['ratio', 'a==b'],
    ];
    const line = detection('KL_Malicious_URL', 'http://fakess123.nu/x?q=1', context);
    expect(line).toBe(
      'Category=KL_Malicious_URL|MatchedIndicator=http://fakess123.nu/x?q=1|first_seen=10.07.2015 23:53|last_seen=04.10.2019 06:25|' +
        'threat_score=75|url=http://example.com/path?a=1&b=2|note=key=value: with spaces|empty=|ratio=a==b',
    );
    const parsed = kuma.wire.parseEvent(line, site);
    expect(parsed.kind).toBe('detection');
    expect(parsed.fields).toEqual({ category: 'KL_Malicious_URL', indicator: 'http://fakess123.nu/x?q=1' });
    expect(parsed.context).toEqual(context);
  });

  it('reads an event without record context', () => {
    const parsed = kuma.wire.parseEvent(detection('KL_IP_Reputation', '192.0.2.0', []), site);
    expect(parsed).toEqual({ kind: 'detection', fields: { category: 'KL_IP_Reputation', indicator: '192.0.2.0' }, context: [] });
  });

  it('keeps a "|" inside a value when the text after it has no "="', () => {
    const context: Array<[string, string]> = [
      ['tags', 'phishing|banking'],
      ['next', 'x'],
    ];
    const parsed = kuma.wire.parseEvent(detection('KL_Phishing_URL', 'http://a.example/|b', context), site);
    expect(parsed.fields.indicator).toBe('http://a.example/|b');
    expect(parsed.context).toEqual(context);
  });

  it('cannot round-trip a "|" followed by text with "=": it reads as a pair of its own (documented)', () => {
    const line = detection('KL_Malicious_URL', 'fakess123.nu', [
      ['comment', 'left|right=side'],
      ['popularity', '1'],
    ]);
    expect(kuma.wire.parseEvent(line, site).context).toEqual([
      ['comment', 'left'],
      ['right', 'side'],
      ['popularity', '1'],
    ]);
  });

  it('cannot round-trip a context name containing "=": the first "=" ends the name (documented)', () => {
    const line = detection('KL_Malicious_URL', 'fakess123.nu', [['a=b', 'c']]);
    expect(kuma.wire.parseEvent(line, site).context).toEqual([['a', 'b=c']]);
  });

  it('reads "-" (an empty placeholder) as a missing field', () => {
    const parsed = kuma.wire.parseEvent(detection('KL_Malicious_URL', '', []), site);
    expect(parsed.fields).toEqual({ category: 'KL_Malicious_URL' });
  });
});

describe('service alerts round-trip', () => {
  it('keeps the date, the alert name and the context', () => {
    const context: Array<[string, string]> = [
      ['feed', 'Phishing_URL_Data_Feed.json'],
      ['records', '200473'],
    ];
    const line = renderCyberTraceFormat(settings.output.alertFormat!, settings, {
      values: { Date: 'Apr  6 09:05:41', Alert: 'KL_ALERT_UpdatedFeed' },
      context,
    });
    expect(line).toBe('Apr  6 09:05:41 alert=KL_ALERT_UpdatedFeed|feed=Phishing_URL_Data_Feed.json|records=200473');
    expect(kuma.wire.parseEvent(line, site)).toEqual({ kind: 'alert', fields: { date: 'Apr  6 09:05:41', alert: 'KL_ALERT_UpdatedFeed' }, context });
  });

  it('reads an alert without context', () => {
    expect(parseKumaEvent('Apr 16 09:06:02 alert=KL_ALERT_ServiceStarted')).toEqual({
      kind: 'alert',
      fields: { date: 'Apr 16 09:06:02', alert: 'KL_ALERT_ServiceStarted' },
      context: [],
    });
  });
});

describe('the parser refuses what is not a KUMA-format event', () => {
  it.each([
    ['a CEF event', 'CEF:0|Kaspersky|CyberTrace|3.1|2|x|8|reason=KL_Malicious_URL'],
    ['fields in the wrong order', 'MatchedIndicator=x|Category=KL_Malicious_URL'],
    ['an empty line', ''],
  ])('%s', (_what, line) => {
    expect(() => parseKumaEvent(line)).toThrow(/not a CyberTrace event in the KUMA format/);
  });

  it('says which part is missing', () => {
    expect(() => parseKumaEvent('Category=KL_Malicious_URL|popularity=1')).toThrow(/part 2 should be "MatchedIndicator=…", got "popularity=…"/);
    expect(() => parseKumaEvent('Category=KL_Malicious_URL')).toThrow(/part 2 should be "MatchedIndicator=…", got the end of the event/);
  });

  it('refuses a line break inside an event', () => {
    expect(() => parseKumaEvent('Category=KL_Malicious_URL|MatchedIndicator=x|note=a\nb')).toThrow(/one line/);
  });

  it('splitPairs refuses text that does not start with a pair', () => {
    expect(() => splitPairs('nothing here', detectionEvent)).toThrow(/has no "="/);
  });
});

describe("KUMA's requests are read by the bundle's regexps (pcre2grep)", () => {
  const pcreFirstGroup = (pattern: string, line: string): string =>
    execFileSync('pcre2grep', ['-o1', '--', pattern], { input: line + '\n', encoding: 'utf8' }).replace(/\n$/, '');

  const indicators: Indicator[] = [
    { type: 'ip', value: '192.0.2.0' },
    { type: 'url', value: 'http://fakess123.nu' },
    { type: 'url', value: 'test.phishing.example.com/psh/test?p=1&p=2' },
    { type: 'md5', value: 'C912705B4BBB14EC7E78FA8B370532C9' },
    { type: 'sha1', value: '6AA0321FA9D82D652AB53882D7CF9E592B4439B8' },
    { type: 'sha256', value: 'a'.repeat(64) },
  ];
  const regexpFor: Record<Indicator['type'], string> = { ip: 'RE_IP', url: 'RE_URL', md5: 'RE_MD5', sha1: 'RE_SHA1', sha256: 'RE_SHA256' };

  it.each(indicators)('$type $value', (indicator) => {
    const line = kuma.wire.forwardedEvent(indicator, site);
    const re = settings.input.regexps.find((r) => r.name === regexpFor[indicator.type])!;
    expect(pcreFirstGroup(re.pattern, line)).toBe(indicator.value);
    // No other indicator regexp picks something out of this request.
    for (const other of settings.input.regexps.filter((r) => r !== re)) {
      expect(() => pcreFirstGroup(other.pattern, line)).toThrow();
    }
  });

  it('refuses an indicator with whitespace, which the regexps would cut short', () => {
    expect(() => kuma.wire.forwardedEvent({ type: 'url', value: 'http://a b' }, site)).toThrow(/whitespace/);
  });
});
